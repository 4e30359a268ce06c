"""Caregiver services and figures on hand-made data whose answers are worked out by hand."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.caregivers import queries, services
from eldercare.caregivers.models import (
    NO_CERTIFICATE,
    Caregiver,
    Certificate,
    Employment,
    EmploymentStatus,
    Post,
    Reminder,
)
from eldercare.errors import DomainError, InvalidInput
from eldercare.facilities.models import CareType, FacilityType, Stay
from eldercare.identity import InvalidIdNumber, check_character
from eldercare.notifications import Notification, Outbox
from eldercare.residents.models import AbilityLevel
from eldercare.timekeeping import local_today
from tests import factories


def id_number(n: int, birth="19800101") -> str:
    first17 = f"320682{birth}{n:03d}"
    return first17 + check_character(first17)


def hire(actor, facility, n, name=None, *, post=Post.caregiver, pay=4000, hired_on=None):
    return services.hire(actor, facility, name=name or f"护理员{n}", id_number=id_number(n), mobile="13800000000",
                         hired_on=hired_on or local_today() - timedelta(days=400), post=post, monthly_pay=pay)


def residents(facility, care_type, *levels):
    for level in levels:
        bed = factories.bed(facility, care_type=care_type)
        elder = factories.elder(ability_level=level)
        factories.db.session.add(Stay(elder_id=elder.id, bed_id=bed.id, start_on=date(2024, 1, 1)))


@pytest.fixture
def city(db, bureau_admin):
    """Town A: home H1 (the manager's) and public home H2; town B: home H3 without disabled residents.

    H1 residents in nursing-type beds: 2 complete + 2 severe, 4 mild + 3 moderate; also a
    severe one in an ordinary bed and an intact one in a nursing-type bed (neither counts):
    needed = ceil(4/3) + ceil(7/6) = 2 + 2 = 4. H1 has 9 + 4 + 1 = 14 nursing-type beds.
    H1's caregivers working now in care posts: c1 (passed, level 4, 22 h), c2 (passed, level 5
    with an expired level 3, 12 h, paid below the level-5 band), c3 (failed pre-job training,
    no certificate), c4 (passed, no certificate, 30 h last year only); a nurse (not counted),
    c5 on leave (not counted) and c6, who left H1 for H2.
    Counted for staffing: c1, c2, c4 = 3 of 4 needed: short by 1, its 14 nursing beds at risk.
    H2: 3 complete residents in nursing-type beds, needs 1, has c6 (passed): not short.
    H3: 2 intact residents in nursing-type beds: needs 0.
    """
    today = local_today()
    town_a = factories.town("如城街道", "320682001")
    town_b = factories.town("东陈镇", "320682101")
    h1 = factories.facility(town_a, name="一号院")
    h2 = factories.facility(town_a, name="二号院", type=FacilityType.public_home)
    h3 = factories.facility(town_b, name="三号院")
    residents(h1, CareType.nursing, *[AbilityLevel.complete] * 2, *[AbilityLevel.severe] * 2,
              *[AbilityLevel.mild] * 4, *[AbilityLevel.moderate] * 3, AbilityLevel.intact)
    for _ in range(2):
        factories.bed(h1, care_type=CareType.nursing)  # vacant nursing-type beds count as at risk too
    residents(h1, CareType.ordinary, AbilityLevel.severe)
    residents(h2, CareType.nursing, *[AbilityLevel.complete] * 3)
    residents(h3, CareType.nursing, AbilityLevel.intact, AbilityLevel.intact)
    manager = factories.user("h1manager", Role.facility_manager, facilities=[h1])
    manager.phone = "13900000001"
    manager2 = factories.user("h2manager", Role.facility_manager, facilities=[h2])

    c = {}
    for n in range(1, 7):
        c[n] = hire(manager, h1, n, pay={2: 3000, 3: 2800}.get(n, 4000)).caregiver
    nurse = hire(manager, h1, 7, post=Post.nurse).caregiver
    long_ago = today - timedelta(days=1000)
    for person in (c[1], c[2], c[4], c[6], nurse):
        services.record_pre_job_training(manager, person, trained_on=long_ago, hours=40, provider="如皋市职教中心",
                                         passed=True)
    services.record_pre_job_training(manager, c[3], trained_on=long_ago, hours=40, provider="如皋市职教中心",
                                     passed=False)
    services.add_certificate(manager, c[1], number="L4-1", level=4, issued_on=long_ago, issuer="人社局")
    services.add_certificate(manager, c[1], number="L5-1", level=5, issued_on=long_ago, issuer="人社局")
    services.add_certificate(manager, c[2], number="L3-2", level=3, issued_on=long_ago, issuer="人社局",
                             expires_on=today - timedelta(days=1))
    services.add_certificate(manager, c[2], number="L5-2", level=5, issued_on=long_ago, issuer="人社局")
    year_start = date(today.year, 1, 1)
    services.record_training_session(manager, h1, course="失能照护", held_on=year_start, hours=12, provider="院内",
                                     caregiver_ids=[c[1].id, c[2].id])
    services.record_training_session(manager, h1, course="消防", held_on=today, hours=10, provider="消防大队",
                                     caregiver_ids=[c[1].id])
    services.record_training_session(manager, h1, course="去年", held_on=year_start - timedelta(days=3), hours=30,
                                     provider="院内", caregiver_ids=[c[4].id])
    employment5 = services.current_employment(c[5].id)
    services.change_status(manager, employment5, EmploymentStatus.on_leave, on=today)
    services.change_status(manager, services.current_employment(c[6].id), EmploymentStatus.left,
                           on=today - timedelta(days=30))
    hire(manager2, h2, 6, name=c[6].name, hired_on=today - timedelta(days=20))
    services.set_pay_bands(bureau_admin, today.year, {5: 3500, 4: 3800, NO_CERTIFICATE: 2500})
    factories.db.session.commit()
    return {"h1": h1, "h2": h2, "h3": h3, "town_a": town_a, "town_b": town_b, "c": c, "nurse": nurse,
            "manager": manager, "manager2": manager2, "today": today}


def test_figures_per_facility_town_and_city(city):
    figures = queries.figures(city["today"])
    h1 = figures["facilities"][city["h1"].id]
    assert (h1["caregivers"], h1["covered"], h1["uncovered"]) == (4, 3, 1)
    assert h1["coverage"] == 0.75
    assert h1["by_level"] == {5: 1, 4: 1, 3: 0, 2: 0, 1: 0, NO_CERTIFICATE: 2}
    assert (h1["certified"], h1["certified_share"]) == (2, 0.5)
    assert (h1["hours_met"], h1["minimum_hours"]) == (1, 20)
    assert h1["below_band"] == 1
    assert (h1["fully_disabled"], h1["partly_disabled"]) == (4, 7)
    assert (h1["needed"], h1["counted"], h1["shortfall"]) == (4, 3, 1)
    assert (h1["nursing_beds"], h1["nursing_beds_at_risk"]) == (14, 14)

    h2 = figures["facilities"][city["h2"].id]
    assert (h2["caregivers"], h2["covered"], h2["needed"], h2["shortfall"]) == (1, 1, 1, 0)
    assert h2["nursing_beds_at_risk"] == 0 and h2["nursing_beds"] == 3

    h3 = figures["facilities"][city["h3"].id]  # no disabled residents, no caregivers: nothing needed
    assert (h3["caregivers"], h3["needed"], h3["shortfall"], h3["coverage"]) == (0, 0, 0, None)
    assert h3["nursing_beds_at_risk"] == 0

    towns = {t["name"]: t for t in figures["towns"]}
    a = towns["如城街道"]
    assert (a["caregivers"], a["covered"], a["needed"], a["shortfall"], a["short_homes"]) == (5, 4, 5, 1, 1)
    assert (a["nursing_beds"], a["nursing_beds_at_risk"]) == (17, 14)
    assert towns["东陈镇"]["caregivers"] == 0 and towns["东陈镇"]["coverage"] is None
    assert figures["city"]["coverage"] == 0.8
    assert figures["city"]["nursing_beds_at_risk"] == 14



def test_roster_figures_are_the_figures_without_the_staffing_check(city):
    """A report on a past period prints only what the rosters say: the same numbers as figures(),
    without the staffing check, and without reading today's residents or beds for it."""
    from eldercare.cache import changed
    from tests.test_cache import statements

    changed(factories.db.session)
    factories.db.session.commit()
    with statements() as seen:
        roster = queries.roster_figures(city["today"])
    assert not [s for s in seen if "FROM stay" in s or "JOIN stay" in s]
    full = queries.figures(city["today"])
    staffing = {"fully_disabled", "partly_disabled", "needed", "counted", "shortfall", "short_homes", "nursing_beds",
                "nursing_beds_at_risk"}
    for scope_roster, scope_full in [(roster["city"], full["city"]),
                                     *zip(roster["towns"], full["towns"], strict=True),
                                     *((roster["facilities"][i], f) for i, f in full["facilities"].items())]:
        assert scope_roster == {k: v for k, v in scope_full.items() if k not in staffing}
    h1 = roster["facilities"][city["h1"].id]
    assert (h1["caregivers"], h1["covered"], h1["certified"], h1["below_band"]) == (4, 3, 2, 1)
    assert roster["city"]["coverage"] == 0.8 and "shortfall" not in roster["city"]

