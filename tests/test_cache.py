"""Cached figures follow every committed change, from any connection, and never keep
uncommitted data."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import Bed, BedState
from eldercare.models import utcnow
from eldercare.timekeeping import local_today
from tests import factories


@contextmanager
def statements():
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def vacant_in(facility_id):
    return sum(r.n for r in queries.bed_tallies() if r.facility_id == facility_id and r.state == BedState.vacant)


def test_change_committed_elsewhere_is_seen_at_once(app, manager, facility):
    bed = factories.bed(facility)
    factories.bed(facility)
    elder = factories.elder()
    db.session.commit()
    assert vacant_in(facility.id) == 2
    with statements() as seen:
        assert queries.bed_tallies() == queries.bed_tallies()
    assert not any("FROM bed" in s for s in seen)  # served from memory while nothing changes

    def admit_in_another_thread():
        with app.app_context():
            services.admit(db.session.get(type(manager), manager.id),
                           db.session.get(Bed, bed.id), db.session.get(type(elder), elder.id), on=local_today())
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=admit_in_another_thread)
    thread.start()
    thread.join(30)
    db.session.commit()  # end this test's read transaction, as a new request would
    assert vacant_in(facility.id) == 1


def test_rolled_back_change_is_never_cached(app, manager, facility):
    bed = factories.bed(facility)
    db.session.commit()
    assert vacant_in(facility.id) == 1
    services.take_out_of_service(manager, bed)
    assert vacant_in(facility.id) == 0  # this session sees its own change, computed afresh
    db.session.rollback()
    assert vacant_in(facility.id) == 1


def test_a_change_in_one_home_rereads_that_home_only(app, manager, facility, town):
    other = factories.facility(town, "另一家养老院")
    factories.bed(other)
    bed = factories.bed(facility)
    db.session.commit()
    assert vacant_in(facility.id) == 1 and vacant_in(other.id) == 1
    services.take_out_of_service(manager, bed)
    db.session.commit()
    with statements() as seen:
        assert vacant_in(facility.id) == 0 and vacant_in(other.id) == 1
    bed_reads = [s for s in seen if "FROM bed" in s]
    assert len(bed_reads) == 1 and "IN" in bed_reads[0]  # only the changed home, by id


def test_a_residents_new_category_refreshes_their_home(app, manager, facility):
    from eldercare.residents.models import Category

    elder = factories.elder(category=Category.general)
    services.admit(manager, factories.bed(facility), elder, on=local_today())
    db.session.commit()
    assert [r.category for r in queries.resident_tallies()] == ["general"]
    elder.category = Category.tekun
    db.session.commit()
    assert [r.category for r in queries.resident_tallies()] == ["tekun"]


# Every cached figure against a count of its own, in plain SQL, after changes in one home at a time
# (the figures are then adjusted, not recomputed: eldercare.cache.revised and derived).

INSTITUTION = "('public_home', 'private_home', 'regional_center', 'street_center', 'embedded_home')"
FRESH_COUNT = text(f"""
SELECT f.id, f.town_id, f.type IN {INSTITUTION} AS institution,
  COUNT(CASE WHEN b.kind = 'institution' THEN 1 END) AS total,
  COUNT(CASE WHEN b.kind = 'institution' AND b.care_type = 'nursing' THEN 1 END) AS nursing,
  COUNT(CASE WHEN b.kind = 'institution' AND b.out_of_service THEN 1 END) AS out_of_service,
  COUNT(CASE WHEN b.kind = 'day_care' THEN 1 END) AS day_care,
  COUNT(CASE WHEN b.kind = 'family_care' THEN 1 END) AS family_care,
  COUNT(CASE WHEN NOT b.out_of_service AND s.id IS NOT NULL THEN 1 END) AS occupied,
  COUNT(CASE WHEN NOT b.out_of_service AND s.id IS NULL AND h.id IS NULL AND NOT b.needs_cleaning
        THEN 1 END) AS vacant,
  COUNT(CASE WHEN b.kind = 'institution' AND NOT b.out_of_service AND s.id IS NOT NULL THEN 1 END)
    AS institution_occupied,
  COUNT(CASE WHEN b.kind = 'institution' AND NOT b.out_of_service AND s.id IS NULL AND h.id IS NULL
        AND NOT b.needs_cleaning THEN 1 END) AS institution_vacant,
  COUNT(CASE WHEN b.kind = 'institution' AND NOT b.out_of_service AND s.id IS NULL AND h.id IS NULL
        AND NOT b.needs_cleaning AND b.open_to_public THEN 1 END) AS institution_vacant_open,
  COUNT(CASE WHEN b.kind = 'institution' AND b.care_type = 'ordinary' AND NOT b.out_of_service THEN 1 END)
    AS ordinary_in_service,
  COUNT(CASE WHEN b.kind = 'institution' THEN s.id END) AS residents,
  COUNT(CASE WHEN b.kind = 'institution' AND e.ability_level IN ('severe', 'complete') THEN s.id END)
    AS most_disabled
