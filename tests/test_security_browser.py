"""In a real browser, under the Content-Security-Policy: no inline script runs, and the one
static script does what the inline handlers did (confirm before withdrawing, filters that send
themselves)."""

import re

import pytest
from playwright.sync_api import expect

from eldercare.auth.models import Role
from eldercare.placements.models import Status
from tests import factories
from tests.test_browser import _log_in, browser, live_server  # noqa: F401 - fixtures
from tests.test_browser import _open_page as open_browser_page

pytestmark = pytest.mark.browser


@pytest.fixture
def watched_page(browser, live_server):  # noqa: F811 - the fixtures imported above
    """A page whose JavaScript errors, error responses and CSP violations fail the test."""
    errors = []
    page = open_browser_page(browser, live_server, errors)
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    yield page
    page.context.close()
    assert not errors, errors


def test_withdrawing_asks_first_and_filters_send_themselves(app, db, watched_page, manager, facility):
    family = factories.user("family.b", Role.family)
    application = factories.application(family, status=Status.submitted)
    factories.bed(facility, code="101-01")
    db.session.commit()
    page = watched_page

    _log_in(page, family.username)
    page.goto(f"/applications/{application.id}")
    withdraw = page.locator("form[action$='/withdraw'] button")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    withdraw.click()
    expect(page.get_by_test_id("status")).not_to_have_text(re.compile("撤回|withdrawn", re.IGNORECASE))
    assert len(questions) == 1 and questions[0]
    db.session.expire_all()
    assert application.status == Status.submitted

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    withdraw.click()
    expect(page.locator(".flash.success")).to_be_visible()
    db.session.expire_all()
    assert application.status == Status.withdrawn

    page.locator("header form[action$='/logout'] button").click()
    _log_in(page, manager.username)
    page.goto(f"/facilities/{facility.id}/board")
    page.locator("select[name=state]").select_option("vacant")
    expect(page).to_have_url(re.compile(r"state=vacant"))