def test_one_caregiver_two_facilities_over_time(city, db):
    c6 = city["c"][6]
    spells = db.session.scalars(select(Employment).where(Employment.caregiver_id == c6.id)
                                .order_by(Employment.hired_on)).all()
    assert [(s.facility_id, s.status) for s in spells] == [(city["h1"].id, EmploymentStatus.left),
                                                           (city["h2"].id, EmploymentStatus.active)]
    assert db.session.scalar(select(func.count()).select_from(Caregiver).where(Caregiver.name == c6.name)) == 1
    # The old home keeps the spell in its history; its current roster no longer lists them.
    h1_roster = queries.roster(city["h1"].id, city["today"], with_pay=True, include_left=True)
    assert [r["status"] for r in h1_roster if r["id"] == c6.id] == ["left"]
    assert c6.id not in {r["id"] for r in queries.roster(city["h1"].id, city["today"], with_pay=True)}
    # The new home sees the pre-job training done while they worked at the old one.
    h2_roster = queries.roster(city["h2"].id, city["today"], with_pay=False)
    assert [(r["id"], r["covered"], r["monthly_pay"]) for r in h2_roster] == [(c6.id, True, None)]


def test_a_second_current_spell_is_refused(city, db):
    with pytest.raises(services.EmployedElsewhere):
        hire(city["manager"], city["h1"], 6, name=city["c"][6].name)
    with pytest.raises(services.AlreadyOnRoster):
        hire(city["manager"], city["h1"], 1)
    with pytest.raises(services.IdNumberNameMismatch):
        hire(city["manager2"], city["h2"], 1, name="别人")
    # c5 leaves H1 today; a hire dated before that would overlap the spell in H1.
    services.change_status(city["manager"], services.current_employment(city["c"][5].id), EmploymentStatus.left,
                           on=city["today"])
    with pytest.raises(InvalidInput):
        hire(city["manager2"], city["h2"], 5, hired_on=city["today"] - timedelta(days=1))
    assert hire(city["manager2"], city["h2"], 5, hired_on=city["today"]).facility_id == city["h2"].id