FROM facility f
LEFT JOIN bed b ON b.facility_id = f.id AND b.retired_on IS NULL
LEFT JOIN stay s ON s.bed_id = b.id AND s.end_on IS NULL
LEFT JOIN elder e ON e.id = s.elder_id
LEFT JOIN bed_hold h ON h.bed_id = b.id AND h.released_at IS NULL
GROUP BY f.id, f.town_id, f.type ORDER BY f.id""")


def assert_api_figures_are_fresh(get):
    """GET /api/v1/stats/care-ratio (the city and each town) and every page of GET /api/v1/facilities
    (two a page), through `get(path) -> JSON`, equal FRESH_COUNT; returns the city's care ratio."""
    fresh = {r.id: r for r in db.session.execute(FRESH_COUNT)}
    institutions = [r for r in fresh.values() if r.institution]
    city = get("/api/v1/stats/care-ratio")
    assert (city["nursing_beds"], city["total_beds"]) == (
        sum(r.nursing for r in institutions), sum(r.total for r in institutions))
    for town_id in {r.town_id for r in fresh.values()}:
        town = get(f"/api/v1/stats/care-ratio?town={town_id}")
        in_town = [r for r in institutions if r.town_id == town_id]
        assert (town["nursing_beds"], town["total_beds"]) == (
            sum(r.nursing for r in in_town), sum(r.total for r in in_town))
    listed, url = [], "/api/v1/facilities?limit=2"
    while url:
        page = get(url)
        listed += page["items"]
        url = page["next"] and "/api/" + page["next"].split("/api/", 1)[1]
    assert {f["id"]: (f["beds_total"], f["beds_nursing"], f["beds_day_care"], f["beds_family_care"],
                      f["beds_occupied"], f["beds_vacant"]) for f in listed} == {
        fid: (r.total if r.institution else 0, r.nursing if r.institution else 0, r.day_care, r.family_care,
              r.occupied, r.vacant) for fid, r in fresh.items()}
    return city


