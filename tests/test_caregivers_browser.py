"""Real headless Chromium: a manager, on a phone, records a pre-job training course for three
caregivers by ticking them, and the pre-job coverage rises on the roster page and on the
bureau's dashboard (the browser fixtures and helpers are those of test_browser.py)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eldercare.caregivers import queries, services
from eldercare.caregivers.models import Post
from eldercare.timekeeping import local_today
from tests.test_browser import PHONE, _log_in, _screenshot, browser, live_server, open_page  # noqa: F401
from tests.test_caregivers import id_number

pytestmark = pytest.mark.browser


@pytest.fixture
def four_caregivers(db, facility, manager):
    """Four caregivers at work in the manager's home, one of them with pre-job training passed:
    coverage 25%."""
    hired = local_today() - timedelta(days=10)
    people = [services.hire(manager, facility, name=name, id_number=id_number(90 + n), mobile=None, hired_on=hired,
                            post=Post.caregiver, monthly_pay=4000).caregiver
              for n, name in enumerate(["王芳", "李娟", "赵敏", "孙丽"])]
    services.record_pre_job_training(manager, people[0], trained_on=hired, hours=40, provider="如皋市职教中心",
                                     passed=True)
    db.session.commit()
    return {"facility_id": facility.id, "ids": [p.id for p in people]}


def test_a_manager_records_pre_job_training_for_three_and_coverage_rises(app, db, open_page, manager,  # noqa: F811
                                                                         bureau_staff, four_caregivers):
    facility_id, ids = four_caregivers["facility_id"], four_caregivers["ids"]
    assert queries.facility_figures(facility_id, local_today())["coverage"] == 0.25

    # The bureau's dashboard shows the city's coverage at 25%.
    bureau = open_page()
    _log_in(bureau, bureau_staff.username)
    expect(bureau).to_have_url(re.compile(r"/dashboard$"))
    city = bureau.get_by_test_id("city-caregiver-figures")
    expect(city.get_by_test_id("coverage")).to_have_text("25.0%")

    # The manager, on a phone, goes from the board to the roster: 25% there too.
    phone = open_page(PHONE, is_mobile=True, has_touch=True)
    _log_in(phone, manager.username)
    expect(phone).to_have_url(re.compile(rf"/facilities/{facility_id}/board$"))
    phone.get_by_test_id("caregivers-link").click()
    expect(phone).to_have_url(re.compile(rf"/facilities/{facility_id}/caregivers$"))
    figures = phone.get_by_test_id("caregiver-figures")
    expect(figures.get_by_test_id("coverage")).to_have_text("25.0%")
    _screenshot(phone, "caregivers-roster-phone-before.png")

    # They record the pre-job course for the three untrained caregivers, ticking each.
    phone.get_by_test_id("record-training").click()
    expect(phone).to_have_url(re.compile(rf"/facilities/{facility_id}/training$"))
    form = phone.get_by_test_id("session-form")
    form.locator("select[name=kind]").select_option("pre_job")
    form.locator("input[name=course]").fill("养老护理员岗前培训")
    form.locator("input[name=hours]").fill("40")
    form.locator("input[name=provider]").fill("如皋市职业教育中心")
    for caregiver_id in ids[1:]:
        form.locator(f"input[name=caregiver_ids][value=\"{caregiver_id}\"]").check()
    _screenshot(phone, "caregivers-training-phone.png")
    form.locator("button.primary").click()

    # Back on the roster: everyone is covered.
    expect(phone).to_have_url(re.compile(rf"/facilities/{facility_id}/caregivers$"))
    expect(phone.locator(".flash.success")).to_be_visible()
    expect(figures.get_by_test_id("coverage")).to_have_text("100.0%")
    _screenshot(phone, "caregivers-roster-phone-after.png")

    # And on the bureau's dashboard, once it is reloaded.
    bureau.reload()
    expect(city.get_by_test_id("coverage")).to_have_text("100.0%")
    bureau.locator("#caregivers").scroll_into_view_if_needed()
    _screenshot(bureau, "dashboard-caregivers.png")

    # The caregiver's own page on the phone: covered, with the course's provider.
    phone.goto(f"/caregivers/{ids[1]}")
    expect(phone.get_by_test_id("covered")).not_to_have_text(re.compile("^(no|否)$"))
    expect(phone.locator("main")).to_contain_text("如皋市职业教育中心")
    _screenshot(phone, "caregiver-phone.png")

    db.session.expire_all()
    assert queries.facility_figures(facility_id, local_today())["coverage"] == 1.0
