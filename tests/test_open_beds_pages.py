"""Issue 14, point 5: the public open-bed pages (a page per home, the town and care-type filter,
the plain explanations) and the searchable list of preferred homes on the application form."""

import re

import pytest

from eldercare.auth.models import Role
from eldercare.facilities import queries, reserve
from eldercare.facilities import services as bed_services
from eldercare.facilities.models import Bed, CareType
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post


@pytest.fixture
def homes(db, town, manager, facility):
    """Two towns: `facility` (如城街道) with 2 nursing and 1 ordinary open beds, one of them taken;
    a home of 白蒲镇 with 1 ordinary open bed."""
    facility.address = "如皋市海阳路8号"
    beds = [factories.bed(facility, care_type=care, open_to_public=True)
            for care in (CareType.nursing, CareType.nursing, CareType.ordinary, CareType.nursing)]
    bed_services.admit(manager, beds[3], factories.elder(name="隐私老人"), on=local_today())
    other_town = factories.town("白蒲镇", "320682102")
    other = factories.facility(other_town, name="白蒲颐养院")
    factories.bed(other, care_type=CareType.ordinary, open_to_public=True)
    db.session.commit()
    return facility, other


def _homes_listed(page):
    return re.findall(r'data-testid="home-link">([^<]+)<', page)


def test_the_filter_by_town_and_care_type(client, homes):
    facility, other = homes
    page = client.get("/open-beds").get_data(as_text=True)
    assert sorted(_homes_listed(page)) == sorted([facility.name, other.name])
    page = client.get(f"/open-beds?town={other.town_id}").get_data(as_text=True)
    assert _homes_listed(page) == [other.name] and 'data-testid="open-nursing">0<' in page
    page = client.get("/open-beds?care_type=nursing").get_data(as_text=True)
    assert _homes_listed(page) == [facility.name] and 'data-testid="open-nursing">2<' in page
    page = client.get(f"/open-beds?town={other.town_id}&care_type=nursing").get_data(as_text=True)
    assert _homes_listed(page) == [] and "目前没有符合条件的开放床位" in page
    assert client.get("/open-beds?care_type=luxury").status_code == 400


def test_a_page_per_home_counts_through_the_reserve_rule(client, homes):
    facility, _ = homes
    page = client.get(f"/open-beds/{facility.id}").get_data(as_text=True)
    counts = reserve.open_beds_by_care_type()[facility.id]
    assert f'data-testid="home-open-nursing">{counts["nursing"]}<' in page
    assert f'data-testid="home-open-ordinary">{counts["ordinary"]}<' in page
    assert counts == {"nursing": 2, "ordinary": 1}
    assert "如皋市海阳路8号" in page and "护理型" in page and "普通型" in page
    assert re.search(r'data-testid="home-updated">\d{4}-\d\d-\d\d \d\d:\d\d<', page)
    assert 'data-testid="apply-help"' in page and "/register" in page
    assert "隐私老人" not in page  # no personal data on a public page


def test_home_page_refuses_what_is_not_a_home(client, db, town):
    meals = factories.facility(town, type=factories.FacilityType.meal_point)
    db.session.commit()
    assert client.get(f"/open-beds/{meals.id}").status_code == 404
    assert client.get("/open-beds/999999").status_code == 404


def test_explanations_in_both_languages(client, homes):
    zh = client.get("/open-beds").get_data(as_text=True)
    assert "护理型床位" in zh and "谁可以申请" in zh and "如何申请" in zh
    post(client, "/language/en")
    en = client.get("/open-beds").get_data(as_text=True)
    assert "Nursing-type bed" in en and "Who may apply" in en and "谁可以申请" not in en


def test_preferred_homes_are_a_searchable_list_of_checkboxes(client, db, homes):
    facility, other = homes
    family = factories.user("fam", Role.family)
    login(client, family)
    page = client.get("/applications/new").get_data(as_text=True)
    assert 'data-filter-list="preferred_facility_ids"' in page
    assert re.search(rf'<input[^>]*name="preferred_facility_ids"[^>]*type="checkbox"[^>]*value="{other.id}"'
                     rf'|<input[^>]*type="checkbox"[^>]*name="preferred_facility_ids"[^>]*value="{other.id}"', page)
    assert "<select multiple" not in page and "<script>" not in page


def test_towns_first_then_the_homes_a_page_at_a_time(client, homes, monkeypatch):
    from eldercare import routing

    facility, other = homes
    monkeypatch.setattr(routing, "PER_PAGE", 1)
    page = client.get("/open-beds").get_data(as_text=True)
    towns = dict(re.findall(r'href="/open-beds\?town=(\d+)" data-testid="town-link">([^<]+)<', page))
    assert towns == {str(facility.town_id): facility.town.name, str(other.town_id): other.town.name}
    assert _homes_listed(page) == [facility.name] and "第 1 页，共 2 页" in page
    assert 'href="/open-beds?page=2" data-testid="next-page"' in page
    second = client.get("/open-beds?page=2").get_data(as_text=True)
    assert _homes_listed(second) == [other.name] and 'data-testid="previous-page"' in second
    assert _homes_listed(client.get("/open-beds?page=99").get_data(as_text=True)) == [other.name]  # the last one
    one_town = client.get(f"/open-beds?town={other.town_id}").get_data(as_text=True)
    assert _homes_listed(one_town) == [other.name] and 'data-testid="town-link"' not in one_town
    assert 'data-testid="next-page"' not in one_town
    assert client.get("/open-beds?town=999999").status_code == 404


def test_the_list_follows_a_change_at_once(client, db, homes, manager):
    facility, _other = homes
    assert 'data-testid="open-nursing">2<' in client.get("/open-beds").get_data(as_text=True)
    bed = db.session.get(Bed, next(b["id"] for b in queries.vacant_beds(facility.id) if b["care_type"] == "nursing"))
    bed_services.admit(manager, bed, factories.elder(), on=local_today())
    db.session.commit()
    assert 'data-testid="open-nursing">1<' in client.get("/open-beds").get_data(as_text=True)


def test_the_dashboards_open_beds_by_town_are_the_public_lists(homes):
    from eldercare.placements import queries as placements

    facility, other = homes
    by_town = {t["town"]: t["open_beds"] for t in placements.waitlist_figures()["towns"] if t["open_beds"]}
    listed = {name: t["nursing"] + t["ordinary"] for name, t in placements.open_beds_public()["towns"].items()}
    assert by_town == listed == {facility.town.name: 3, other.town.name: 1}
