from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eldercare.audit import AuditEvent
from eldercare.errors import InvalidInput
from eldercare.facilities import queries, services
from eldercare.facilities.models import Away, BedKind, BedState, CareType, FacilityType, Stay
from eldercare.models import utcnow
from eldercare.timekeeping import local_today
from tests import factories


@pytest.fixture
def today(app):
    return local_today()


def test_admit_makes_bed_occupied_and_is_audited(db, manager, facility, today):
    bed, elder = factories.bed(facility), factories.elder()
    stay = services.admit(manager, bed, elder, on=today)
    db.session.commit()
    assert queries.state_of(bed.id) == BedState.occupied
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stay.admit"))
    assert event.actor_id == manager.id and event.entity_id == stay.id and event.facility_id == facility.id
    assert event.after["start_on"] == today.isoformat()


def test_discharge_then_clean_cycle(db, manager, facility, today):
    bed, elder = factories.bed(facility), factories.elder()
    stay = services.admit(manager, bed, elder, on=today - timedelta(days=10))
    services.discharge(manager, stay, on=today)
    assert queries.state_of(bed.id) == BedState.needs_cleaning
    services.mark_cleaned(manager, bed)
    assert queries.state_of(bed.id) == BedState.vacant
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["stay.admit", "stay.discharge", "bed.cleaned"]


def test_admit_refuses_occupied_and_out_of_service_beds(db, manager, facility, today):
    bed = factories.bed(facility)
    services.admit(manager, bed, factories.elder(), on=today)
    with pytest.raises(services.BedNotAvailable):
        services.admit(manager, bed, factories.elder(), on=today)
    broken = factories.bed(facility, out_of_service=True)
    with pytest.raises(services.BedNotAvailable, match="out of service|停用"):
        services.admit(manager, broken, factories.elder(), on=today)


def test_admit_refuses_elder_who_already_has_a_bed(db, manager, facility, today):
    elder = factories.elder()
    services.admit(manager, factories.bed(facility), elder, on=today)
    with pytest.raises(services.ElderAlreadyStaying):
        services.admit(manager, factories.bed(facility), elder, on=today)


def test_admit_refuses_future_date(db, manager, facility, today):
    with pytest.raises(services.InvalidDate):
        services.admit(manager, factories.bed(facility), factories.elder(), on=today + timedelta(days=1))


def test_discharge_before_admission_is_refused(db, manager, facility, today):
    stay = services.admit(manager, factories.bed(facility), factories.elder(), on=today - timedelta(days=3))
    with pytest.raises(services.InvalidDate, match="before the admission date|不能早于入住日期"):
        services.discharge(manager, stay, on=today - timedelta(days=4))
    assert stay.end_on is None


def test_backdated_admission_cannot_overlap_an_earlier_stay_of_the_bed(db, manager, facility, today):
    bed = factories.bed(facility)
    first = services.admit(manager, bed, factories.elder(), on=today - timedelta(days=30))
    services.discharge(manager, first, on=today - timedelta(days=10))
    services.mark_cleaned(manager, bed)
    with pytest.raises(services.StaysWouldOverlap):
        services.admit(manager, bed, factories.elder(), on=today - timedelta(days=20))
    # the day of discharge is the first free day
    services.admit(manager, bed, factories.elder(), on=today - timedelta(days=10))


def test_backdated_admission_cannot_overlap_an_earlier_stay_of_the_elder(db, manager, facility, today):
    elder = factories.elder()
    stay = services.admit(manager, factories.bed(facility), elder, on=today - timedelta(days=30))
    services.discharge(manager, stay, on=today - timedelta(days=5))
    with pytest.raises(services.StaysWouldOverlap):
        services.admit(manager, factories.bed(facility), elder, on=today - timedelta(days=6))


def test_transfer_ends_old_stay_and_starts_new_in_one_step(db, manager, facility, today):
    old_bed, new_bed, elder = factories.bed(facility), factories.bed(facility), factories.elder()
    stay = services.admit(manager, old_bed, elder, on=today - timedelta(days=5))
    new_stay = services.transfer(manager, stay, new_bed, on=today)
    db.session.commit()
    assert stay.end_on == today and stay.end_reason.value == "transferred"
    assert new_stay.start_on == today and new_stay.bed_id == new_bed.id
    assert queries.state_of(old_bed.id) == BedState.needs_cleaning
    assert queries.state_of(new_bed.id) == BedState.occupied


def test_transfer_into_occupied_bed_changes_nothing(db, manager, facility, today):
    a, b = factories.bed(facility), factories.bed(facility)
    stay = services.admit(manager, a, factories.elder(), on=today)
    services.admit(manager, b, factories.elder(), on=today)
    db.session.commit()
    with pytest.raises(services.BedNotAvailable):
        services.transfer(manager, stay, b, on=today)
    db.session.rollback()
    assert db.session.get(Stay, stay.id).end_on is None


def test_away_states_show_on_the_bed(db, manager, facility, today):
    bed = factories.bed(facility)
    stay = services.admit(manager, bed, factories.elder(), on=today)
    services.set_away(manager, stay, Away.hospital)
    assert queries.state_of(bed.id) == BedState.in_hospital
    services.set_away(manager, stay, Away.leave)
    assert queries.state_of(bed.id) == BedState.on_leave
    services.set_away(manager, stay, None)
    assert queries.state_of(bed.id) == BedState.occupied