def test_derived_level_from_several_certificates(db, manager, facility):
    today = local_today()
    person = hire(manager, facility, 40).caregiver
    issued = today - timedelta(days=900)
    services.add_certificate(manager, person, number="A", level=5, issued_on=issued, issuer="人社局")
    services.add_certificate(manager, person, number="B", level=3, issued_on=issued, issuer="人社局",
                             expires_on=today - timedelta(days=1))
    services.add_certificate(manager, person, number="C", level=4, issued_on=issued, issuer="人社局",
                             expires_on=today + timedelta(days=10))
    revoked = services.add_certificate(manager, person, number="D", level=2, issued_on=issued, issuer="人社局")
    assert queries.current_level(person.id, today) == 2
    services.revoke_certificate(manager, revoked)
    assert queries.current_level(person.id, today) == 4  # 3 expired yesterday, 2 revoked
    assert queries.current_level(person.id, today + timedelta(days=11)) == 5
    assert queries.current_level(person.id, issued - timedelta(days=1)) == NO_CERTIFICATE
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "certificate")).all()
    assert actions.count("certificate.revoke") == 1


def test_correcting_a_certificate_is_audited_and_numbers_stay_unique(db, manager, facility):
    person = hire(manager, facility, 41).caregiver
    issued = local_today() - timedelta(days=10)
    first = services.add_certificate(manager, person, number="N-1", level=5, issued_on=issued, issuer="人社局")
    services.add_certificate(manager, person, number="N-2", level=4, issued_on=issued, issuer="人社局")
    with pytest.raises(services.DuplicateCertificate):
        services.add_certificate(manager, person, number="N-1", level=3, issued_on=issued, issuer="人社局")
    with pytest.raises(services.DuplicateCertificate):
        services.correct_certificate(manager, first, number="N-2", level=5, issued_on=issued, issuer="人社局",
                                     expires_on=None)
    services.correct_certificate(manager, first, number="N-1", level=3, issued_on=issued, issuer="人社局",
                                 expires_on=None)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.correct"))
    assert (event.before["level"], event.after["level"]) == (5, 3)
    with pytest.raises(InvalidInput):
        services.add_certificate(manager, person, number="N-3", level=6, issued_on=issued, issuer="人社局")


