"""Issue 14, point 8: staff forms. The year's target on a page of its own, bulk add naming the
beds it added, the rooms page's forms above its table with rooms linking to their beds, a new
account starting at the least powerful role, a searchable facility picker, the shortfall shown
once per row, priority points labelled as points, and an ID number error on the ID field."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from eldercare.auth.models import Role, User
from eldercare.dashboard import targets
from eldercare.dashboard.models import CareTarget
from eldercare.facilities.models import Bed, CareType
from eldercare.models import utcnow
from eldercare.placements.models import Status
from tests import factories
from tests.conftest import field_markup, login, post
from tests.test_dashboard import YEAR, city  # noqa: F401  (the fixture of four towns with known shortfalls)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the year's target ----------------------------------------------------------------------

def test_the_dashboard_links_to_the_target_page_and_has_no_target_form(client, city, bureau_admin):  # noqa: F811
    login(client, bureau_admin)
    page = client.get(f"/dashboard?year={YEAR}").get_data(as_text=True)
    headline = re.search(r'data-testid="city-ratio".*?</section>', page, re.S).group(0)
    assert f'href="/dashboard/target?year={YEAR}"' in headline
    assert 'name="percent"' not in page and "/dashboard/targets" not in page


def test_staff_read_the_target_page_and_only_the_administrator_changes_it(client, city, bureau_staff,  # noqa: F811
                                                                          bureau_admin):
    targets.set_target(bureau_admin, YEAR, Decimal("0.76"))
    factories.db.session.commit()
    login(client, bureau_staff)
    page = client.get(f"/dashboard/target?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="target-value">76.0%<' in page
    assert 'name="percent"' not in page  # staff read it
    assert post(client, "/dashboard/target", {"year": YEAR, "percent": "50"}).status_code == 403
    assert targets.target_for(YEAR) == Decimal("0.76")


def test_the_administrator_sets_the_target_on_its_page(db, client, city, bureau_admin):  # noqa: F811
    login(client, bureau_admin)
    page = client.get(f"/dashboard/target?year={YEAR}").get_data(as_text=True)
    assert 'name="percent"' in page and 'value="74' in field_markup(page, "percent")
    assert f'value="{YEAR}"' in field_markup(page, "year")
    response = post(client, "/dashboard/target", {"year": YEAR, "percent": "80"}, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/dashboard/target"
    assert response.request.args["year"] == str(YEAR)
    assert targets.target_for(YEAR) == Decimal("0.8")
    page = response.get_data(as_text=True)
    assert 'data-testid="target-value">80.0%<' in page
    assert f'<tr data-year="{YEAR}">' in page  # the years with a target of their own, listed


def test_a_bad_target_says_why_on_its_field_and_changes_nothing(db, client, bureau_admin):
    login(client, bureau_admin)
    for data, name in [({"year": YEAR, "percent": "180"}, "percent"), ({"year": YEAR, "percent": "0"}, "percent"),
                       ({"year": YEAR, "percent": "NaN"}, "percent"), ({"year": YEAR, "percent": ""}, "percent"),
                       ({"year": "abc", "percent": "60"}, "year"), ({"year": "1999", "percent": "60"}, "year")]:
        response = post(client, "/dashboard/target", data)
        assert response.status_code == 422, data
        page = response.get_data(as_text=True)
        field = field_markup(page, name)
        assert 'class="field has-error"' in field and 'class="error"' in field, data
    assert _count(db, CareTarget) == 0
    assert targets.target_for(YEAR) == Decimal("0.74")


# --- the shortfall once per row ---------------------------------------------------------------

def _row(page: str, marker: str) -> str:
    return re.search(rf"<tr {marker}>.*?</tr>", page, re.S).group(0)


def _text(markup: str) -> str:
    return re.sub(r"<[^>]+>", " ", markup)


def _mentions(text: str, number: int) -> int:
    return len(re.findall(rf"(?<![\d.]){number}(?![\d.%])", text))


def test_the_town_table_shows_the_shortfall_once(client, city, bureau_staff):  # noqa: F811
    login(client, bureau_staff)
    page = client.get(f"/dashboard?year={YEAR}").get_data(as_text=True)
    short = _text(_row(page, 'data-town="长江镇"'))  # 10 nursing-type of 20: 5 beds short
    assert _mentions(short, 5) == 1 and _mentions(short, 10) == 1 and _mentions(short, 20) == 1
    assert "5 张" in short  # the one mention says what the number is
    table = re.search(r'<table data-testid="town-table">.*?</thead>', page, re.S).group(0)
    assert "缺口" not in table  # no column repeating the verdict's number


def test_the_town_page_shows_each_facilitys_shortfall_once(client, city, bureau_staff):  # noqa: F811
    login(client, bureau_staff)
    page = client.get(f"/dashboard/towns/{city['short'].id}?year={YEAR}").get_data(as_text=True)
    home = _text(_row(page, f'data-facility="{city["a"].id}"'))  # 2 nursing-type of 10: 6 beds short
    assert _mentions(home, 6) == 1 and "6 张" in home


# --- priority points ------------------------------------------------------------------------------

def test_waiting_is_labelled_as_points_where_the_score_is_shown(db, client, facility, bureau_staff):
    family = factories.user("fam", Role.family)
    application = factories.application(family, status=Status.approved)
    application.submitted_at = utcnow() - timedelta(days=32)  # 0.1 point a day: 3.2 points
    bed = factories.bed(facility, code="9-01", care_type=CareType.ordinary, open_to_public=True)
    db.session.commit()
    login(client, bureau_staff)
    shown = client.get(f"/applications/{application.id}").get_data(as_text=True)
    match = client.get(f"/beds/{bed.id}/match").get_data(as_text=True)
    for page in (shown, match):
        assert "轮候天数" not in page  # 3.2 is not a number of days
        assert re.search(r"轮候时长(?:</span><span>|\s)3\.2 分", page), page
    assert re.search(r'data-testid="score-total">\d+(\.\d+)? 分<', shown)


# --- rooms and beds ------------------------------------------------------------------------------

def test_bulk_add_names_the_beds_it_added(db, client, manager, facility):
    room = factories.room(facility, "A101")
    factories.bed(facility, code="A101-01", room=room)
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms",
                    {"which": "beds", "beds-room_id": room.id, "beds-count": "12", "beds-care_type": "nursing",
                     "beds-kind": "institution"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已添加 12 张床位：A101-02 … A101-13" in page  # short: the first, the last and the count
    added = re.search(r'data-testid="added-beds".*?</section>', page, re.S).group(0)
    beds = db.session.scalars(select(Bed).where(Bed.code != "A101-01").order_by(Bed.code)).all()
    assert [b.code for b in beds] == [f"A101-{n:02d}" for n in range(2, 14)]
    assert re.findall(r'<a class="button" href="/beds/(\d+)">([^<]+)</a>', added) == [(str(b.id), b.code) for b in beds]
    # The list is shown once, after the addition, not on every later visit.
    assert 'data-testid="added-beds"' not in client.get(f"/facilities/{facility.id}/rooms").get_data(as_text=True)


def test_bulk_add_of_one_bed_names_it(db, client, manager, facility):
    room = factories.room(facility, "7")
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/rooms",
                    {"which": "beds", "beds-room_id": room.id, "beds-count": "1", "beds-care_type": "ordinary",
                     "beds-kind": "institution"}, follow_redirects=True)
    assert "已添加 1 张床位：7-01" in response.get_data(as_text=True)


def test_a_refused_bulk_add_lists_no_beds(db, client, manager, facility):
    room = factories.room(facility, "8")
    db.session.commit()
    login(client, manager)
    for count in ("0", "201", "x"):
        response = post(client, f"/facilities/{facility.id}/rooms",
                        {"which": "beds", "beds-room_id": room.id, "beds-count": count, "beds-care_type": "nursing",
                         "beds-kind": "institution"}, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert 'data-testid="added-beds"' not in page and "已添加" not in page
    assert _count(db, Bed) == 0


def test_the_rooms_page_puts_its_forms_above_the_table_and_rooms_link_to_their_beds(db, client, manager, facility):
    room = factories.room(facility, "101")
    factories.bed(facility, code="101-01", room=room)
    factories.room(facility, "102")  # no beds yet: nothing to link to
    db.session.commit()
    login(client, manager)
    page = client.get(f"/facilities/{facility.id}/rooms").get_data(as_text=True)
    assert page.index('name="which" value="room"') < page.index("<table")
    assert page.index('name="which" value="beds"') < page.index("<table")
    assert f'<a href="/facilities/{facility.id}/board#room-101">101</a>' in page
    assert f'href="/facilities/{facility.id}/board#room-102"' not in page
    board = client.get(f"/facilities/{facility.id}/board").get_data(as_text=True)
    assert 'id="room-101"' in board


def test_staff_who_do_not_manage_the_home_see_the_table_first_and_no_forms(db, client, bureau_staff, facility):
    factories.room(facility, "101")
    db.session.commit()
    login(client, bureau_staff)
    page = client.get(f"/facilities/{facility.id}/rooms").get_data(as_text=True)
    assert "<table" in page and 'name="which"' not in page


# --- accounts ------------------------------------------------------------------------------

def test_a_new_account_starts_at_the_least_powerful_role(client, bureau_admin):
    login(client, bureau_admin)
    page = client.get("/users").get_data(as_text=True)
    role = re.search(r'<select[^>]*name="role".*?</select>', page, re.S).group(0)
    selected = [value for attributes, value in re.findall(r'<option([^>]*)value="(\w+)"', role)
                if "selected" in attributes]
    assert selected == ["family"]
    # The form comes before the list of accounts, which grows long with every home's managers.
    assert page.index('name="username"') < page.index("<table")


def test_a_new_account_posted_without_a_role_is_a_family_account(db, client, bureau_admin):
    login(client, bureau_admin)
    post(client, "/users", {"username": "li.si", "full_name": "李四", "password": "a long password"})
    assert db.session.scalar(select(User.role).where(User.username == "li.si")) == Role.family


def test_the_facility_picker_is_a_searchable_list_of_checkboxes(db, client, bureau_admin, town, facility):
    other = factories.facility(town, name="丁堰敬老院")
    account = factories.user("zhao", Role.facility_manager)
    login(client, bureau_admin)
    page = client.get(f"/users/{account.id}/facilities").get_data(as_text=True)
    assert re.search(r'<input[^>]*data-filter-list="facility_ids"', page)
    assert re.search(r'<ul class="checks homes" id="facility_ids">', page)
    assert len(re.findall(r'<input[^>]*type="checkbox"[^>]*name="facility_ids"|'
                          r'<input[^>]*name="facility_ids"[^>]*type="checkbox"', page)) == 2
    assert "Ctrl" not in page
    assert post(client, f"/users/{account.id}/facilities", {"facility_ids": [other.id]}).status_code == 302
    db.session.expire_all()
    assert [f.id for f in db.session.get(User, account.id).facilities] == [other.id]
    # A facility that is not on the list changes nothing.
    post(client, f"/users/{account.id}/facilities", {"facility_ids": [other.id + 1000]})
    db.session.expire_all()
    assert [f.id for f in db.session.get(User, account.id).facilities] == [other.id]


def test_the_family_form_keeps_its_searchable_homes_list(client, family, facility):
    login(client, family)
    page = client.get("/applications/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*data-filter-list="preferred_facility_ids"', page)
    assert re.search(r'<ul class="checks homes" id="preferred_facility_ids">', page)