def assert_figures_are_fresh(client, headers):
    """The API's figures, care_ratio (every facility and town, the city), occupancy (every
    facility, the city), the planner's and the reserves' inputs and the per-facility counts by
    state, each equal to FRESH_COUNT."""
    from eldercare.dashboard import services as dashboard
    from eldercare.facilities import reserve

    db.session.commit()  # a new request's transaction
    api = assert_api_figures_are_fresh(lambda path: client.get(path, headers=headers).json)
    fresh = {r.id: r for r in db.session.execute(FRESH_COUNT)}
    institutions = {fid: r for fid, r in fresh.items() if r.institution}
    ratio = dashboard.care_ratio(local_today().year)
    assert {f["id"]: (f["nursing"], f["total"], f["out_of_service"]) for f in ratio["facilities"]} == {
        fid: (r.nursing, r.total, r.out_of_service) for fid, r in institutions.items()}
    for town in ratio["towns"]:
        in_town = [r for r in institutions.values() if r.town_id == town["id"]]
        assert (town["nursing"], town["total"], town["out_of_service"]) == (
            sum(r.nursing for r in in_town), sum(r.total for r in in_town), sum(r.out_of_service for r in in_town))
    assert (ratio["city"]["nursing"], ratio["city"]["total"]) == (api["nursing_beds"], api["total_beds"])
    occupancy = dashboard.occupancy()
    with_beds = {fid: r for fid, r in institutions.items() if r.total}
    assert {fid: (f["total"], f["occupied_all"], f["vacant"], f["out_of_service"])
            for fid, f in occupancy["by_facility"].items()} == {
        fid: (r.total, r.institution_occupied, r.institution_vacant, r.out_of_service) for fid, r in with_beds.items()}
    assert (occupancy["city"]["total"], occupancy["city"]["occupied_all"], occupancy["city"]["vacant"]) == (
        sum(r.total for r in with_beds.values()), sum(r.institution_occupied for r in with_beds.values()),
        sum(r.institution_vacant for r in with_beds.values()))
    ordinary, disability = dashboard._in_service_ordinary(), dashboard._disability()  # the planner's inputs
    assert {fid: n for fid, n in ordinary.items() if n} == {
        fid: r.ordinary_in_service for fid, r in fresh.items() if r.ordinary_in_service}
    assert {fid: d for fid, d in disability.items() if d[0]} == {
        fid: (r.residents, r.most_disabled) for fid, r in fresh.items() if r.residents}
    for fid, r in reserve.reserves().items():
        assert (r.vacant_open, r.vacant_closed) == (
            fresh[fid].institution_vacant_open, fresh[fid].institution_vacant - fresh[fid].institution_vacant_open)
    counts = queries.counts_by_facility()
    for fid, r in fresh.items():
        by_state = counts[fid]["counts"] if fid in counts else queries.empty_counts()
        assert by_state[BedState.vacant] == r.vacant and \
            sum(by_state[s] for s in (BedState.occupied, BedState.on_leave, BedState.in_hospital)) == r.occupied
    return api


def beds_of(home) -> list[Bed]:
    return list(db.session.scalars(select(Bed).where(Bed.facility_id == home.id).order_by(Bed.id)))


@pytest.fixture
def homes(app, db, town, manager, facility):
    from eldercare.auth.models import Role
    from eldercare.facilities.models import BedKind, CareType, FacilityType

    other_town = factories.town("东陈镇", code="320682101")
    public = factories.facility(other_town, "东陈镇敬老院", type=FacilityType.public_home)
    meals = factories.facility(town, "如城助餐点", type=FacilityType.meal_point)
    manager.facilities.extend([public, meals])
    for home in (facility, public):
        for i in range(3):
            factories.bed(home, care_type=CareType.nursing if i else CareType.ordinary)
    factories.bed(meals, kind=BedKind.day_care, care_type=CareType.ordinary)
    bureau = factories.user("bureau1", Role.bureau_staff)
    db.session.commit()
    from tests.api_helpers import bearer, token_for

    return {"homes": [facility, public, meals], "headers": bearer(token_for(bureau)), "other_town": other_town}