def test_bad_input_is_refused_and_changes_nothing(db, manager, facility):
    before = db.session.scalar(select(func.count()).select_from(Caregiver))
    with pytest.raises(InvalidIdNumber):
        services.hire(manager, facility, name="甲", id_number="340524198001010013", mobile=None,
                      hired_on=local_today(), post=Post.caregiver, monthly_pay=3000)
    with pytest.raises(InvalidInput):
        services.hire(manager, facility, name="甲", id_number=id_number(50), mobile="12345",
                      hired_on=local_today(), post=Post.caregiver, monthly_pay=3000)
    with pytest.raises(InvalidInput):
        services.hire(manager, facility, name="甲", id_number=id_number(50), mobile=None,
                      hired_on=local_today() + timedelta(days=1), post=Post.caregiver, monthly_pay=3000)
    with pytest.raises(InvalidInput):
        services.hire(manager, facility, name="甲", id_number=id_number(50), mobile=None,
                      hired_on=local_today(), post=Post.caregiver, monthly_pay=-1)
    assert db.session.scalar(select(func.count()).select_from(Caregiver)) == before
    person = hire(manager, facility, 51)
    with pytest.raises(DomainError):
        services.change_status(manager, person, EmploymentStatus.active, on=local_today())
    services.change_status(manager, person, EmploymentStatus.left, on=local_today())
    with pytest.raises(DomainError):
        services.change_status(manager, person, EmploymentStatus.active, on=local_today())


def test_the_id_number_is_masked_in_the_audit_trail_and_a_full_view_is_recorded(db, manager, facility,
                                                                                bureau_staff):
    person = hire(manager, facility, 60).caregiver
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "caregiver.register"))
    assert event.after["id_number"] == person.id_number[:6] + "********" + person.id_number[-4:]
    assert services.reveal_id_number(bureau_staff, person) == person.id_number
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "caregiver.view_id_number")) \
        == bureau_staff.id


def test_pay_bands_carry_over_and_changes_are_audited(db, bureau_admin):
    assert services.set_pay_bands(bureau_admin, 2024, {3: 5000, 5: 3000}) == 2
    assert services.set_pay_bands(bureau_admin, 2024, {3: 5000, 5: 3000}) == 0  # unchanged: nothing recorded
    services.set_pay_bands(bureau_admin, 2026, {5: 3300})
    assert queries.bands_in_force(2026) == {3: 5000, 5: 3300}
    assert queries.bands_in_force(2025) == {3: 5000, 5: 3000}
    assert queries.bands_in_force(2023) == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "pay_band.set")) == 3
    with pytest.raises(InvalidInput):
        services.set_pay_bands(bureau_admin, 2026, {5: -5})