def test_out_of_service_cycle_and_refusal_when_occupied(db, manager, facility, today):
    bed = factories.bed(facility)
    services.take_out_of_service(manager, bed)
    assert queries.state_of(bed.id) == BedState.out_of_service
    services.return_to_service(manager, bed)
    services.admit(manager, bed, factories.elder(), on=today)
    with pytest.raises(services.BedNotAvailable):
        services.take_out_of_service(manager, bed)


def test_change_care_type_is_audited_with_before_and_after(db, manager, facility):
    bed = factories.bed(facility, care_type=CareType.ordinary)
    services.change_care_type(manager, bed, CareType.nursing)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bed.care_type"))
    assert event.before["care_type"] == "ordinary" and event.after["care_type"] == "nursing"
    with pytest.raises(InvalidInput):
        services.change_care_type(manager, bed, CareType.nursing)


def test_hold_blocks_admission_until_released_or_expired(db, manager, facility, today):
    bed = factories.bed(facility)
    hold = services.place_hold(manager, bed, until=utcnow() + timedelta(hours=72), note="张家")
    assert queries.state_of(bed.id) == BedState.on_hold
    with pytest.raises(services.BedNotAvailable):
        services.admit(manager, bed, factories.elder(), on=today)
    services.release_hold(manager, bed)
    assert queries.state_of(bed.id) == BedState.vacant
    # an expired hold holds the bed until it is released (by the job, or by a new hold replacing it)
    hold = services.place_hold(manager, bed, until=utcnow() + timedelta(hours=1))
    hold.expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert queries.state_of(bed.id) == BedState.on_hold
    services.place_hold(manager, bed, until=utcnow() + timedelta(hours=2))
    assert queries.state_of(bed.id) == BedState.on_hold and hold.released_at is not None


def test_bulk_create_gives_distinct_codes_continuing_the_room(db, manager, facility):
    room = factories.room(facility, "3")
    factories.bed(facility, code="3-01", room=room)
    beds = services.bulk_create_beds(manager, facility, room=room, count=10, care_type=CareType.nursing)
    db.session.commit()
    assert [b.code for b in beds] == [f"3-{n:02d}" for n in range(2, 12)]
    assert all(b.care_type == CareType.nursing for b in beds)
    created = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "bed.create")
    assert db.session.scalar(created) == 10


@pytest.mark.parametrize("count", [0, -1, 201])
def test_bulk_create_refuses_bad_counts(db, manager, facility, count):
    room = factories.room(facility)
    with pytest.raises(InvalidInput):
        services.bulk_create_beds(manager, facility, room=room, count=count, care_type=CareType.nursing)


def test_duplicate_bed_code_is_refused(db, manager, facility):
    services.create_bed(manager, facility, code="A-1", care_type=CareType.nursing)
    with pytest.raises(services.DuplicateCode):
        services.create_bed(manager, facility, code="A-1", care_type=CareType.ordinary)


def test_meal_point_cannot_have_institution_beds(db, manager, town):
    point = factories.facility(town, type=FacilityType.meal_point)
    with pytest.raises(InvalidInput):
        services.create_bed(manager, point, code="1", care_type=CareType.ordinary)
    services.create_bed(manager, point, code="1", care_type=CareType.ordinary, kind=BedKind.day_care)


def test_census_of_a_past_day_comes_from_stays(db, manager, facility, today):
    bed_a, bed_b = factories.bed(facility), factories.bed(facility, care_type=CareType.ordinary)
    d = today - timedelta(days=20)
    s1 = services.admit(manager, bed_a, factories.elder(name="甲"), on=d)
    services.discharge(manager, s1, on=d + timedelta(days=10))
    services.mark_cleaned(manager, bed_a)
    services.admit(manager, bed_a, factories.elder(name="乙"), on=d + timedelta(days=10))
    services.admit(manager, bed_b, factories.elder(name="丙"), on=d + timedelta(days=5))
    db.session.commit()

    def names(day):
        return sorted(r["name"] for r in queries.census([facility.id], day, with_residents=True)["residents"])

    assert names(d - timedelta(days=1)) == []
    assert names(d) == ["甲"]
    assert names(d + timedelta(days=5)) == ["丙", "甲"]
    assert names(d + timedelta(days=10)) == ["丙", "乙"]  # discharge day: the bed is the new resident's
    census = queries.census([facility.id], today, with_residents=False)
    assert census["occupied"] == 2 and census["occupied_nursing"] == 1 and census["residents"] == []


def test_board_counts_and_hides_names_unless_allowed(db, manager, facility, today):
    room = factories.room(facility)
    beds = [factories.bed(facility, room=room, code=f"101-{i}") for i in range(4)]
    services.admit(manager, beds[0], factories.elder(name="王秀英"), on=today)
    services.take_out_of_service(manager, beds[1])
    db.session.commit()
    data = queries.board(facility.id, with_residents=False)
    assert data["counts"]["occupied"] == 1 and data["counts"]["out_of_service"] == 1
    assert data["counts"]["vacant"] == 2 and data["total"] == 4
    assert all(b["resident"] is None for r in data["rooms"] for b in r["beds"])
    named = queries.board(facility.id, with_residents=True, state="occupied")
    assert [b["resident"] for r in named["rooms"] for b in r["beds"]] == ["王秀英"]
    assert named["counts"] == data["counts"]  # filters do not change the counts on top
