"""Bed-side commands. Each takes the acting user first, checks the domain rules, changes the
models, writes an audit event and flushes; the caller (a request, a CLI command, a job)
commits once, or rolls everything back when a DomainError is raised.
"""

import re
import unicodedata
from datetime import date, datetime

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from eldercare import audit, labels
from eldercare.auth.models import Role
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import queries, reserve
from eldercare.facilities.models import (
    Away,
    Bed,
    BedCareTypeChange,
    BedHold,
    BedKind,
    BedState,
    CareType,
    EndReason,
    Facility,
    FacilityType,
    MealLog,
    Room,
    Stay,
    Town,
)
from eldercare.models import claim, insert_ignoring_duplicates, utcnow
from eldercare.notifications import notify
from eldercare.residents.models import Assessment, AssessmentReminder, Elder
from eldercare.timekeeping import local_today

MAX_BEDS_PER_BATCH = 200
MAX_BED_CODE = Bed.code.type.length
# Room codes leave room for the bed numbers made from them ("3-01" ... "3-200").
MAX_ROOM_CODE = MAX_BED_CODE - 8


class BedNotAvailable(DomainError):
    """The bed is not in the state the action needs (occupied, on hold, out of service...)."""


class ElderAlreadyStaying(DomainError):
    pass


class StaysWouldOverlap(DomainError):
    pass


class StayAlreadyEnded(DomainError):
    pass


class ReserveNeeded(DomainError):
    pass


class HeldForOffer(DomainError):
    pass


class AssessmentNeeded(InvalidInput):
    pass


class InvalidDate(InvalidInput):
    pass


class DuplicateCode(InvalidInput):
    pass


def _bed_fields(bed: Bed) -> dict:
    return {
        "code": bed.code,
        "care_type": bed.care_type.value,
        "kind": bed.kind.value,
        "open_to_public": bed.open_to_public,
        "out_of_service": bed.out_of_service,
        "needs_cleaning": bed.needs_cleaning,
        "added_on": bed.added_on.isoformat() if bed.added_on else None,
        "retired_on": bed.retired_on.isoformat() if bed.retired_on else None,
    }


def _stay_fields(stay: Stay) -> dict:
    return {
        "bed_id": stay.bed_id,
        "elder_id": stay.elder_id,
        "start_on": stay.start_on.isoformat(),
        "end_on": stay.end_on.isoformat() if stay.end_on else None,
        "end_reason": stay.end_reason.value if stay.end_reason else None,
        "away": stay.away.value if stay.away else None,
    }


def _require_state(bed: Bed, *allowed: BedState) -> BedState:
    if bed.retired_on is not None:
        raise BedNotAvailable(_l("Bed %(code)s was retired on %(day)s.", code=bed.code,
                                 day=format_date(bed.retired_on)))
    state = queries.state_of(bed.id)
    if state not in allowed:
        raise BedNotAvailable(
            _l("Bed %(code)s is %(state)s now; this needs a bed that is %(allowed)s.",
               code=bed.code, state=labels.BED_STATE[state],
               allowed=" / ".join(str(labels.BED_STATE[s]) for s in allowed))
        )
    return state


def _require_past_or_today(day: date, what) -> None:
    if day > local_today():
        raise InvalidDate(_l("The %(what)s date cannot be in the future.", what=what))


def _require_no_later_stay(bed: Bed, elder, on: date) -> None:
    """A backdated start must not overlap a stay that ended after it, in the bed or of the elder,
    nor come before the bed was added to the register."""
    if on < bed.added_on:
        raise InvalidDate(_l("Bed %(code)s was added on %(day)s; choose a later date.",
                             code=bed.code, day=format_date(bed.added_on)))
    for column, subject, message in (
        (Stay.bed_id, bed.id, _l("Bed %(code)s was occupied until %(until)s; choose a later date.")),
        (Stay.elder_id, elder.id, _l("This elder stayed elsewhere until %(until)s; choose a later date.")),
    ):
        until = db.session.scalar(
            select(Stay.end_on).where(column == subject, Stay.end_on > on).order_by(Stay.end_on.desc()).limit(1)
        )
        if until is not None:
            raise StaysWouldOverlap(message % {"code": bed.code, "until": format_date(until)})


