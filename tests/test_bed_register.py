"""The bed register: beds counted on any past day from their dates, conversions and retirements."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eldercare.audit import AuditEvent
from eldercare.dashboard import services as dashboard
from eldercare.dashboard import snapshots
from eldercare.errors import DomainError
from eldercare.facilities import queries
from eldercare.facilities import services as beds
from eldercare.facilities.models import REGISTER_START, Bed, BedCareTypeChange, CareType, Stay
from eldercare.timekeeping import local_today
from tests import factories
from tests.conftest import login, post


@pytest.fixture
def ward(db, facility, manager):
    """40 beds since the register began: 20 nursing-type, 20 ordinary."""
    made = [factories.bed(facility, code=f"N{i:02d}", care_type=CareType.nursing) for i in range(20)]
    made += [factories.bed(facility, code=f"O{i:02d}", care_type=CareType.ordinary) for i in range(20)]
    db.session.commit()
    return made


def share_on(facility, day):
    total, nursing = queries.institution_beds_on(day)[facility.id]
    return nursing / total


def test_ten_beds_converted_mid_month_change_the_share_from_that_day(db, facility, manager, ward):
    today = local_today()
    mid = today.replace(day=1) - timedelta(days=1)  # some day of last month
    mid = mid.replace(day=15)
    for bed in ward[20:30]:
        beds.change_care_type(manager, bed, CareType.nursing, on=mid)
    db.session.commit()
    assert share_on(facility, mid - timedelta(days=1)) == 0.5
    assert share_on(facility, mid) == 0.75
    assert share_on(facility, mid + timedelta(days=1)) == 0.75
    assert share_on(facility, today) == 0.75
    assert db.session.scalar(select(Bed).where(Bed.code == "O00")).care_type == CareType.nursing
    # the snapshot backfill counts the beds of each day, not today's beds
    snapshots.backfill(mid - timedelta(days=1), mid + timedelta(days=1))
    db.session.commit()
    rows = {r["day"]: (r["beds"], r["beds_nursing"]) for r in snapshots.rows_for(mid - timedelta(days=1))
            if r["facility_id"] == facility.id}
    assert rows == {mid - timedelta(days=1): (40, 20)}
    # the change is audited with its date
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bed.care_type"))
    assert event.before["care_type"] == "ordinary" and event.after["care_type"] == "nursing"


def test_a_second_conversion_back_is_counted_by_day(db, facility, manager, ward):
    bed = ward[0]
    beds.change_care_type(manager, bed, CareType.ordinary, on=date(2024, 3, 10))
    beds.change_care_type(manager, bed, CareType.nursing, on=date(2024, 6, 1))
    db.session.commit()
    assert queries.institution_beds_on(date(2024, 3, 9))[facility.id] == (40, 20)
    assert queries.institution_beds_on(date(2024, 3, 10))[facility.id] == (40, 19)
    assert queries.institution_beds_on(date(2024, 5, 31))[facility.id] == (40, 19)
    assert queries.institution_beds_on(date(2024, 6, 1))[facility.id] == (40, 20)
    with pytest.raises(DomainError):  # not before the last change
        beds.change_care_type(manager, bed, CareType.ordinary, on=date(2024, 5, 1))
    db.session.rollback()
    assert db.session.query(BedCareTypeChange).count() == 2


def test_new_beds_count_from_the_day_they_are_added(db, facility, manager):
    room = factories.room(facility)
    added = beds.bulk_create_beds(manager, facility, room=room, count=3, care_type=CareType.nursing)
    db.session.commit()
    today = local_today()
    assert {b.added_on for b in added} == {today}
    assert queries.institution_beds_on(today)[facility.id] == (3, 3)
    assert facility.id not in queries.institution_beds_on(today - timedelta(days=1))
    elder = factories.elder()
    with pytest.raises(beds.InvalidDate):  # no stay before the bed existed
        beds.admit(manager, added[0], elder, on=today - timedelta(days=3))


def test_retired_bed_leaves_the_register_and_the_live_figures(db, facility, manager, ward):
    bed = ward[25]
    elder = factories.elder()
    stay = beds.admit(manager, bed, elder, on=date(2024, 1, 1))
    beds.discharge(manager, stay, on=date(2024, 2, 1))
    db.session.commit()
    with pytest.raises(beds.InvalidDate):  # it was occupied until 1 February
        beds.retire_bed(manager, bed, on=date(2024, 1, 20))
    db.session.rollback()
    beds.retire_bed(manager, bed, on=date(2024, 3, 1))
    db.session.commit()
    assert queries.institution_beds_on(date(2024, 2, 29))[facility.id] == (40, 20)
    assert queries.institution_beds_on(date(2024, 3, 1))[facility.id] == (39, 20)
    assert dashboard.care_ratio(2024)["city"]["total"] == 39
    assert queries.board(facility.id, with_residents=False)["total"] == 39
    assert db.session.get(Bed, bed.id) is not None and db.session.query(Stay).count() == 1  # nothing deleted
    with pytest.raises(beds.BedNotAvailable):
        beds.admit(manager, bed, factories.elder(), on=local_today())
    db.session.rollback()
    with pytest.raises(beds.BedNotAvailable):
        beds.retire_bed(manager, bed, on=local_today())


def test_an_occupied_bed_cannot_be_retired(db, facility, manager, ward):
    beds.admit(manager, ward[0], factories.elder(), on=date(2024, 1, 1))
    db.session.commit()
    with pytest.raises(beds.BedNotAvailable):
        beds.retire_bed(manager, ward[0], on=local_today())


def test_register_agrees_with_the_live_beds_today(db, facility, manager, ward):
    beds.change_care_type(manager, ward[30], CareType.nursing)
    beds.retire_bed(manager, ward[31])
    db.session.commit()
    live = dashboard.care_ratio(local_today().year)["city"]
    assert queries.institution_beds_on(local_today())[facility.id] == (live["total"], live["nursing"])


def test_beds_existing_before_the_register_count_from_its_start(db, facility, ward):
    assert {b.added_on for b in ward} == {REGISTER_START}


def test_manager_retires_a_bed_from_its_page(client, db, facility, manager, ward):
    login(client, manager)
    bed = ward[39]
    response = post(client, f"/beds/{bed.id}/retire", {"on": local_today().isoformat()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "retired" in page or "停用" in page
    db.session.expire_all()
    assert db.session.get(Bed, bed.id).retired_on == local_today()
    # a date in the future is refused and changes nothing
    other = ward[38]
    post(client, f"/beds/{other.id}/retire", {"on": (local_today() + timedelta(days=2)).isoformat()})
    db.session.expire_all()
    assert db.session.get(Bed, other.id).retired_on is None
