"""Real headless Chromium, issue 14 point 8: a manager on the rooms page at desktop and phone size
finds the add forms above the long table, adds a batch of beds and reads which, and follows a
room to its beds on the board (the browser fixtures and helpers are those of test_browser.py).
Screenshots: tests/artifacts/forms-*.png."""

import re

import pytest
from playwright.sync_api import expect

from eldercare.facilities.models import Facility
from tests import factories
from tests.test_browser import (  # noqa: F401
    ARTIFACTS,
    DESKTOP,
    PHONE,
    _log_in,
    _open_page,
    _screenshot,
    browser,
    live_server,
    open_page,
    room_101,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_rooms_page_puts_its_forms_first_and_a_room_opens_its_beds(app, db, open_page, manager,  # noqa: F811
                                                                        room_101, size):  # noqa: F811
    facility_id = room_101["facility_id"]
    earlier = factories.room(db.session.get(Facility, facility_id), "100")  # a full room above 101 on the board
    for n in range(1, 13):
        factories.bed(earlier.facility, code=f"100-{n:02d}", room=earlier)
    db.session.commit()
    page = open_page(PHONE, is_mobile=True, has_touch=True) if size == "phone" else open_page(DESKTOP)
    viewport = PHONE if size == "phone" else DESKTOP
    _log_in(page, manager.username)
    expect(page).to_have_url(re.compile(rf"/facilities/{facility_id}/board$"))
    page.goto(f"/facilities/{facility_id}/rooms")

    # The forms come first, the table of rooms after them.
    table = page.get_by_test_id("rooms")
    add_room = page.locator("form:has(input[name=which][value=room])")
    add_beds = page.locator("form:has(input[name=which][value=beds])")
    assert add_room.bounding_box()["y"] < table.bounding_box()["y"]
    assert add_beds.bounding_box()["y"] < table.bounding_box()["y"]
    if size == "desktop":  # the first form is in sight without scrolling
        assert add_room.bounding_box()["y"] < viewport["height"]

    # A batch of twelve beds: the message names the first and last, the page lists all twelve.
    add_beds.locator("select[name=beds-room_id]").select_option(label="101")
    add_beds.locator("input[name=beds-count]").fill("12")
    add_beds.locator("button").click()
    expect(page.locator(".flash.success")).to_contain_text("已添加 12 张床位：101-07 … 101-18")
    added = page.get_by_test_id("added-beds").locator("a")
    expect(added).to_have_count(12)
    expect(added.first).to_have_text("101-07")
    expect(added.last).to_have_text("101-18")
    assert all(box["height"] >= 44 for box in (link.bounding_box() for link in added.all()))  # a finger's size
    expect(table.locator("tr", has_text="101").locator("td.num")).to_have_text("18")
    expect(table.locator("tr", has_text="100").locator("td.num")).to_have_text("12")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    _screenshot(page, f"forms-rooms-{size}.png")

    # An added bed opens its own page.
    page.get_by_test_id("added-beds").get_by_role("link", name="101-07").click()
    expect(page).to_have_url(re.compile(r"/beds/\d+"))
    expect(page.locator("h1")).to_contain_text("101-07")

    # A room opens the board at its beds.
    page.goto(f"/facilities/{facility_id}/rooms")
    expect(page.get_by_test_id("added-beds")).to_have_count(0)  # the list is shown once
    table.get_by_role("link", name="101", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/facilities/{facility_id}/board#room-101$"))
    room = page.locator("section#room-101")
    expect(room.get_by_test_id("bed-101-18")).to_be_visible()
    expect(room.locator("h2")).to_be_in_viewport()
    if size == "phone":
        assert page.evaluate("window.scrollY") > 0  # scrolled past room 100 to reach it
    _screenshot(page, f"forms-room-beds-{size}.png")


def test_the_administrator_makes_a_manager_account_and_finds_its_homes_by_typing(app, db, open_page,  # noqa: F811
                                                                                 bureau_admin, town, facility):
    for name in ("丁堰敬老院", "白蒲颐养院", "如城日间照料中心"):
        factories.facility(town, name=name)
    db.session.commit()
    page = open_page(PHONE, is_mobile=True, has_touch=True)
    _log_in(page, bureau_admin.username)
    page.goto("/users")

    # The role starts at the least powerful; she picks facility manager on purpose.
    role = page.locator("select[name=role]")
    expect(role).to_have_value("family")
    page.locator("input[name=username]").fill("zhou.min")
    page.locator("input[name=full_name]").fill("周敏")
    role.select_option("facility_manager")
    page.locator("input[name=password]").fill(factories.PASSWORD)
    _screenshot(page, "forms-new-account-phone.png")
    page.locator("form:has(select[name=role]) button").click()

    # The facility picker: typing part of a name keeps the homes that match, ticked ones stay.
    expect(page).to_have_url(re.compile(r"/users/\d+/facilities$"))
    items = page.locator("#facility_ids li")
    expect(items).to_have_count(4)
    page.get_by_test_id("facility-filter").fill("敬老")
    expect(items.filter(visible=True)).to_have_count(1)
    items.filter(has_text="丁堰敬老院").locator("input").check()
    page.get_by_test_id("facility-filter").fill("颐养")
    expect(items.filter(visible=True)).to_have_count(2)  # 白蒲颐养院, and the ticked 丁堰敬老院
    items.filter(has_text="白蒲颐养院").locator("input").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _screenshot(page, "forms-facility-picker-phone.png")
    page.locator("form:has(#facility_ids) button").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(items.locator("input:checked")).to_have_count(2)


def test_the_administrator_sets_the_years_target_on_its_own_page(app, db, browser, live_server,  # noqa: F811
                                                                 bureau_admin, facility):
    db.session.commit()
    errors = []  # this page's answers: a refused share is a 422, and nothing else fails
    page = _open_page(browser, live_server, errors, PHONE, is_mobile=True, has_touch=True)
    _log_in(page, bureau_admin.username)
    page.goto("/dashboard")
    expect(page.locator("input[name=percent]")).to_have_count(0)  # no form at the foot of the dashboard
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("city-ratio").screenshot(path=ARTIFACTS / "forms-dashboard-headline-phone.png")
    page.get_by_test_id("target-link").click()
    expect(page).to_have_url(re.compile(r"/dashboard/target\?year=\d+$"))
    expect(page.get_by_test_id("target-value")).to_have_text("74.0%")
    page.locator("input[name=percent]").fill("180")
    page.locator("form:has(input[name=percent]) button").click()
    field = page.locator(".field:has(input[name=percent])")
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field.locator(".error")).to_be_visible()
    _screenshot(page, "forms-target-error-phone.png")
    assert [e.split()[0] for e in errors] == ["422"]
    page.locator("input[name=percent]").fill("76")
    page.locator("form:has(input[name=percent]) button").click()
    expect(page.get_by_test_id("target-value")).to_have_text("76.0%")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _screenshot(page, "forms-target-phone.png")
    page.context.close()
    assert len(errors) == 1