def _flush_stay_change() -> None:
    """Flush; the partial unique indexes are the last guard against two open stays."""
    try:
        db.session.flush()
    except IntegrityError as error:
        raise BedNotAvailable(_l("Someone else changed this bed at the same moment; please try again.")) from error


def admit(actor, bed: Bed, elder, *, on: date) -> Stay:
    _require_past_or_today(on, _l("admission"))
    start = current_app.config["RECORDS_START"]
    if on < start:
        raise InvalidDate(_l("Admissions are recorded from %(day)s on.", day=format_date(start)))
    if on < elder.birth_on:
        raise InvalidDate(_l("The admission date cannot be before the elder's birth date."))
    if bed.kind == BedKind.institution and bed.care_type == CareType.nursing and elder.ability_level is None:
        raise AssessmentNeeded(_l("%(name)s has no ability assessment yet: a nursing-type bed needs one "
                                  "(GB/T 42195). Enter it with the admission.", name=elder.name))
    claim(db.session, elder)
    claim(db.session, bed)
    _require_state(bed, BedState.vacant)
    if db.session.scalar(select(exists().where(Stay.elder_id == elder.id, Stay.end_on.is_(None)))):
        raise ElderAlreadyStaying(_l("%(name)s already has a bed; discharge or transfer instead.", name=elder.name))
    _require_no_later_stay(bed, elder, on)
    stay = Stay(elder_id=elder.id, bed_id=bed.id, start_on=on)
    db.session.add(stay)
    _flush_stay_change()
    audit.record(actor, "stay.admit", stay, facility_id=bed.facility_id, after=_stay_fields(stay))
    return stay


def _claim_open_stay(stay: Stay) -> None:
    claim(db.session, stay.elder)
    claim(db.session, stay.bed)
    db.session.refresh(stay)
    if stay.end_on is not None:
        raise StayAlreadyEnded(_l("This stay already ended on %(day)s.", day=format_date(stay.end_on)))


def _end_stay(stay: Stay, on: date, reason: EndReason) -> None:
    _require_past_or_today(on, _l("discharge"))
    if on < stay.start_on:
        raise InvalidDate(
            _l("The discharge date cannot be before the admission date (%(day)s).", day=format_date(stay.start_on))
        )
    stay.end_on = on
    stay.end_reason = reason
    stay.away = None
    stay.bed.needs_cleaning = True


def discharge(actor, stay: Stay, *, on: date, reason: EndReason = EndReason.discharged) -> Stay:
    if reason == EndReason.transferred:
        raise InvalidInput(_l("Use the transfer action to move an elder to another bed."))
    _claim_open_stay(stay)
    before = _stay_fields(stay)
    _end_stay(stay, on, reason)
    db.session.flush()
    audit.record(actor, "stay.discharge", stay, facility_id=stay.bed.facility_id, before=before,
                 after=_stay_fields(stay))
    return stay


def transfer(actor, stay: Stay, to_bed: Bed, *, on: date) -> Stay:
    """Move the elder to another bed of the same facility: the old stay ends and the new one
    starts on the same day, in one transaction."""
    if to_bed.id == stay.bed_id:
        raise InvalidInput(_l("Choose a different bed to transfer to."))
    if to_bed.facility_id != stay.bed.facility_id:
        raise InvalidInput(_l("A transfer stays within one facility; discharge and admit to move elsewhere."))
    claim(db.session, stay.elder)
    for bed in sorted((stay.bed, to_bed), key=lambda b: b.id):
        claim(db.session, bed)
    db.session.refresh(stay)
    if stay.end_on is not None:
        raise StayAlreadyEnded(_l("This stay already ended on %(day)s.", day=format_date(stay.end_on)))
    _require_state(to_bed, BedState.vacant)
    before = _stay_fields(stay)
    _end_stay(stay, on, EndReason.transferred)
    db.session.flush()
    _require_no_later_stay(to_bed, stay.elder, on)
    new_stay = Stay(elder_id=stay.elder_id, bed_id=to_bed.id, start_on=on)
    db.session.add(new_stay)
    _flush_stay_change()
    audit.record(actor, "stay.transfer", new_stay, facility_id=to_bed.facility_id,
                 before=before, after=_stay_fields(new_stay))
    return new_stay


