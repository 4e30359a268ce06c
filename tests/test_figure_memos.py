"""The dashboard's figures kept between changes (eldercare.cache.revised): after each change in one
home, the caregiver figures and the occupancy equal the same figures worked out from nothing, and
the homes that did not change keep their rows; the page's rendered figures and charts are kept until
what they show changes."""

from contextlib import contextmanager
from datetime import timedelta

from flask import template_rendered
from flask_babel import force_locale

from eldercare.cache import WROTE
from eldercare.caregivers import queries as caregivers
from eldercare.caregivers import services as caregiver_services
from eldercare.caregivers.models import EmploymentStatus
from eldercare.dashboard import charts
from eldercare.dashboard import services as dashboard
from eldercare.extensions import db
from eldercare.facilities import queries, registry
from eldercare.facilities import services as beds
from eldercare.facilities.models import Bed, FacilityType
from eldercare.models import utcnow
from eldercare.residents.models import AbilityLevel
from tests import factories
from tests.conftest import login, post
from tests.test_caregivers import city  # noqa: F401 (the fixture: three homes in two towns, with rosters)


@contextmanager
def afresh():
    """Every memo bypassed, as inside a transaction that wrote: the figures are worked out from nothing."""
    db.session.info[WROTE] = True
    try:
        yield
    finally:
        db.session.info.pop(WROTE, None)


def figures(today):
    """The caregiver figures (with and without the staffing check), the occupancy, every facility in
    order of its last bed change (the freshness list's order) and the nursing-type share."""
    return (caregivers.figures(today), caregivers.roster_figures(today), dashboard.occupancy(),
            dashboard._by_last_change(), dashboard.care_ratio(today.year))


def assert_as_if_afresh(today):
    kept = figures(today)
    with afresh():
        assert kept == figures(today)
    return kept


def test_figures_after_each_change_in_one_home_equal_figures_worked_out_afresh(city, db, bureau_admin):  # noqa: F811
    today, h1, h2, h3 = city["today"], city["h1"], city["h2"], city["h3"]
    vacant = [db.session.get(Bed, b["id"]) for b in queries.vacant_beds(h1.id)]
    steps = [  # (the home changed, or None when the directory's order changes and everything is counted again)
        (h1, lambda: caregiver_services.record_pre_job_training(city["manager"], city["c"][3], trained_on=today,
                                                                hours=40, provider="职教中心", passed=True)),
        (h1, lambda: beds.admit(city["manager"], vacant[0], factories.elder(ability_level=AbilityLevel.complete),
                                on=today)),
        (h2, lambda: caregiver_services.change_status(city["manager2"], caregiver_services.current_employment(
            city["c"][6].id), EmploymentStatus.on_leave, on=today)),
        (h1, lambda: beds.take_out_of_service(city["manager"], vacant[1])),
        (h2, lambda: registry.change_type(bureau_admin, h2, FacilityType.regional_center, on=today)),
        (None, lambda: registry.update(bureau_admin, h3, name=h3.name, town_id=city["town_a"].id,
                                       ownership=h3.ownership, address="", operator="", licensed_beds=10,
                                       medical_integrated=False, serves_tekun=None, tekun_reserve=None,
                                       opened_on=None)),
        (h1, lambda: caregiver_services.change_status(city["manager"], caregiver_services.current_employment(
            city["c"][4].id), EmploymentStatus.on_leave, on=today)),
        (None, lambda: registry.register(bureau_admin, name="新开的养老院", type=FacilityType.private_home,
                                         town_id=city["town_b"].id, ownership=h3.ownership)),
    ]
    before = assert_as_if_afresh(today)
    for changed, step in steps:
        step()
        db.session.commit()
        after = assert_as_if_afresh(today)
        for home in (h1, h2, h3):  # the others keep their rows, and the towns' sums are adjusted
            kept = after[0]["facilities"][home.id] is before[0]["facilities"][home.id]
            assert kept == (changed is not None and home is not changed), (changed and changed.name, home.name)
        before = after
    assert before[0]["facilities"][h1.id]["covered"] == 3
    assert {t["id"]: t["caregivers"] for t in before[0]["towns"]} == {city["town_a"].id: 3, city["town_b"].id: 0}


def test_a_change_in_one_home_adjusts_its_towns_and_the_citys_sums(city, db):  # noqa: F811
    today, h1, h3 = city["today"], city["h1"], city["h3"]
    before = figures(today)
    caregiver_services.record_pre_job_training(city["manager"], city["c"][3], trained_on=today, hours=40,
                                               provider="职教中心", passed=True)
    db.session.commit()
    after = figures(today)
    assert after[0]["facilities"][h3.id] is before[0]["facilities"][h3.id]
    assert after[0]["facilities"][h1.id]["covered"] == before[0]["facilities"][h1.id]["covered"] + 1
    assert after[0]["city"]["covered"] == before[0]["city"]["covered"] + 1

    def town_a(f):
        return next(t for t in f[0]["towns"] if t["id"] == city["town_a"].id)

    assert town_a(after)["covered"] == town_a(before)["covered"] + 1
    assert town_a(after)["shortfall"] == town_a(before)["shortfall"] - 1  # H1 was one trained caregiver short


