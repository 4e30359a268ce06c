"""Real headless Chromium: a town civil-affairs assistant, on a phone, applies for an elder who
lives alone, attaches a 低保 certificate (a real PDF) and sends the application; bureau staff see
who applied for whom, open the certificate (the view is audited) and take the application up
(the browser fixtures and helpers are those of test_browser.py)."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from weasyprint import HTML

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.identity import check_character
from eldercare.placements.documents import ApplicationDocument
from eldercare.placements.models import Application, Status
from tests import factories
from tests.test_browser import (  # noqa: F401
    PHONE,
    _log_in,
    _screenshot,
    _status_label,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

ELDER = "周桂英"
ELDER_ID = "320682" + "19410214" + "062"
ELDER_ID += check_character(ELDER_ID)


@pytest.fixture
def certificate(tmp_path):
    path = tmp_path / "低保证.pdf"
    path.write_bytes(HTML(string="<h1>如皋市最低生活保障证</h1><p>持证人：周桂英</p>").write_pdf())
    return path


def test_an_assistant_applies_for_an_elder_living_alone_and_the_bureau_reviews_it(
        app, db, open_page, town, bureau_staff, certificate):  # noqa: F811
    assistant = factories.user("assistant1", Role.town_assistant, town=town)
    staff_name = bureau_staff.username
    application_url = re.compile(r"/applications/(\d+)$")

    # The assistant logs in on a phone and lands on the town's applications.
    phone = open_page(PHONE, is_mobile=True, has_touch=True)
    _log_in(phone, assistant.username)
    expect(phone).to_have_url(re.compile(r"/applications$"))

    # She applies for an elder of her town who lives alone.
    phone.get_by_test_id("new-application").click()
    phone.locator("input[name=name]").fill(ELDER)
    phone.locator("input[name=id_number]").fill(ELDER_ID)
    phone.locator("select[name=category]").select_option("dibao")
    phone.locator("input[name=living_alone]").check()
    phone.locator("input[name=relation]").fill("镇民政助理员")
    phone.locator("input[name=contact_name]").fill("李助理")
    phone.locator("input[name=contact_phone]").fill("13962700418")
    phone.locator("form:has(input[name=id_number]) button").click()
    expect(phone).to_have_url(application_url)
    application_id = int(application_url.search(phone.url).group(1))

    # She attaches the 低保 certificate; it is listed on the application.
    documents = phone.get_by_test_id("documents")
    documents.locator("select[name=kind]").select_option("dibao_certificate")
    documents.locator("input[name=file]").set_input_files(str(certificate))
    phone.get_by_test_id("attach-document").click()
    expect(phone.locator(".flash.success")).to_be_visible()
    expect(documents.locator("li")).to_have_count(1)
    expect(documents.locator("li")).to_contain_text("低保证.pdf")
    _screenshot(phone, "assistant-application-phone.png")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"

    # She consents on the elder's behalf and sends it.
    phone.locator("input[name=consent]").check()
    phone.get_by_test_id("submit").click()
    expect(phone.get_by_test_id("status")).to_have_text(_status_label(app, Status.submitted))

    # Bureau staff see who applied for whom, open the certificate and take the application up.
    bureau = open_page()
    _log_in(bureau, staff_name)
    bureau.goto("/review")
    row = bureau.locator("tr", has=bureau.locator(f"a[href$='/applications/{application_id}']"))
    expect(row.get_by_test_id("on-behalf")).to_contain_text(assistant.full_name)
    row.locator(f"a[href$='/applications/{application_id}']").click()
    expect(bureau.get_by_test_id("applied-by")).to_contain_text(town.name)
    link = bureau.get_by_test_id("documents").locator("a").first
    response = bureau.context.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == certificate.read_bytes()
    bureau.locator("form[action$='/review'] button").click()
    expect(bureau.get_by_test_id("status")).to_have_text(_status_label(app, Status.under_review))
    _screenshot(bureau, "bureau-assistant-application.png")

    db.session.expire_all()
    application = db.session.get(Application, application_id)
    assert (application.status, application.assistant_town_id, application.living_alone) == (
        Status.under_review, town.id, True)
    document = db.session.scalar(select(ApplicationDocument))
    viewers = db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.action == "application.document.view", AuditEvent.entity_id == document.id)).all()
    assert viewers == [bureau_staff.id]