def set_away(actor, stay: Stay, away: Away | None) -> Stay:
    """Mark a resident on leave or in hospital (the bed stays theirs), or back (away=None)."""
    _claim_open_stay(stay)
    if stay.away == away:
        raise InvalidInput(_l("Nothing to change."))
    before = _stay_fields(stay)
    stay.away = away
    db.session.flush()
    audit.record(actor, "stay.away", stay, facility_id=stay.bed.facility_id, before=before,
                 after=_stay_fields(stay))
    return stay


def _change_bed(actor, bed: Bed, action: str, allowed: tuple[BedState, ...], change) -> Bed:
    claim(db.session, bed)
    _require_state(bed, *allowed)
    before = _bed_fields(bed)
    change(bed)
    db.session.flush()
    audit.record(actor, action, bed, facility_id=bed.facility_id, before=before, after=_bed_fields(bed))
    return bed


def mark_cleaned(actor, bed: Bed) -> Bed:
    return _change_bed(actor, bed, "bed.cleaned", (BedState.needs_cleaning,),
                       lambda b: setattr(b, "needs_cleaning", False))


def take_out_of_service(actor, bed: Bed) -> Bed:
    return _change_bed(actor, bed, "bed.out_of_service", (BedState.vacant, BedState.needs_cleaning),
                       lambda b: setattr(b, "out_of_service", True))


def return_to_service(actor, bed: Bed) -> Bed:
    return _change_bed(actor, bed, "bed.return_to_service", (BedState.out_of_service,),
                       lambda b: setattr(b, "out_of_service", False))


def change_care_type(actor, bed: Bed, care_type: CareType, *, on: date | None = None) -> Bed:
    """Convert a bed from `on` (default today); the register keeps the dated change, so the
    count of nursing-type beds on any earlier day stays as it was."""
    on = on or local_today()
    if bed.care_type == care_type:
        raise InvalidInput(_l("Bed %(code)s is already of this care type.", code=bed.code))
    _require_past_or_today(on, _l("conversion"))
    last = db.session.scalar(select(func.max(BedCareTypeChange.changed_on)).where(BedCareTypeChange.bed_id == bed.id))
    earliest = max(bed.added_on, last) if last else bed.added_on
    if on < earliest:
        raise InvalidDate(_l("Bed %(code)s cannot change care type before %(day)s.", code=bed.code,
                             day=format_date(earliest)))

    def convert(b):
        db.session.add(BedCareTypeChange(bed_id=b.id, changed_on=on, previous=b.care_type, care_type=care_type))
        b.care_type = care_type

    return _change_bed(actor, bed, "bed.care_type", tuple(BedState), convert)


def retire_bed(actor, bed: Bed, *, on: date | None = None) -> Bed:
    """Take a free bed off the register from `on` (default today). Beds are retired, never
    deleted, so the stays and the bed counts of earlier days stay true."""
    on = on or local_today()
    _require_past_or_today(on, _l("retirement"))
    claim(db.session, bed)
    _require_state(bed, BedState.vacant, BedState.needs_cleaning, BedState.out_of_service)
    if on < bed.added_on:
        raise InvalidDate(_l("Bed %(code)s was added on %(day)s; choose a later date.",
                             code=bed.code, day=format_date(bed.added_on)))
    last_end = db.session.scalar(select(func.max(Stay.end_on)).where(Stay.bed_id == bed.id))
    if last_end is not None and on < last_end:
        raise InvalidDate(_l("Bed %(code)s was occupied until %(until)s; choose a later date.",
                             code=bed.code, until=format_date(last_end)))
    before = _bed_fields(bed)
    bed.retired_on = on
    db.session.flush()
    audit.record(actor, "bed.retire", bed, facility_id=bed.facility_id, before=before, after=_bed_fields(bed))
    return bed