def test_every_cached_figure_equals_a_fresh_count_after_each_change(app, client, db, manager, homes):
    from eldercare.auth.models import Role
    from eldercare.facilities import registry
    from eldercare.facilities.models import BedKind, CareType, FacilityType
    from eldercare.residents.models import AbilityLevel

    facility, public, meals = homes["homes"]
    headers = homes["headers"]
    assert_figures_are_fresh(client, headers)
    first, second, third = beds_of(facility)
    today = local_today()
    stay = None

    def admit():
        nonlocal stay
        stay = services.admit(manager, first, factories.elder(ability_level=AbilityLevel.severe), on=today)

    admin = factories.user("admin1", Role.bureau_admin)
    steps = [
        admit,
        lambda: services.take_out_of_service(manager, second),
        lambda: services.change_care_type(manager, third, CareType.ordinary),
        lambda: services.place_hold(manager, beds_of(public)[0],
                                    until=utcnow() + timedelta(days=1)),
        lambda: services.create_bed(manager, public, code="新-01", care_type=CareType.nursing),
        lambda: services.create_bed(manager, meals, code="家-01", care_type=CareType.ordinary,
                                    kind=BedKind.family_care),
        lambda: services.set_open_to_public(manager, beds_of(public)[1], True),
        lambda: services.discharge(manager, stay, on=today),
        lambda: services.return_to_service(manager, second),
        lambda: services.retire_bed(manager, second),
        lambda: registry.change_type(admin, public, FacilityType.regional_center, on=today),
        lambda: registry.update(admin, facility, name=facility.name, town_id=homes["other_town"].id,
                                ownership=facility.ownership, address="", operator="", licensed_beds=10,
                                medical_integrated=True, serves_tekun=None, tekun_reserve=None, opened_on=None),
        lambda: registry.register(admin, name="新开的养老院", type=FacilityType.private_home,
                                  town_id=homes["other_town"].id, ownership=facility.ownership),
    ]
    for step in steps:
        step()
        db.session.commit()
        assert_figures_are_fresh(client, headers)


def test_a_change_in_one_home_reads_that_home_and_adjusts_the_sums(app, client, db, manager, homes):
    """After a change in one home: one read of that home's beds (by id), none of the city's, and
    the facility list reads the beds of its page only."""
    from eldercare.dashboard import services as dashboard

    facility, public, _meals = homes["homes"]
    assert_figures_are_fresh(client, homes["headers"])
    before = dashboard.care_ratio(local_today().year)
    services.take_out_of_service(manager, beds_of(public)[0])
    db.session.commit()
    with statements() as seen:
        after = dashboard.care_ratio(local_today().year)
    bed_reads = [s for s in seen if "FROM bed" in s]
    assert len(bed_reads) == 1 and "IN" in bed_reads[0]
    assert after["city"]["out_of_service"] == before["city"]["out_of_service"] + 1
    rows = {f["id"]: f for f in after["facilities"]}
    assert rows[facility.id] is next(f for f in before["facilities"] if f["id"] == facility.id)  # kept as it was
    assert rows[public.id]["out_of_service"] == 1

    services.take_out_of_service(manager, beds_of(facility)[0])
    db.session.commit()
    with statements() as seen:
        page = client.get("/api/v1/facilities?limit=1", headers=homes["headers"]).json
    assert [f["id"] for f in page["items"]] == [facility.id]
    bed_reads = [s for s in seen if "FROM bed" in s]
    assert len(bed_reads) == 1 and "IN" in bed_reads[0]  # the page's one home, not the city


def test_two_homes_changed_at_once_by_two_threads(app, client, db, manager, homes):
    from tests.test_concurrency import race

    facility, public, _meals = homes["homes"]
    assert_figures_are_fresh(client, homes["headers"])
    user_id = manager.id
    for round_ in range(3):
        bed_ids = [beds_of(home)[round_].id for home in (facility, public)]

        def out_of_service(bed_id):
            def attempt():
                services.take_out_of_service(db.session.get(type(manager), user_id), db.session.get(Bed, bed_id))
            return attempt

        db.session.commit()
        assert race(app, [out_of_service(bed_id) for bed_id in bed_ids]) == ["ok", "ok"]
        api = assert_figures_are_fresh(client, homes["headers"])
        assert api["total_beds"] == 6
    assert queries.counts_by_facility()[public.id]["counts"][BedState.out_of_service] == 3
