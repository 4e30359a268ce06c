"""Real headless Chromium: a facility manager's day (log in, admit an elder to a vacant bed,
discharge them, and mark the bed cleaned, with the board checked at every step), bureau
staff reading the dashboard's nursing-type shares against the figures of the service, and a
placement from start to end (a family applies on a phone, the bureau reviews and offers a bed,
the family accepts, the home admits), with each person in their own browser profile.

The app runs in a werkzeug server thread beside the test; each request there gets its own
app context and database session, so test data is committed before the browser looks at it.
Screenshots go to tests/artifacts/ (git-ignored) for a human to look at.
"""

import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from eldercare import labels
from eldercare.auth.models import User
from eldercare.dashboard import services
from eldercare.facilities import queries
from eldercare.facilities.models import BedKind, BedState, CareType, EndReason, FacilityType, Stay
from eldercare.identity import check_character
from eldercare.notifications import Notification
from eldercare.placements.models import Action, Application, Status
from eldercare.residents.models import Elder
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

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Two towns with known shares of nursing-type institution beds (town A 7 of 10, town B 3 of 8),
# and day-care beds of a community meal point in town B, which must stay out of the ratio.
TOWN_A, TOWN_B = "如城街道", "东陈镇"


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


def _open_page(browser, base_url, errors, viewport=DESKTOP, **options):
    """A page in a fresh browser profile on the live server; JavaScript errors and error
    responses (other than the favicon the app does not have) are added to `errors`."""
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return page


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile on the live server; fails the test on a JavaScript error or an
    error response."""
    errors = []
    page = _open_page(browser, live_server, errors)
    yield page
    page.context.close()
    assert not errors, f"errors while browsing: {errors}"


@pytest.fixture
def open_page(browser, live_server):
    """Opens fresh browser profiles, one per person (so each has their own login), with the
    checks of `page`: open_page() for a desktop, open_page(PHONE, is_mobile=True, ...) for a phone."""
    errors, pages = [], []

    def open_(viewport=DESKTOP, **options):
        pages.append(_open_page(browser, live_server, errors, viewport, **options))
        return pages[-1]

    yield open_
    for page in pages:
        page.context.close()
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


def _status_label(app, status: Status, language: str = "zh") -> str:
    """The words the pages use for an application's status, in `language` (the default's first)."""
    with app.test_request_context(), force_locale(language):
        return str(labels.APPLICATION_STATUS[status])


def _choose_language(page, code):
    """Click the header's switch to `code` (in the menu, opened first where it is folded)."""
    menu = page.get_by_test_id("menu")
    if not menu.evaluate("m => m.open") and page.locator(f"header button[lang={code}]").is_hidden():
        menu.locator("summary").click()
    page.locator(f"header button[lang={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if code == "en" else "zh-CN")


def _log_out(page):
    menu = page.get_by_test_id("menu")
    if page.locator("header form[action$='/logout'] button").is_hidden():
        menu.locator("summary").click()
    page.locator("header form[action$='/logout'] button").click()


def _log_in(page, username):
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button").click()


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
    # A nursing-type bed needs an ability assessment: she enters it with the admission (total 60).
    for name, score in (("self_care", "24"), ("mobility", "10"), ("mental", "18"), ("perception", "8")):
        page.locator(f"input[name='assessment-{name}']").fill(score)
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
    page.once("dialog", lambda dialog: dialog.accept())  # discharge asks first
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


@pytest.fixture
def two_towns(db):
    """Town A: a private home, 7 nursing-type of 10 beds. Town B: a public home, 3 of 8, and a
    meal point with 5 nursing-type day-care beds (these would lift B to 8 of 13 if counted)."""
    town_a = factories.town(name=TOWN_A, code="320682001")
    town_b = factories.town(name=TOWN_B, code="320682101")
    for town, ftype, nursing, ordinary in ((town_a, FacilityType.private_home, 7, 3),
                                           (town_b, FacilityType.public_home, 3, 5)):
        home = factories.facility(town, type=ftype)
        for _ in range(nursing):
            factories.bed(home, care_type=CareType.nursing)
        for _ in range(ordinary):
            factories.bed(home, care_type=CareType.ordinary)
    meal_point = factories.facility(town_b, name="东陈镇社区助餐点", type=FacilityType.meal_point)
    for _ in range(5):
        factories.bed(meal_point, care_type=CareType.nursing, kind=BedKind.day_care)
    db.session.commit()


def _percent(ratio: float) -> str:
    """A share as the dashboard prints it (truncated to one decimal, the one rule)."""
    return labels.percent(ratio)


@pytest.mark.browser  # as the whole module is (pytestmark); said again for anyone copying the test
def test_bureau_staff_see_the_service_ratios_on_the_dashboard(app, db, page, bureau_staff, two_towns):
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    # The figures of the service, for this year in the bureau's time zone.
    year = local_today().year
    figures = services.care_ratio(year)
    towns = {t["name"]: t for t in figures["towns"]}
    # The data is what the fixture says: the meal point's day-care beds are not in any count.
    assert (towns[TOWN_A]["nursing"], towns[TOWN_A]["total"]) == (7, 10)
    assert (towns[TOWN_B]["nursing"], towns[TOWN_B]["total"]) == (3, 8)
    assert (figures["city"]["nursing"], figures["city"]["total"]) == (10, 18)

    # Log in; bureau staff land on the dashboard.
    page.goto("/login")
    page.locator("input[name=username]").fill(bureau_staff.username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("form:has(input[name=password]) button").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    # Each town's share in the table, and the city's headline, are the service's figures.
    for name in (TOWN_A, TOWN_B):
        row = page.locator(f'tr[data-town="{name}"]')
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("town-ratio")).to_have_text(_percent(towns[name]["ratio"]))
    expect(page.get_by_test_id("city-ratio-value")).to_have_text(_percent(figures["city"]["ratio"]))

    # The town chart is inline SVG in the page, with each town and its share printed on it (the wide
    # drawing on a desktop; a phone shows the narrow one instead).
    chart = page.locator("section:has([data-testid=town-table]) .chart-wide svg.pygal-chart")
    expect(chart).to_have_count(1)
    expect(chart).to_be_visible()
    for name in (TOWN_A, TOWN_B):
        expect(chart).to_contain_text(name)
        expect(chart).to_contain_text(_percent(towns[name]["ratio"]))

    _screenshot(page, "dashboard.png")
    page.set_viewport_size(PHONE)
    # Scrolled through once at the new width: otherwise Chromium leaves the tables far below the
    # first screen unpainted (blank) in a full-page capture.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.evaluate("window.scrollTo(0, 0)")
    expect(chart).to_be_hidden()
    expect(page.locator("section:has([data-testid=town-table]) .chart-narrow svg.pygal-chart")).to_be_visible()
    _screenshot(page, "dashboard-phone.png")
    page.set_viewport_size(DESKTOP)

    # Nothing was fetched from anywhere but the live server (no CDN, no web fonts).
    assert requests
    remote = [url for url in requests
              if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname not in LOCAL_HOSTS]
    assert not remote, f"requests to other hosts: {remote}"


# The family of the placement journey: a daughter applying for her mother (female: the 17th
# digit of the ID number is even).
FAMILY_NAME, FAMILY_PHONE = "张丽", "13912345678"
MOTHER_NAME = "李桂英"
MOTHER_ID_NUMBER = "320682" + "19380321" + "024"
MOTHER_ID_NUMBER += check_character(MOTHER_ID_NUMBER)


@pytest.fixture
def open_home(db, facility, manager):
    """The manager's private home with room 201 and two vacant nursing-type beds open to the
    public, committed for the server."""
    assert facility.type == FacilityType.private_home
    room = factories.room(facility, "201")
    beds = [factories.bed(facility, code=f"201-{n:02d}", room=room, care_type=CareType.nursing,
                          open_to_public=True) for n in (1, 2)]
    facility.address = "如皋市如城街道海阳路8号"
    ids = {"facility_id": facility.id, "town_id": facility.town_id, "bed_id": beds[0].id,
           "bed_code": beds[0].code, "other_code": beds[1].code, "name": facility.name}
    db.session.commit()
    return ids


# The placement journey twice: each time the family and the staff read different languages on
# different screens, so every message is seen rendered in its reader's language.
JOURNEYS = {"family-zh-phone/staff-en-desktop": ("zh", "en", False),
            "family-en-desktop/staff-zh-phone": ("en", "zh", True)}


@pytest.mark.browser
@pytest.mark.parametrize("family_language,staff_language,staff_on_phone", JOURNEYS.values(), ids=JOURNEYS)
def test_a_family_applies_and_the_elder_is_admitted_to_an_offered_bed(app, db, open_page, manager, bureau_staff,
                                                                      open_home, family_language, staff_language,
                                                                      staff_on_phone):
    facility_id, bed_id, code = open_home["facility_id"], open_home["bed_id"], open_home["bed_code"]
    manager_name, staff_name = manager.username, bureau_staff.username
    application_url = re.compile(r"/applications/(\d+)$")
    unread = re.compile(r"^[1-9]\d*$")
    phone, desktop = {"viewport": PHONE, "is_mobile": True, "has_touch": True}, {"viewport": DESKTOP}
    staff_screen = phone if staff_on_phone else desktop

    def family_status(status):
        return _status_label(app, status, family_language)

    def staff_status(status):
        return _status_label(app, status, staff_language)

    # A daughter opens an account (on her phone, or at her desk), having picked her language first;
    # she is told to log in (the same answer whether or not the number had an account), logs in
    # and lands on her (empty) list of applications, still in her language.
    family = open_page(**(desktop if staff_on_phone else phone))
    family.goto("/register")
    if family_language != "zh":
        _choose_language(family, family_language)
    family.locator("input[name=full_name]").fill(FAMILY_NAME)
    family.locator("input[name=phone]").fill(FAMILY_PHONE)
    family.locator("input[name=password]").fill(factories.PASSWORD)
    family.locator("input[name=confirm]").fill(factories.PASSWORD)
    family.locator("form:has(input[name=confirm]) button").click()
    expect(family).to_have_url(re.compile(r"/login$"))
    expect(family.locator(".flash.info")).to_be_visible()
    _log_in(family, FAMILY_PHONE)
    expect(family).to_have_url(re.compile(r"/applications$"))

    # She fills in the application for her mother, asking for the home's town, and saves a draft.
    family.get_by_test_id("new-application").click()
    expect(family).to_have_url(re.compile(r"/applications/new$"))
    family.locator("input[name=name]").fill(MOTHER_NAME + "x")  # a slip of the finger
    family.locator("input[name=id_number]").fill(MOTHER_ID_NUMBER)
    family.locator("select[name=category]").select_option("dibao")
    family.locator("input[name=relation]").fill("女儿")
    family.locator("input[name=contact_name]").fill(FAMILY_NAME)
    family.locator("input[name=contact_phone]").fill(FAMILY_PHONE)
    family.locator(f"input[name=preferred_town_ids][value=\"{open_home['town_id']}\"]").check()
    # She finds the home in the list of homes by typing part of its name, and ticks it.
    homes = family.locator("#preferred_facility_ids li")
    family.get_by_test_id("home-filter").fill(open_home["name"][-3:])
    expect(homes.locator("visible=true")).to_have_count(1)
    _screenshot(family, f"family-form-homes-{family_language}.png")
    homes.locator("visible=true").locator("input").check()
    family.locator("form:has(input[name=id_number]) button").click()
    expect(family).to_have_url(application_url)
    application_id = int(application_url.search(family.url).group(1))
    status = family.get_by_test_id("status")
    expect(status).to_have_text(family_status(Status.draft))

    # She sees the typo in the name and corrects it; the ID number stays as given (never shown in full).
    family.locator(f"a[href$='/applications/{application_id}/edit']").click()
    expect(family.locator("input[name=id_number]")).to_have_value("")
    family.locator("input[name=name]").fill(MOTHER_NAME)
    family.locator("form:has(input[name=id_number]) button").click()
    expect(family).to_have_url(application_url)
    expect(family.locator("h1")).to_contain_text(MOTHER_NAME)
    expect(family.locator("h1")).not_to_contain_text(MOTHER_NAME + "x")

    # She agrees to the processing of the personal data and sends it to the bureau.
    family.locator("input[name=consent]").check()
    family.get_by_test_id("submit").click()
    expect(family).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(status).to_have_text(family_status(Status.submitted))
    assert db.session.scalar(select(Application.status).where(Application.id == application_id)) == Status.submitted

    # Bureau staff take it up for review and approve it: it is on the waitlist.
    bureau = open_page(**staff_screen)
    bureau.goto("/login")
    if staff_language != "zh":
        _choose_language(bureau, staff_language)  # picked before logging in: kept on the account
    _log_in(bureau, staff_name)
    expect(bureau.locator("html")).to_have_attribute("lang", "en" if staff_language == "en" else "zh-CN")
    expect(bureau).to_have_url(re.compile(r"/dashboard$"))
    bureau.goto("/review")
    bureau.locator(f"main a[href$='/applications/{application_id}']").click()
    expect(bureau).to_have_url(re.compile(rf"/applications/{application_id}$"))
    bureau.locator("form[action$='/review'] button").click()
    expect(bureau.get_by_test_id("status")).to_have_text(staff_status(Status.under_review))
    # They assess her abilities (a nursing-type bed is offered only to an assessed applicant).
    bureau.locator(f"main a[href$='/applications/{application_id}/assess']").click()
    for name, score in (("self_care", "20"), ("mobility", "8"), ("mental", "15"), ("perception", "7")):
        bureau.locator(f"input[name={name}]").fill(score)
    bureau.locator("form:has(input[name=self_care]) button").click()
    expect(bureau).to_have_url(re.compile(rf"/applications/{application_id}$"))
    bureau.locator("form[action$='/approve'] button").click()
    expect(bureau.get_by_test_id("status")).to_have_text(staff_status(Status.approved))

    # From a vacant open bed of the home, they find the applicants and offer her the bed.
    bureau.goto(f"/beds/{bed_id}")
    expect(bureau.get_by_test_id("bed-state")).to_have_class(re.compile(r"\bstate-vacant\b"))
    bureau.locator(f"main a[href$='/beds/{bed_id}/match']").click()
    expect(bureau).to_have_url(re.compile(rf"/beds/{bed_id}/match$"))
    offer = bureau.get_by_test_id(f"offer-{application_id}")
    expect(offer).to_be_visible()
    _screenshot(bureau, f"bureau-match-{staff_language}.png")
    # The other way round: from the application, the beds that fit it (the two alike beds make one
    # line); the offer asks for confirmation first.
    bureau.goto(f"/applications/{application_id}")
    bureau.get_by_test_id("find-beds").click()
    expect(bureau).to_have_url(re.compile(rf"/applications/{application_id}/beds$"))
    expect(bureau.get_by_test_id("beds-for").locator("li")).to_have_count(1)
    _screenshot(bureau, f"bureau-beds-for-{staff_language}.png")
    bureau.once("dialog", lambda dialog: dialog.accept())
    bureau.get_by_test_id(f"offer-bed-{bed_id}").click()
    expect(bureau).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(bureau.get_by_test_id("status")).to_have_text(staff_status(Status.offered))

    # The family sees the bell and the offer when she comes back to the page, and accepts.
    family.reload()
    expect(family.get_by_test_id("unread")).to_have_text(unread)
    expect(status).to_have_text(family_status(Status.offered))
    expect(family.get_by_test_id("offer")).to_be_visible()
    expect(family.get_by_test_id("offer")).to_contain_text(code)
    _screenshot(family, f"family-application-{family_language}.png")
    # The offer was sent from a page in the staff's language; her messages show it in hers.
    family.get_by_test_id("bell").click()
    expect(family).to_have_url(re.compile(r"/notifications$"))
    db.session.expire_all()
    note = db.session.scalars(select(Notification).join(User, User.id == Notification.user_id)
                              .where(User.username == FAMILY_PHONE).order_by(Notification.id.desc())).first()
    with app.test_request_context(), force_locale(family_language):
        in_hers = note.text
    with app.test_request_context(), force_locale(staff_language):
        in_theirs = note.text
    assert in_hers != in_theirs and code in in_hers
    expect(family.locator("main")).to_contain_text(in_hers)
    expect(family.locator("main")).not_to_contain_text(in_theirs)
    _screenshot(family, f"family-messages-{family_language}.png")
    family.goto(f"/applications/{application_id}")
    family.locator("form[action$='/accept'] button").click()
    expect(status).to_have_text(family_status(Status.accepted))
    # The accepted bed stays on her page: the home, the bed, the address and what happens by when.
    accepted = family.get_by_test_id("accepted")
    for text in (open_home["name"], code, "海阳路8号"):
        expect(accepted).to_contain_text(text)
    expect(accepted.get_by_test_id("next-step")).to_be_visible()
    _screenshot(family, f"family-accepted-{family_language}.png")
    family.goto("/applications")
    expect(family.get_by_test_id("dates")).to_contain_text(str(local_today().year))
    expect(family.get_by_test_id("next-step")).to_be_visible()
    _screenshot(family, f"family-list-{family_language}.png")

    # The manager is told by the bell; from the message to the application, admitted today.
    home = open_page(**staff_screen)
    home.goto("/login")
    if staff_language != "zh":
        _choose_language(home, staff_language)
    _log_in(home, manager_name)
    board_url = re.compile(rf"/facilities/{facility_id}/board$")
    expect(home).to_have_url(board_url)
    expect(home.get_by_test_id("unread")).to_have_text(unread)
    home.get_by_test_id("bell").click()
    expect(home).to_have_url(re.compile(r"/notifications$"))
    expect(home.get_by_test_id("unread")).to_have_text(unread)  # reading the page changes nothing
    home.get_by_test_id("mark-read").click()
    expect(home).to_have_url(re.compile(r"/notifications$"))
    expect(home.get_by_test_id("unread")).to_have_count(0)
    # From the board's list of accepted offers to the held bed, which admits her in one click.
    home.locator("header a.brand").click()
    expect(home).to_have_url(board_url)
    waiting = home.get_by_test_id("waiting-admissions")
    expect(waiting).to_contain_text(MOTHER_NAME)
    waiting.locator(f"a[href$='/beds/{bed_id}']").click()
    expect(home).to_have_url(re.compile(rf"/beds/{bed_id}$"))
    _screenshot(home, f"manager-held-bed-{staff_language}.png")
    expect(home.get_by_test_id("hold").locator("input[name=on]")).to_have_value(local_today().isoformat())
    home.get_by_test_id("admit-offer").click()
    expect(home).to_have_url(re.compile(rf"/applications/{application_id}$"))
    expect(home.get_by_test_id("status")).to_have_text(staff_status(Status.admitted))

    # Her daughter's page now says where she lives, and no longer that someone will call.
    family.goto(f"/applications/{application_id}")
    expect(family.get_by_test_id("admitted")).to_contain_text(open_home["name"])
    expect(family.get_by_test_id("admitted")).to_contain_text(code)
    expect(family.get_by_test_id("accepted")).to_have_count(0)
    _screenshot(family, f"family-admitted-{family_language}.png")

    # On the board the offered bed is occupied by her; the other open bed is still vacant.
    home.locator("header a.brand").click()
    expect(home).to_have_url(board_url)
    tile = home.get_by_test_id(f"bed-{code}")
    expect(tile).to_have_attribute("data-state", "occupied")
    expect(tile).to_contain_text(MOTHER_NAME)
    expect(home.get_by_test_id(f"bed-{open_home['other_code']}")).to_have_attribute("data-state", "vacant")

    # Her language is hers, not the browser's: kept when she logs out, and after she logs in again.
    page_language = "en" if family_language == "en" else "zh-CN"
    _log_out(family)
    expect(family).to_have_url(re.compile(r"/login$"))
    expect(family.locator("html")).to_have_attribute("lang", page_language)
    _log_in(family, FAMILY_PHONE)
    expect(family).to_have_url(re.compile(r"/applications$"))
    expect(family.locator("html")).to_have_attribute("lang", page_language)

    # The database agrees: admitted into one open stay in that bed, through every step in order.
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    assert application.status == Status.admitted
    assert application.stay_id is not None
    stays = db.session.scalars(select(Stay).where(Stay.bed_id == bed_id, Stay.end_on.is_(None))).all()
    assert [stay.id for stay in stays] == [application.stay_id]
    assert stays[0].elder_id == application.elder_id
    assert stays[0].start_on == local_today()
    assert application.elder.id_number == MOTHER_ID_NUMBER
    assert [event.action for event in application.events] == [
        Action.submit, Action.start_review, Action.approve, Action.offer, Action.accept, Action.admit]


def test_bureau_orders_a_town_report_waits_and_downloads_it(app, db, page, bureau_staff, facility, manager,
                                                            tmp_path):
    from datetime import timedelta

    from flask_babel import gettext
    from pypdf import PdfReader

    from eldercare.facilities import services as bed_services

    app.config["REPORTS_DIR"] = str(tmp_path / "reports")
    made = [factories.bed(facility, code=f"R-{n}") for n in range(4)]
    bed_services.admit(manager, made[0], factories.elder(), on=local_today() - timedelta(days=45))
    db.session.commit()
    with app.test_request_context():  # the words of the pages, in the default language
        words = {msgid: gettext(msgid) for msgid in ("Report on", "Town or street", "Make the report",
                                                     "Elderly-care bed occupancy report")}
    _log_in(page, bureau_staff.username)
    page.goto("/reports")
    order = page.get_by_test_id("order-form")
    order.get_by_label(words["Report on"]).select_option("town")
    order.get_by_label(words["Town or street"], exact=True).select_option(str(facility.town_id))
    order.get_by_role("button", name=words["Make the report"]).click()
    expect(page.get_by_test_id("download")).to_be_visible(timeout=90_000)  # the page refreshes itself
    _screenshot(page, "report-job-done.png")
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    path = tmp_path / "downloaded.pdf"
    download.value.save_as(path)
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert words["Elderly-care bed occupancy report"] in text and facility.name in text


@pytest.mark.browser
def test_a_manager_on_a_phone_searches_the_board_and_comes_back_to_it(app, db, open_page, manager, room_101):
    home = open_page(PHONE, is_mobile=True, has_touch=True)
    _log_in(home, manager.username)
    board_url = f"/facilities/{room_101['facility_id']}/board"
    expect(home).to_have_url(re.compile(rf"{board_url}$"))
    home.get_by_test_id("board-search").fill("101-04")
    home.get_by_test_id("board-search").press("Enter")
    expect(home.locator("a.tile")).to_have_count(1)
    _screenshot(home, "manager-board-search-phone.png")
    home.get_by_test_id("bed-101-04").click()
    expect(home).to_have_url(re.compile(r"/beds/\d+\?q=101-04$"))
    # An action on the bed page, then back: the board is as she left it.
    home.locator("form[action*='/out-of-service'] button").click()
    expect(home).to_have_url(re.compile(r"/beds/\d+\?q=101-04$"))
    home.locator(f"main a[href^='{board_url}']").first.click()
    expect(home).to_have_url(re.compile(rf"{board_url}\?q=101-04$"))
    expect(home.locator("a.tile")).to_have_count(1)
    expect(home.get_by_test_id("bed-101-04")).to_have_attribute("data-state", "out_of_service")
    _screenshot(home, "manager-board-after-action-phone.png")


@pytest.mark.browser
def test_a_son_on_a_phone_finds_a_home_with_an_open_bed(app, db, open_page, open_home):
    son = open_page(PHONE, is_mobile=True, has_touch=True)
    son.goto("/open-beds")
    # Each choice reloads the page: wait for the new page before choosing again (a choice made on the
    # page being replaced is lost, which made this test fail now and then).
    son.locator("select[name=care_type]").select_option("ordinary")
    expect(son).to_have_url(re.compile(r"care_type=ordinary"))
    son.wait_for_load_state()
    expect(son.get_by_test_id("home-link")).to_have_count(0)
    son.locator("select[name=care_type]").select_option("nursing")
    expect(son).to_have_url(re.compile(r"care_type=nursing"))
    son.wait_for_load_state()
    expect(son.get_by_test_id("home-link")).to_have_count(1)
    expect(son.get_by_test_id("apply-help")).to_be_visible()
    _screenshot(son, "open-beds-phone.png")
    son.get_by_test_id("home-link").click()
    expect(son).to_have_url(re.compile(rf"/open-beds/{open_home['facility_id']}$"))
    expect(son.get_by_test_id("home-open-nursing")).to_have_text("2")
    expect(son.get_by_test_id("home")).to_contain_text("海阳路8号")
    _screenshot(son, "open-home-phone.png")


@pytest.mark.browser
def test_an_empty_trend_chart_says_why_on_a_phone(app, db, open_page, bureau_staff):
    staff = open_page(PHONE, is_mobile=True, has_touch=True)
    _log_in(staff, bureau_staff.username)
    staff.goto("/dashboard/trends")
    chart = staff.locator("main .chart-narrow svg")  # the drawing a phone shows
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("暂无每日数据")
    expect(chart).not_to_contain_text("No data")
    _screenshot(staff, "trends-empty-phone.png")