def test_a_session_takes_only_caregivers_of_this_roster(city):
    other = hire(city["manager2"], city["h2"], 70).caregiver
    with pytest.raises(services.NotOnRoster):
        services.record_training_session(city["manager"], city["h1"], course="x", held_on=city["today"], hours=2,
                                         provider="院内", caregiver_ids=[city["c"][1].id, other.id])
    with pytest.raises(InvalidInput):
        services.record_training_session(city["manager"], city["h1"], course="x", held_on=city["today"], hours=2,
                                         provider="院内", caregiver_ids=[])


def test_the_reminder_job_twice_raises_each_reminder_once(city, db):
    day = date(city["today"].year, 12, 31)  # the last quarter: hours are checked
    expiring = city["today"] - timedelta(days=5)
    services.add_certificate(city["manager"], city["c"][4], number="EXP", level=5, issued_on=expiring,
                             issuer="人社局", expires_on=date(day.year + 1, 1, 20))
    db.session.commit()
    first = services.raise_reminders(day)
    db.session.commit()
    second = services.raise_reminders(day)
    db.session.commit()
    keys = sorted((r.caregiver.name, r.cause.value) for r in db.session.scalars(select(Reminder)))
    # c3 works without passed pre-job training; c2, c3, c4 (H1) and c6 (H2) are under 20 h this
    # year; c4's certificate expires within 60 days. The nurse and c5 (on leave) are not reminded.
    assert keys == sorted([
        ("护理员3", "no_pre_job_training"),
        ("护理员2", "behind_in_service_hours"), ("护理员3", "behind_in_service_hours"),
        ("护理员4", "behind_in_service_hours"), ("护理员6", "behind_in_service_hours"),
        ("护理员4", "certificate_expiring"),
    ])
    assert (first, second) == (6, 0)
    h1_notes = db.session.scalars(select(Notification).where(Notification.user_id == city["manager"].id)).all()
    assert len(h1_notes) == 5 and any("护理员3" in n.text for n in h1_notes)
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 5  # H1's manager has a phone
    assert len(queries.open_reminders(city["h1"].id)) == 5

    # c3 passes the training: that reminder closes at the next run and is not raised again.
    services.record_pre_job_training(city["manager"], city["c"][3], trained_on=city["today"], hours=40,
                                     provider="职教中心", passed=True)
    db.session.commit()
    assert services.raise_reminders(day) == 0
    open_causes = {(r["name"], r["cause"]) for r in queries.open_reminders(city["h1"].id)}
    assert ("护理员3", "no_pre_job_training") not in open_causes and len(open_causes) == 4


def test_figures_follow_a_change_at_once(city, db):
    before = queries.figures(city["today"])["facilities"][city["h1"].id]["covered"]
    services.record_pre_job_training(city["manager"], city["c"][3], trained_on=city["today"], hours=40,
                                     provider="职教中心", passed=True)
    db.session.commit()
    after = queries.figures(city["today"])["facilities"][city["h1"].id]
    assert (before, after["covered"], after["shortfall"]) == (3, 4, 0)


def test_certificates_cannot_be_valid_before_issue(db, manager, facility):
    person = hire(manager, facility, 80).caregiver
    with pytest.raises(InvalidInput):
        services.add_certificate(manager, person, number="Z", level=5, issued_on=local_today(), issuer="人社局",
                                 expires_on=local_today() - timedelta(days=1))
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_the_dashboard_shows_the_caregiver_figures(city, client, bureau_staff):
    from tests.conftest import login

    login(client, bureau_staff)
    page = client.get("/dashboard").get_data(as_text=True)
    section = page[page.index('data-testid="caregivers"'):]
    assert 'data-testid="coverage">80.0%' in section  # 4 of 5 caregivers at work in the city
    assert 'data-testid="beds-at-risk">14<' in section
    assert "一号院" in section  # the home short of caregivers is listed
    headline = page[page.index('data-testid="beds-at-risk-headline"'):][:120]
    assert " 14 " in headline
    assert "<svg" in section