def place_hold(actor, bed: Bed, *, until: datetime, note: str = "", application_id: int | None = None) -> BedHold:
    """Keep a vacant bed for someone until `until` (UTC): the manager's own hold, or an offer's
    (`application_id`, placed by the placement workflow). A manager's expired hold is released first."""
    if until <= utcnow():
        raise InvalidDate(_l("A hold must end in the future."))
    claim(db.session, bed)
    stale = queries.active_hold_of(bed.id)
    if stale is not None and stale.application_id is None and stale.expires_at <= utcnow():
        release(None, stale)
    _require_state(bed, BedState.vacant)
    hold = BedHold(bed_id=bed.id, expires_at=until, note=note, application_id=application_id)
    db.session.add(hold)
    _flush_stay_change()
    audit.record(actor, "bed.hold", hold, facility_id=bed.facility_id,
                 after={"bed_id": bed.id, "expires_at": until.isoformat(), "note": note,
                        "application_id": application_id})
    return hold


def release(actor, hold: BedHold) -> None:
    """The one way a hold ends, for whoever owns it: the manager's button, the placement workflow
    (an offer declined, withdrawn, expired or admitted) and the expiry job. The caller holds the
    bed's lock."""
    hold.released_at = utcnow()
    db.session.flush()
    audit.record(actor, "bed.release_hold", hold, facility_id=hold.bed.facility_id,
                 after={"bed_id": hold.bed_id, "application_id": hold.application_id,
                        "released_at": hold.released_at.isoformat()})


def release_hold(actor, bed: Bed) -> BedHold:
    """The manager releases their own hold. A hold made for an offer belongs to the placement
    workflow: only the bureau withdraws the offer, with a reason the family reads."""
    claim(db.session, bed)
    hold = queries.active_hold_of(bed.id)
    if hold is None:
        raise BedNotAvailable(_l("Bed %(code)s is not on hold.", code=bed.code))
    if hold.application_id is not None:
        raise HeldForOffer(_l("Bed %(code)s is held for a family's offer; only the civil-affairs bureau can "
                              "withdraw the offer, and the family is told why.", code=bed.code))
    release(actor, hold)
    return hold


