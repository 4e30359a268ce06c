"""The dashboard's figures kept between changes (eldercare.cache.revised): after each change in one
home, the caregiver figures and the occupancy equal the same figures worked out from nothing, and
the homes that did not change keep their rows."""

from contextlib import contextmanager

from eldercare.cache import WROTE
from eldercare.caregivers import queries as caregivers
from eldercare.caregivers import services as caregiver_services
from eldercare.caregivers.models import EmploymentStatus
from eldercare.dashboard import services as dashboard
from eldercare.extensions import db
from eldercare.facilities import queries, registry
from eldercare.facilities import services as beds
from eldercare.facilities.models import Bed, FacilityType
from eldercare.residents.models import AbilityLevel
from tests import factories
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
    return caregivers.figures(today), caregivers.roster_figures(today), dashboard.occupancy()


def assert_as_if_afresh(today):
    kept = figures(today)
    with afresh():
        assert kept == figures(today)
    return kept


def test_figures_after_each_change_in_one_home_equal_figures_worked_out_afresh(city, db, bureau_admin):  # noqa: F811
    today, h1, h2, h3 = city["today"], city["h1"], city["h2"], city["h3"]
    vacant = [db.session.get(Bed, b["id"]) for b in queries.vacant_beds(h1.id)]
    steps = [  # (the home changed, the change)
        (h1, lambda: caregiver_services.record_pre_job_training(city["manager"], city["c"][3], trained_on=today,
                                                                hours=40, provider="职教中心", passed=True)),
        (h1, lambda: beds.admit(city["manager"], vacant[0], factories.elder(ability_level=AbilityLevel.complete),
                                on=today)),
        (h2, lambda: caregiver_services.change_status(city["manager2"], caregiver_services.current_employment(
            city["c"][6].id), EmploymentStatus.on_leave, on=today)),
        (h1, lambda: beds.take_out_of_service(city["manager"], vacant[1])),
        (h3, lambda: registry.update(bureau_admin, h3, name=h3.name, town_id=city["town_a"].id,
                                     ownership=h3.ownership, address="", operator="", licensed_beds=10,
                                     medical_integrated=False, serves_tekun=None, tekun_reserve=None, opened_on=None)),
        (h2, lambda: registry.change_type(bureau_admin, h2, FacilityType.regional_center, on=today)),
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
            assert kept == (home is not changed), (changed.name if changed else None, home.name)
        before = after
    assert before[0]["facilities"][h1.id]["covered"] == 4
    assert {t["id"]: t["caregivers"] for t in before[0]["towns"]} == {city["town_a"].id: 4, city["town_b"].id: 0}


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