def test_the_scheduled_job_raises_reminders_once(city, db):
    from eldercare import jobs

    assert any(job is jobs.caregiver_reminders for job, _trigger in jobs.JOBS)
    first = jobs.caregiver_reminders()
    assert first >= 1  # c3 works without passed pre-job training, whatever the day
    assert jobs.caregiver_reminders() == 0
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == first


def test_a_change_in_one_home_rereads_only_that_homes_caregivers(city, db):
    from tests.test_cache import statements

    today = city["today"]
    queries.figures(today)
    with statements() as seen:
        queries.figures(today)
    assert not [s for s in seen if "FROM employment" in s]  # nothing changed: nothing read again
    services.record_pre_job_training(city["manager"], city["c"][3], trained_on=today, hours=40,
                                     provider="职教中心", passed=True)
    db.session.commit()
    with statements() as seen:
        figures = queries.figures(today)
    reads = [s for s in seen if "FROM employment" in s]
    assert len(reads) == 1 and "IN" in reads[0]  # only H1, by id
    assert figures["facilities"][city["h1"].id]["covered"] == 4
    services.set_pay_bands(city["manager"], today.year, {5: 2000, 4: 3800, NO_CERTIFICATE: 2500})
    db.session.commit()
    assert queries.figures(today)["facilities"][city["h1"].id]["below_band"] == 0  # every home read afresh


def test_the_demo_has_rosters_with_the_gaps_a_bureau_would_recognise(db, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    figures = queries.figures(local_today())
    city = figures["city"]
    assert 0.85 <= city["coverage"] <= 0.95  # the 100% target shows work
    levels = city["by_level"]
    assert levels[5] > levels[4] > levels[3] > levels[2] and levels[5] + levels[4] > city["certified"] / 2
    assert 0 < city["below_band"] < city["caregivers"] * 0.15
    assert 0 < city["short_homes"] < len(figures["facilities"]) * 0.25
    assert 0 < city["nursing_beds_at_risk"] < city["nursing_beds"]
    assert db.session.scalar(select(func.count()).select_from(Reminder)) > 0
    moved = db.session.scalar(select(func.count()).select_from(Employment)
                              .where(Employment.status == EmploymentStatus.left))
    assert moved > 0  # some caregivers worked in another home before


def test_the_town_page_shows_beds_at_risk_beside_each_homes_ratio(city, client, bureau_staff):
    from tests.conftest import login

    login(client, bureau_staff)
    page = client.get(f"/dashboard/towns/{city['town_a'].id}").get_data(as_text=True)
    assert " 14 " in page[page.index('data-testid="town-beds-at-risk"'):][:120]
    cells = re.findall(r'data-testid="facility-beds-at-risk">(\d+)<', page)
    assert sorted(int(c) for c in cells) == [0, 14]


def test_a_day_before_any_record_is_refused(db, city, bureau_admin):  # noqa: F811
    """0001-01-01 typed for a training, a certificate, a home's opening or its change of type."""
    from datetime import date

    from eldercare.facilities import registry
    from eldercare.facilities.models import FacilityType

    slip = date(1, 1, 1)
    steps = [
        lambda: services.record_pre_job_training(city["manager"], city["c"][1], trained_on=slip, hours=40,
                                                 provider="职教中心", passed=True),
        lambda: services.record_training_session(city["manager"], city["h1"], course="消防", held_on=slip, hours=2,
                                                 provider="职教中心", caregiver_ids=[city["c"][1].id]),
        lambda: services.add_certificate(city["manager"], city["c"][1], number="Z-1", level=4, issued_on=slip,
                                         issuer="人社局"),
        lambda: registry.register(bureau_admin, name="新开的养老院", type=FacilityType.private_home,
                                  town_id=city["town_a"].id, ownership=city["h1"].ownership, opened_on=slip),
        lambda: registry.change_type(bureau_admin, city["h2"], FacilityType.regional_center, on=date(1999, 12, 31)),
    ]
    for step in steps:
        with pytest.raises(DomainError) as refused:
            step()
        assert "不能早于" in str(refused.value)
        db.session.rollback()
