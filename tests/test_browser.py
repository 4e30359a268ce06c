"""A facility manager's day in a real headless Chromium: log in, admit an elder to a vacant
bed, discharge them, and mark the bed cleaned, with the board checked at every step.

The app runs in a werkzeug server thread beside the test; each request there gets its own
app context and database session, so test data is committed before the browser looks at it.
Screenshots go to tests/artifacts/ (git-ignored) for a human to look at.
"""

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from eldercare import labels
from eldercare.facilities import queries
from eldercare.facilities.models import BedState, EndReason, Stay
from eldercare.identity import check_character
from eldercare.placements.models import Elder
from eldercare.timekeeping import local_today
from tests import factories

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

ELDER_NAME = "王秀兰"
ELDER_ID_NUMBER = "320682" + "19400517" + "042"
ELDER_ID_NUMBER += check_character(ELDER_ID_NUMBER)


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on a free port for the duration of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile on the live server; fails the test on a JavaScript error or an
    error response (other than the favicon the app does not have)."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    yield page
    context.close()
    assert not errors, f"errors while browsing: {errors}"


@pytest.fixture
def room_101(db, facility, manager):
    """Room 101 with six vacant nursing-type beds, 101-01 … 101-06, committed for the server."""
    room = factories.room(facility, "101")
    beds = [factories.bed(facility, code=f"101-{n:02d}", room=room) for n in range(1, 7)]
    ids = {"facility_id": facility.id, "bed_id": beds[0].id, "bed_code": beds[0].code}
    db.session.commit()
    return ids


def _screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def _state_label(app, state: BedState) -> str:
    """The words the pages use for a bed state, in the app's default language."""
    with app.test_request_context():
        return str(labels.BED_STATE[state])


def test_manager_admits_discharges_and_cleans_a_bed(app, db, page, manager, room_101):
    facility_id, bed_id, code = room_101["facility_id"], room_101["bed_id"], room_101["bed_code"]
    board_url = re.compile(rf"/facilities/{facility_id}/board$")
    tile = page.get_by_test_id(f"bed-{code}")
    badge = page.get_by_test_id("bed-state")

    # Log in; a manager of one facility lands on its bed board.
    page.goto("/login")
    page.locator("input[name=username]").fill(manager.username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button").click()
    expect(page).to_have_url(board_url)
    expect(page.get_by_test_id("count-total")).to_have_text("6")
    expect(page.get_by_test_id("count-vacant")).to_have_text("6")
    expect(tile).to_have_attribute("data-state", "vacant")

    # Open the vacant bed and admit an elder to it.
    tile.click()
    expect(page).to_have_url(re.compile(rf"/beds/{bed_id}$"))
    expect(badge).to_have_class(re.compile(r"\bstate-vacant\b"))
    page.locator("main a[href*='/admit']").click()
    expect(page).to_have_url(re.compile(rf"/facilities/{facility_id}/admit\?bed_id={bed_id}$"))
    expect(page.locator("select[name=bed_id]")).to_have_value(str(bed_id))
    page.locator("input[name=name]").fill(ELDER_NAME)
    page.locator("input[name=id_number]").fill(ELDER_ID_NUMBER)
    _screenshot(page, "manager-admit.png")
    page.locator("form:has(input[name=id_number]) button").click()

    # Back on the board: the bed is occupied by the new resident.
    expect(page).to_have_url(board_url)
    expect(page.locator(".flash.success")).to_contain_text(ELDER_NAME)
    expect(tile).to_have_attribute("data-state", "occupied")
    expect(tile).to_contain_text(ELDER_NAME)
    expect(page.get_by_test_id("count-vacant")).to_have_text("5")
    expect(page.get_by_test_id("count-occupied")).to_have_text("1")
    _screenshot(page, "manager-board.png")
    page.set_viewport_size(PHONE)
    _screenshot(page, "manager-board-phone.png")
    page.set_viewport_size(DESKTOP)

    # Discharge with the default date: the bed now needs cleaning.
    tile.click()
    expect(page.get_by_test_id("resident-name")).to_have_text(ELDER_NAME)
    page.locator("form[action$='/discharge'] button").click()
    expect(page).to_have_url(re.compile(rf"/beds/{bed_id}$"))
    expect(page.locator(".flash.success")).to_be_visible()
    expect(badge).to_have_class(re.compile(r"\bstate-needs_cleaning\b"))
    expect(badge).to_have_text(_state_label(app, BedState.needs_cleaning))
    expect(page.get_by_test_id("resident-name")).to_have_count(0)
    _screenshot(page, "manager-bed-needs-cleaning.png")

    page.locator(f"main a[href$='/facilities/{facility_id}/board']").click()
    expect(page).to_have_url(board_url)
    expect(tile).to_have_attribute("data-state", "needs_cleaning")
    expect(tile).not_to_contain_text(ELDER_NAME)
    expect(page.get_by_test_id("count-needs_cleaning")).to_have_text("1")

    # Mark it cleaned: back on the board, vacant again.
    tile.click()
    page.locator("form[action$='/clean'] button").click()
    expect(page).to_have_url(board_url)
    expect(page.locator(".flash.success")).to_contain_text(code)
    expect(tile).to_have_attribute("data-state", "vacant")
    expect(page.get_by_test_id("count-vacant")).to_have_text("6")
    expect(page.get_by_test_id("count-occupied")).to_have_text("0")

    # The database agrees: one stay, ended today as a discharge, and the bed is vacant.
    db.session.expire_all()
    stays = db.session.scalars(select(Stay)).all()
    assert len(stays) == 1
    stay = stays[0]
    assert stay.bed_id == bed_id
    assert stay.end_on == stay.start_on == local_today()
    assert stay.end_reason == EndReason.discharged
    assert db.session.scalar(select(Elder.name).where(Elder.id_number == ELDER_ID_NUMBER)) == ELDER_NAME
    assert queries.state_of(bed_id) == BedState.vacant