@contextmanager
def templates_rendered(app):
    names = []

    def record(_sender, template, **_extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def test_the_dashboards_figures_are_rendered_once_per_change(app, client, city, db, bureau_staff):  # noqa: F811
    login(client, bureau_staff)
    first = client.get("/dashboard").get_data(as_text=True)
    with templates_rendered(app) as names:
        again = client.get("/dashboard").get_data(as_text=True)
    assert again == first and "dashboard/index.html" in names
    assert not [n for n in names if n.startswith("dashboard/_")]  # nothing changed: the figures are kept
    caregiver_services.record_pre_job_training(city["manager"], city["c"][3], trained_on=city["today"], hours=40,
                                               provider="职教中心", passed=True)
    db.session.commit()
    with templates_rendered(app) as names:
        after = client.get("/dashboard").get_data(as_text=True)
    assert {"dashboard/_ratio_occupancy.html", "dashboard/_community_caregivers_waitlist.html"} <= set(names)
    assert 'data-testid="coverage">80.0%' in first and 'data-testid="coverage">100.0%' in after
    post(client, "/language/en")
    english = client.get("/dashboard").get_data(as_text=True)
    assert "Caregivers" in english and "护理员" not in english.split('data-testid="caregivers"')[1][:300]


def test_a_chart_is_drawn_again_only_when_its_figures_change(app, city):  # noqa: F811
    ratio = dashboard.care_ratio(city["today"].year)
    with app.test_request_context("/"):
        drawn = charts.town_ratio_chart(ratio)
        assert charts.town_ratio_chart({**ratio, "towns": [dict(t) for t in ratio["towns"]]}) is drawn
        shares = [{**t, "ratio": 0.5} for t in ratio["towns"]]
        assert charts.town_ratio_chart({**ratio, "towns": shares}) is not drawn
        with force_locale("en"):
            assert "Nursing-type share by town" in charts.town_ratio_chart(ratio)
        assert "Nursing-type share by town" not in drawn


def test_the_stale_list_grows_with_the_clock_alone(city, db, monkeypatch):  # noqa: F811
    now = utcnow()
    fresh = dashboard.freshness(30)
    assert fresh["stale_count"] == len(fresh["stale"]) == 0  # every home has just changed a bed
    monkeypatch.setattr(dashboard, "utcnow", lambda: now + timedelta(days=31))
    later = dashboard.freshness(30)
    with_beds = {f.id for f in queries.facility_directory() if f.id in queries.counts_by_facility()}
    assert later["stale_count"] == len(with_beds) and {f["id"] for f in later["stale"]} == with_beds


def test_the_directory_asks_its_order_again_only_when_a_name_or_town_changes(city, db, bureau_admin):  # noqa: F811
    from tests.test_cache import statements

    h1, h3 = city["h1"], city["h3"]
    queries.facility_directory()
    beds.take_out_of_service(city["manager"], queries_bed(h1))
    db.session.commit()
    with statements() as seen:
        directory = queries.facility_directory()
    assert not [s for s in seen if "ORDER BY town.code" in s]
    assert [f.name for f in directory] == ["一号院", "二号院", "三号院"]
    registry.update(bureau_admin, h3, name="甲号院", town_id=city["town_a"].id, ownership=h3.ownership, address="",
                    operator="", licensed_beds=10, medical_integrated=False, serves_tekun=None, tekun_reserve=None,
                    opened_on=None)
    db.session.commit()
    with statements() as seen:
        directory = queries.facility_directory()
    assert len([s for s in seen if "ORDER BY town.code" in s]) == 1
    with afresh():
        assert [f.name for f in directory] == [f.name for f in queries.facility_directory()]


def test_a_report_on_a_past_month_keeps_the_dashboards_caregiver_figures(city, db):  # noqa: F811
    from tests.test_cache import statements

    today = city["today"]
    caregivers.figures(today)
    caregivers.roster_figures(today - timedelta(days=40))  # what a report on an earlier month reads
    beds.take_out_of_service(city["manager"], queries_bed(city["h1"]))
    db.session.commit()
    with statements() as seen:
        kept = caregivers.figures(today)
    read = [s for s in seen if "FROM employment" in s]
    assert read and all("employment.facility_id IN" in s for s in read)  # the changed home's rows, not every home's
    with afresh():
        assert kept == caregivers.figures(today)


def queries_bed(home) -> Bed:
    return db.session.get(Bed, queries.vacant_beds(home.id)[0]["id"])
