"""The bureau's figures on hand-made data with known answers."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from eldercare.cache import changed
from eldercare.dashboard import services, snapshots, targets
from eldercare.dashboard.models import DailySnapshot
from eldercare.extensions import db as _db
from eldercare.facilities import queries
from eldercare.facilities import services as beds
from eldercare.facilities.models import Bed, BedKind, CareType, Facility, FacilityType
from eldercare.models import utcnow
from eldercare.residents.models import AbilityLevel, Category
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post

YEAR = 2024


def add_beds(facility, nursing, ordinary, **fields):
    made = [factories.bed(facility, care_type=CareType.nursing, **fields) for _ in range(nursing)]
    made += [factories.bed(facility, care_type=CareType.ordinary, **fields) for _ in range(ordinary)]
    return made


@pytest.fixture
def city(db):
    """Four towns: short of the target, without beds, meeting it exactly, and one whose only
    facility has out-of-service beds alone; plus community beds that stay out of the ratio."""
    short = factories.town("长江镇", "320682014")
    empty = factories.town("城北街道", "320682002")
    exact = factories.town("白蒲镇", "320682003")
    broken = factories.town("丁堰镇", "320682004")
    a = factories.facility(short, "如城敬老院", FacilityType.public_home)
    b = factories.facility(short, "如城颐养院", FacilityType.private_home, medical_integrated=True)
    add_beds(a, 2, 8)  # 2 of 10
    add_beds(b, 8, 2)  # 8 of 10 -> town 10 of 20 = 50%
    c = factories.facility(exact, "白蒲养老中心", FacilityType.regional_center)
    add_beds(c, 37, 13)  # 37 of 50 = 74% exactly
    d = factories.facility(broken, "丁堰养老院", FacilityType.private_home)
    add_beds(d, 0, 3, out_of_service=True)
    point = factories.facility(exact, "白蒲助餐点", FacilityType.meal_point)
    add_beds(point, 0, 6, kind=BedKind.day_care)
    add_beds(c, 0, 4, kind=BedKind.family_care)
    db.session.commit()
    return {"short": short, "empty": empty, "exact": exact, "broken": broken, "a": a, "b": b, "c": c, "d": d}


def town_row(ratio, town):
    return next(t for t in ratio["towns"] if t["id"] == town.id)


def test_ratio_and_shortfall_by_town_and_city(city):
    ratio = services.care_ratio(YEAR)
    assert ratio["target"] == 0.74
    short = town_row(ratio, city["short"])
    assert (short["nursing"], short["total"], short["ratio"]) == (10, 20, 0.5)
    assert short["shortfall"] == 5 and short["meets"] is False  # ceil(0.74 * 20 - 10) = ceil(4.8)
    empty = town_row(ratio, city["empty"])
    assert (empty["total"], empty["ratio"], empty["shortfall"], empty["meets"]) == (0, None, 0, None)
    exact = town_row(ratio, city["exact"])
    assert (exact["nursing"], exact["total"], exact["shortfall"], exact["meets"]) == (37, 50, 0, True)
    broken = town_row(ratio, city["broken"])
    assert (broken["total"], broken["out_of_service"], broken["ratio"], broken["shortfall"]) == (3, 3, 0.0, 3)
    # community and family care beds stay out; the city is the sum of its towns
    assert (ratio["city"]["nursing"], ratio["city"]["total"]) == (47, 73)
    assert ratio["city"]["shortfall"] == 8  # ceil(54.02 - 47)
    assert [t["name"] for t in ratio["towns"]][:2] == ["长江镇", "丁堰镇"]  # most beds short first
    facility = next(f for f in ratio["facilities"] if f["id"] == city["a"].id)
    assert (facility["ratio"], facility["shortfall"]) == (0.2, 6)  # ceil(7.4 - 2)


def test_target_is_configurable_per_year(city, bureau_admin):
    targets.set_target(bureau_admin, YEAR, Decimal("0.5"))
    _db.session.commit()
    assert town_row(services.care_ratio(YEAR), city["short"])["meets"] is True  # 50% of 20 met exactly
    assert services.care_ratio(YEAR + 1)["target"] == 0.74  # other years keep the default


def test_planner_takes_the_fewest_conversions_and_says_what_each_does(city, manager):
    # residents of the public home are the most disabled; the private home is medical-care integrated
    for bed in queries.vacant_beds(city["a"].id)[:2]:
        elder = factories.elder(category=Category.tekun, ability_level=AbilityLevel.complete)
        beds.admit(manager, _db.session.get(Bed, bed["id"]), elder, on=local_today())
    _db.session.commit()
    plan = services.conversion_plan(YEAR, city["short"].id)
    assert plan["conversions"] == 5 == plan["before"]["shortfall"] and plan["reachable"]
    first, second = plan["steps"]
    assert (first["facility"], first["convert"]) == ("如城颐养院", 2)  # medical care first; it has 2 ordinary
    assert (second["facility"], second["convert"]) == ("如城敬老院", 3)
    assert first["scope_ratio_before"] == 0.5 and first["scope_ratio_after"] == 0.6
    assert second["scope_ratio_after"] == 0.75
    city_plan = services.conversion_plan(YEAR)
    assert city_plan["conversions"] == city_plan["before"]["shortfall"] == 8


def test_planner_reports_when_conversion_alone_cannot_reach(city):
    plan = services.conversion_plan(YEAR, city["broken"].id)
    assert plan["before"]["shortfall"] == 3 and plan["conversions"] == 0 and not plan["reachable"]


def test_planner_page_and_csv(client, city, bureau_staff):
    login(client, bureau_staff)
    page = client.get(f"/dashboard/planner?town={city['short'].id}&year={YEAR}").get_data(as_text=True)
    assert "如城颐养院" in page and "60.0%" in page
    response = client.get(f"/dashboard/planner.csv?town={city['short'].id}&year={YEAR}")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 3 and lines[1].startswith("如城颐养院,长江镇,2,")
    assert client.get("/dashboard/planner?town=99999").status_code == 404


def test_occupancy_public_homes_reserve_and_surplus(city, manager):
    public = city["a"]
    public_beds = queries.vacant_beds(public.id)
    bed_objects = [_db.session.get(Bed, b["id"]) for b in public_beds]
    for bed in bed_objects[:3]:
        beds.admit(manager, bed, factories.elder(category=Category.tekun), on=local_today())
    for bed in bed_objects[3:8]:
        bed.open_to_public = True
    public.tekun_reserve = 5  # 3 tekun residents in, 2 vacant beds to keep; 2 vacant closed beds do that
    _db.session.commit()
    occ = services.occupancy()
    assert occ["tekun_in_care"] == 3 and occ["tekun_reserve"] == 5
    assert occ["surplus_open_beds"] == 5
    public.tekun_reserve = 7  # now 4 vacant beds needed, only 2 closed ones: 2 open beds go to the reserve
    _db.session.commit()
    assert services.occupancy()["surplus_open_beds"] == 3
    assert occ["public_homes"]["vacancy_rate"] == 7 / 10
    assert occ["by_type"]["public_home"]["occupied_all"] == 3
    assert occ["other_homes"]["out_of_service"] == 3


def test_freshness_flags_facilities_without_recent_changes(city):
    for bed in _db.session.scalars(select(Bed).where(Bed.facility_id == city["d"].id)):
        bed.changed_at = utcnow() - timedelta(days=20)
    _db.session.commit()
    fresh = services.freshness(14)
    stale = {f["name"] for f in fresh["stale"]}
    assert "丁堰养老院" in stale and "如城敬老院" not in stale


def test_snapshot_job_is_idempotent(app, city):
    from eldercare.jobs import daily_snapshot

    assert daily_snapshot() == 5  # one row per facility
    assert daily_snapshot() == 0
    assert _db.session.scalar(select(func.count()).select_from(DailySnapshot)) == 5
    row = _db.session.scalar(select(DailySnapshot).where(DailySnapshot.facility_id == city["c"].id))
    assert (row.beds, row.beds_nursing, row.vacant, row.out_of_service) == (50, 37, 50, 0)


def test_snapshot_from_two_threads_records_each_facility_once(app, city):
    barrier = threading.Barrier(2)
    errors = []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                snapshots.record()
                _db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert _db.session.scalar(select(func.count()).select_from(DailySnapshot)) == 5


def test_backfill_matches_the_point_in_time_census(app, city, manager, runner):
    today = local_today()
    bed_list = _db.session.scalars(select(Bed).where(Bed.facility_id == city["c"].id).limit(3)).all()
    s1 = beds.admit(manager, bed_list[0], factories.elder(), on=today - timedelta(days=9))
    beds.admit(manager, bed_list[1], factories.elder(), on=today - timedelta(days=6))
    beds.discharge(manager, s1, on=today - timedelta(days=3))
    _db.session.commit()
    start = (today - timedelta(days=10)).isoformat()
    result = runner.invoke(args=["snapshots", "backfill", "--from", start])
    assert result.exit_code == 0, result.output
    facilities = _db.session.scalar(select(func.count()).select_from(Facility))
    assert f"{10 * facilities} snapshots" in result.output  # one per facility and day
    for back in range(1, 11):
        day = today - timedelta(days=back)
        census = queries.census([city["c"].id], day, with_residents=False)
        row = _db.session.scalar(select(DailySnapshot).where(DailySnapshot.facility_id == city["c"].id,
                                                              DailySnapshot.day == day))
        assert row.occupied == census["occupied_institution"], day
        assert row.vacant is None  # only known live
    assert runner.invoke(args=["snapshots", "backfill", "--from", start]).output.strip().endswith(
        "0 snapshots recorded.")
    trend = snapshots.monthly_trend(months=2)
    assert len(trend) == 2 and any(m["days"] for m in trend)


def test_dashboard_page_shows_the_service_figures(client, city, bureau_staff):
    login(client, bureau_staff)
    page = client.get("/dashboard").get_data(as_text=True)  # this year: the share now
    assert 'data-testid="city-ratio-value">64.3%<' in page  # 47 / 73 = 64.38%, never rounded up
    assert "<svg" in page and "pygal" in page and "kozea.github.io" not in page
    assert client.get("/dashboard?year=1").status_code == 400


def test_admin_sets_target_and_bad_target_changes_nothing(client, city, bureau_admin):
    login(client, bureau_admin)
    post(client, "/dashboard/target", {"year": YEAR, "percent": "80"})
    assert targets.target_for(YEAR) == Decimal("0.8")
    post(client, "/dashboard/target", {"year": YEAR, "percent": "180"})
    post(client, "/dashboard/target", {"year": "abc", "percent": "60"})
    assert targets.target_for(YEAR) == Decimal("0.8")


def count_queries(client, urls):
    counts = {}
    statements = []

    def before(*args):
        statements.append(1)

    engine = _db.engine
    for url in urls:
        client.get(url)  # every memo has a previous result, as on a server (the order of homes is then kept)
    event.listen(engine, "before_cursor_execute", before)
    try:
        for url in urls:
            for state in ("cold", "warm"):
                if state == "cold":
                    changed(_db.session)  # as after a change everywhere: every figure is read afresh
                    _db.session.commit()
                statements.clear()
                assert client.get(url).status_code == 200
                counts[url, state] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return counts


def test_query_count_does_not_grow_with_the_data(app, client, runner):
    from eldercare import demo
    from eldercare.auth.models import User
    from tests.conftest import _empty_tables

    urls = ["/dashboard", "/dashboard/planner", "/facilities"]
    counts = []
    for scale in (1, 3):
        demo.seed(scale, today=local_today())
        _db.session.commit()
        post(client, "/logout")
        login(client, _db.session.scalar(select(User).where(User.username == "bureau")), password="eldercare-demo")
        counts.append(count_queries(client, urls))
        _db.session.remove()
        _empty_tables()
    assert counts[0] == counts[1]
    assert counts[0]["/dashboard", "warm"] < counts[0]["/dashboard", "cold"]


def test_dashboard_tables_download_as_csv_and_xlsx_with_formulas_escaped(client, city, bureau_staff):
    from io import BytesIO

    from openpyxl import load_workbook

    city["a"].name = "=SUM(A1:A9)"  # a hostile name must stay text in every file
    _db.session.commit()
    login(client, bureau_staff)
    towns = client.get(f"/dashboard/towns.csv?year={YEAR}")
    assert towns.mimetype == "text/csv" and towns.get_data(as_text=True).lstrip("\ufeff").count("\n") > 1
    facilities = client.get(f"/dashboard/facilities.csv?year={YEAR}").get_data(as_text=True)
    assert "'=SUM(A1:A9)" in facilities
    book = load_workbook(BytesIO(client.get(f"/dashboard/facilities.xlsx?year={YEAR}").data))
    names = [row[0].value for row in book.active.iter_rows(min_row=2)]
    cell = next(row[0] for row in book.active.iter_rows(min_row=2) if row[0].value == "=SUM(A1:A9)")
    assert "=SUM(A1:A9)" in names and cell.data_type == "s"
    town_only = client.get(f"/dashboard/facilities.csv?town={city['short'].id}&year={YEAR}").get_data(as_text=True)
    rows = town_only.lstrip("\ufeff").splitlines()[1:]
    assert rows and all(row.split(",")[1] == city["short"].name for row in rows)
    assert len(rows) < len(facilities.splitlines()) - 1
    plan = client.get(f"/dashboard/planner.xlsx?town={city['short'].id}&year={YEAR}")
    assert plan.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert client.get("/dashboard/facilities.csv?town=99999").status_code == 404


def test_the_city_plan_converts_in_towns_below_the_target_first(client, city, bureau_staff):
    """Found: the city plan converted beds mostly in towns that already met the target."""
    favoured = services.conversion_plan(YEAR)
    assert [s["facility"] for s in favoured["steps"]] == ["如城颐养院", "如城敬老院"]  # both in the short town
    anywhere = services.conversion_plan(YEAR, None, False)
    assert [s["facility"] for s in anywhere["steps"]] == ["如城颐养院", "白蒲养老中心"]  # most ordinary beds
    assert favoured["conversions"] == anywhere["conversions"] == 8
    login(client, bureau_staff)
    page = client.get(f"/dashboard/planner?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="towns-reason"' in page and "如城敬老院" in page and "白蒲养老中心" not in page
    other = client.get(f"/dashboard/planner?year={YEAR}&towns=any").get_data(as_text=True)
    assert "白蒲养老中心" in other