def release_expired_holds(now: datetime | None = None) -> int:
    """The job: managers' holds past their expiry are released (offers expire through the
    placement workflow's own job). Running it twice changes nothing the second time."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(BedHold).where(BedHold.released_at.is_(None), BedHold.application_id.is_(None),
                              BedHold.expires_at <= now).order_by(BedHold.bed_id)).all()
    count = 0
    for hold in expired:
        claim(db.session, hold.bed)
        db.session.refresh(hold)
        if hold.released_at is None:
            release(None, hold)
            count += 1
    return count


def _code(text: str) -> str:
    """A room's or bed's code as typed, in the form it is kept and compared in: full-width digits and
    letters (a Chinese input method's "１０１") as their ASCII selves (NFKC), outer spaces gone."""
    return unicodedata.normalize("NFKC", text).strip()


def create_room(actor, facility: Facility, *, code: str, floor: int | None = None) -> Room:
    code = _code(code)
    if not code:
        raise InvalidInput(_l("A room needs a code."))
    if len(code) > MAX_ROOM_CODE:
        raise InvalidInput(_l("A room code has at most %(n)s characters.", n=MAX_ROOM_CODE))
    if db.session.scalar(select(exists().where(Room.facility_id == facility.id,
                                               func.lower(Room.code) == code.lower()))):
        raise DuplicateCode(_l("Room %(code)s already exists in this facility.", code=code))
    room = Room(facility_id=facility.id, code=code, floor=floor)
    db.session.add(room)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same room, added at the same moment
        raise DuplicateCode(_l("Room %(code)s already exists in this facility.", code=code)) from error
    audit.record(actor, "room.create", room, facility_id=facility.id, after={"code": code, "floor": floor})
    return room


def _check_kind(facility: Facility, kind: BedKind) -> None:
    if kind == BedKind.institution and not facility.is_institution:
        raise InvalidInput(
            _l("A community meal point or mutual-aid point has day-care or family care beds, not institution beds.")
        )


def create_bed(actor, facility: Facility, *, code: str, care_type: CareType,
               kind: BedKind = BedKind.institution, room: Room | None = None) -> Bed:
    code = _code(code)
    if not code:
        raise InvalidInput(_l("A bed needs a code."))
    _check_kind(facility, kind)
    if db.session.scalar(select(exists().where(Bed.facility_id == facility.id,
                                               func.lower(Bed.code) == code.lower()))):
        raise DuplicateCode(_l("Bed code %(code)s is already used in this facility.", code=code))
    return _add_beds(actor, facility, room, [code], care_type, kind)[0]


def bulk_create_beds(actor, facility: Facility, *, room: Room, count: int, care_type: CareType,
                     kind: BedKind = BedKind.institution) -> list[Bed]:
    """Add `count` beds to a room, numbered on from the room's highest bed: 3-01, 3-02, ..."""
    if not 1 <= count <= MAX_BEDS_PER_BATCH:
        raise InvalidInput(_l("Add between 1 and %(max)s beds at a time.", max=MAX_BEDS_PER_BATCH))
    if room.facility_id != facility.id:
        raise InvalidInput(_l("That room belongs to another facility."))
    _check_kind(facility, kind)
    taken = {c.lower() for c in db.session.scalars(select(Bed.code).where(Bed.facility_id == facility.id))}
    pattern = re.compile(rf"^{re.escape(room.code.lower())}-(\d+)$")
    number = max((int(m.group(1)) for c in taken if (m := pattern.match(c))), default=0)
    codes = []
    while len(codes) < count:
        number += 1
        code = f"{room.code}-{number:02d}"
        if code.lower() not in taken:
            codes.append(code)
    if len(codes[-1]) > MAX_BED_CODE:
        raise InvalidInput(_l("Bed codes made from room %(room)s would be longer than %(n)s characters; add these "
                              "beds one by one with shorter codes.", room=room.code, n=MAX_BED_CODE))
    return _add_beds(actor, facility, room, codes, care_type, kind)


def _add_beds(actor, facility, room, codes, care_type, kind) -> list[Bed]:
    beds = [Bed(facility_id=facility.id, room_id=room.id if room else None, code=code,
                care_type=care_type, kind=kind, added_on=local_today()) for code in codes]
    db.session.add_all(beds)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise DuplicateCode(_l("Another bed with one of these codes was added at the same moment.")) from error
    for bed in beds:
        audit.record(actor, "bed.create", bed, facility_id=facility.id, after=_bed_fields(bed))
    return beds


def record_meals(actor, facility: Facility, *, day: date, meals: int,
                 subsidised_by_category: dict[str, int]) -> MealLog:
    """The day's meals of a community meal point; one entry per point and day."""
    if facility.type != FacilityType.meal_point:
        raise InvalidInput(_l("Meals are recorded for community meal points only."))
    _require_past_or_today(day, _l("meal"))
    if facility.opened_on is not None and day < facility.opened_on:
        raise InvalidDate(_l("This meal point opened on %(day)s; meals cannot be recorded before that.",
                             day=format_date(facility.opened_on)))
    subsidised = sum(subsidised_by_category.values())
    if meals < 0 or any(n < 0 for n in subsidised_by_category.values()):
        raise InvalidInput(_l("Numbers of meals cannot be negative."))
    if subsidised > meals:
        raise InvalidInput(_l("Subsidised meals (%(s)s) cannot be more than all meals (%(m)s).", s=subsidised, m=meals))
    if db.session.scalar(select(exists().where(MealLog.facility_id == facility.id, MealLog.day == day))):
        raise DuplicateCode(_l("The meals of %(day)s are already recorded.", day=format_date(day)))
    log = MealLog(facility_id=facility.id, day=day, meals=meals, subsidised=subsidised,
                  subsidised_by_category={k: v for k, v in subsidised_by_category.items() if v})
    db.session.add(log)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise DuplicateCode(_l("The meals of %(day)s are already recorded.", day=format_date(day))) from error
    audit.record(actor, "meal_log.create", log, facility_id=facility.id,
                 after={"day": day.isoformat(), "meals": meals, "subsidised": log.subsidised_by_category})
    return log


def set_open_to_public(actor, bed: Bed, open_to_public: bool) -> Bed:
    """Open a bed to the public, or close it. A public home keeps enough vacant closed beds for
    its tekun reserve: opening one that the reserve needs is refused, with the figures."""
    if bed.open_to_public == open_to_public:
        raise InvalidInput(_l("Nothing to change."))
    claim(db.session, bed)
    if open_to_public:
        _require_state(bed, BedState.vacant, BedState.needs_cleaning, BedState.on_hold)
    if open_to_public and bed.facility.serves_tekun:
        r = reserve.reserves()[bed.facility_id]
        vacant_closed_after = r.vacant_closed - (1 if queries.state_of(bed.id) == BedState.vacant else 0)
        if vacant_closed_after < r.vacant_needed:
            raise ReserveNeeded(_l(
                "The tekun reserve of this home is %(reserve)s beds: %(residents)s tekun residents and %(needed)s "
                "vacant beds kept for tekun elders. Only %(closed)s vacant beds are kept closed, so this bed "
                "must stay closed.", reserve=r.reserve, residents=r.tekun_residents, needed=r.vacant_needed,
                closed=r.vacant_closed))
    before = _bed_fields(bed)
    bed.open_to_public = open_to_public
    db.session.flush()
    audit.record(actor, "bed.open_to_public", bed, facility_id=bed.facility_id, before=before,
                 after=_bed_fields(bed))
    return bed


def assign_managed_facilities(actor, user, facility_ids) -> None:
    """Set the facilities a manager's account manages (the administrator's page)."""
    if user.role != Role.facility_manager:
        raise InvalidInput(_l("Only facility managers are assigned to facilities."))
    before = sorted(f.id for f in user.facilities)
    user.facilities = list(db.session.scalars(select(Facility).where(Facility.id.in_(facility_ids))))
    db.session.flush()
    audit.record(actor, "user.assign_facilities", user, before={"facility_ids": before},
                 after={"facility_ids": sorted(f.id for f in user.facilities)})


def assign_town(actor, user, town_id: int) -> None:
    """Set the town or street a town assistant's account applies for (the administrator's page)."""
    if user.role != Role.town_assistant:
        raise InvalidInput(_l("Only town civil-affairs assistants are assigned to a town or street."))
    if db.session.get(Town, town_id) is None:
        raise InvalidInput(_l("Please choose the town or street."))
    before = user.town_id
    user.town_id = town_id
    db.session.flush()
    audit.record(actor, "user.assign_town", user, before={"town_id": before}, after={"town_id": town_id})


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def remind_reassessments(today: date | None = None) -> int:
    """The daily job: residents whose latest assessment is over a year old (the yearly review of
    domain.md section 4), or who have none since their admission, are brought to their home's
    managers, once per resident and due day; running it again the same day sends nothing."""
    today = today or local_today()
    latest = (select(Assessment.elder_id, func.max(Assessment.assessed_at).label("at"))
              .group_by(Assessment.elder_id).subquery())
    rows = db.session.execute(
        select(Elder.id, Elder.name, Bed.facility_id, Bed.code, Stay.start_on, latest.c.at)
        .join(Stay, Stay.elder_id == Elder.id).join(Bed, Bed.id == Stay.bed_id)
        .outerjoin(latest, latest.c.elder_id == Elder.id)
        .where(Stay.end_on.is_(None), Bed.kind == BedKind.institution)
        .order_by(Bed.facility_id, Elder.id)).all()
    due = {row.id: (row, _years_later(row.at.date(), 1) if row.at else row.start_on) for row in rows}
    due = {elder_id: (row, day) for elder_id, (row, day) in due.items() if day <= today}
    if not due:
        return 0
    sent = set(db.session.execute(select(AssessmentReminder.elder_id, AssessmentReminder.due_on)
                                  .where(AssessmentReminder.elder_id.in_(due))).all())
    fresh = [(row, day) for row, day in due.values() if (row.id, day) not in sent]
    insert_ignoring_duplicates(db.session, AssessmentReminder,
                               [{"elder_id": row.id, "due_on": day, "created_at": utcnow()} for row, day in fresh])
    managers = {f.id: f.managers for f in db.session.scalars(
        select(Facility).where(Facility.id.in_({row.facility_id for row, _ in fresh})))}
    for row, day in fresh:
        for manager in managers[row.facility_id]:
            notify(manager, _l("%(name)s in bed %(code)s needs a new ability assessment (due %(day)s): the "
                               "latest is over a year old.", name=row.name, code=row.code, day=day))
    return len(fresh)
