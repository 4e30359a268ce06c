"""The facility registry kept by the bureau administrator: register a facility, correct its
details, change its type on a date (a 敬老院 becoming a regional elderly-care service centre),
and close it on a date. Each command takes the acting user first, writes an audit event and
flushes; the caller commits. Nothing with history is deleted: a closed facility keeps its rows,
its beds leave the register on the closing day (so they count for the days before and for none
after), and its type history answers "what was this facility on that day" for past reports.
"""

from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from eldercare import audit, labels
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities.models import (
    INSTITUTION_TYPES,
    Bed,
    BedHold,
    Facility,
    FacilityType,
    FacilityTypeChange,
    Ownership,
    Stay,
    Town,
)
from eldercare.timekeeping import EARLIEST_DAY, local_today

MAX_NAME = Facility.name.type.length
MAX_ADDRESS = Facility.address.type.length
MAX_OPERATOR = Facility.operator.type.length
MAX_LICENSED_BEDS = 100_000
# The types a facility may take by a dated change: the plan's conversion, and corrections among
# the institutions (a facility never changes between having beds and being a meal or mutual-aid point).
CONVERSION = (FacilityType.public_home, FacilityType.regional_center)


class FacilityClosed(DomainError):
    pass


class FacilityInUse(DomainError):
    pass


def _fields(facility: Facility) -> dict:
    return {
        "name": facility.name, "type": facility.type.value, "town_id": facility.town_id,
        "address": facility.address, "operator": facility.operator, "ownership": facility.ownership.value,
        "licensed_beds": facility.licensed_beds, "medical_integrated": facility.medical_integrated,
        "serves_tekun": facility.serves_tekun, "tekun_reserve": facility.tekun_reserve,
        "opened_on": facility.opened_on.isoformat() if facility.opened_on else None,
        "closed_on": facility.closed_on.isoformat() if facility.closed_on else None,
    }


def _checked(*, name: str, town_id: int, address: str, operator: str, licensed_beds: int,
             tekun_reserve: int | None, opened_on: date | None, facility_id: int | None = None) -> dict:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Please give the facility's name."))
    if len(name) > MAX_NAME:
        raise InvalidInput(_l("The name is longer than %(n)s characters.", n=MAX_NAME))
    taken = select(Facility.id).where(func.lower(Facility.name) == name.lower())
    if facility_id is not None:
        taken = taken.where(Facility.id != facility_id)
    if db.session.scalar(taken) is not None:
        raise InvalidInput(_l("A facility named %(name)s is already registered.", name=name))
    if db.session.get(Town, town_id) is None:
        raise InvalidInput(_l("Please choose the town or street."))
    address, operator = (address or "").strip(), (operator or "").strip()
    if len(address) > MAX_ADDRESS or len(operator) > MAX_OPERATOR:
        raise InvalidInput(_l("The address or the operator is too long."))
    if not 0 <= licensed_beds <= MAX_LICENSED_BEDS:
        raise InvalidInput(_l("Licensed beds must be between 0 and %(n)s.", n=MAX_LICENSED_BEDS))
    if tekun_reserve is not None and not 0 <= tekun_reserve <= MAX_LICENSED_BEDS:
        raise InvalidInput(_l("The tekun reserve must be a number of beds, 0 or more, or left to the default."))
    if opened_on is not None and opened_on > local_today():
        raise InvalidInput(_l("The opening date cannot be in the future."))
    if opened_on is not None and opened_on < EARLIEST_DAY:
        raise InvalidInput(_l("The opening date cannot be before %(day)s.", day=format_date(EARLIEST_DAY)))
    return dict(name=name, town_id=town_id, address=address, operator=operator, licensed_beds=licensed_beds,
                tekun_reserve=tekun_reserve, opened_on=opened_on)


def register(actor, *, name: str, type: FacilityType, town_id: int, ownership: Ownership, address: str = "",
             operator: str = "", licensed_beds: int = 0, medical_integrated: bool = False,
             serves_tekun: bool | None = None, tekun_reserve: int | None = None,
             opened_on: date | None = None) -> Facility:
    """Register a facility. `serves_tekun` left out: on for public homes and regional centres
    (where tekun elders are kept), off for the others; `tekun_reserve` None: the computed default."""
    fields = _checked(name=name, town_id=town_id, address=address, operator=operator, licensed_beds=licensed_beds,
                      tekun_reserve=tekun_reserve, opened_on=opened_on)
    if serves_tekun is None:
        serves_tekun = type in CONVERSION
    facility = Facility(type=type, ownership=ownership, medical_integrated=medical_integrated,
                        serves_tekun=serves_tekun, **fields)
    db.session.add(facility)
    db.session.flush()
    audit.record(actor, "facility.register", facility, facility_id=facility.id, after=_fields(facility))
    return facility


def update(actor, facility: Facility, *, name: str, town_id: int, ownership: Ownership, address: str,
           operator: str, licensed_beds: int, medical_integrated: bool, serves_tekun: bool | None,
           tekun_reserve: int | None, opened_on: date | None) -> Facility:
    """Correct a facility's details. Its type changes only through `change_type`, on a date."""
    db.session.refresh(facility, with_for_update=True)
    fields = _checked(name=name, town_id=town_id, address=address, operator=operator, licensed_beds=licensed_beds,
                      tekun_reserve=tekun_reserve, opened_on=opened_on, facility_id=facility.id)
    if opened_on is not None and facility.closed_on is not None and opened_on > facility.closed_on:
        raise InvalidInput(_l("The opening date cannot be after the closing date."))
    before = _fields(facility)
    if serves_tekun is None:
        serves_tekun = facility.serves_tekun
    for key, value in dict(fields, ownership=ownership, medical_integrated=medical_integrated,
                           serves_tekun=serves_tekun).items():
        setattr(facility, key, value)
    db.session.flush()
    after = _fields(facility)
    changed = {key for key in after if after[key] != before[key]}
    if changed:
        audit.record(actor, "facility.update", facility, facility_id=facility.id,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return facility


def change_type(actor, facility: Facility, new_type: FacilityType, *, on: date) -> FacilityTypeChange:
    """From `on` the facility is of `new_type`; the days before keep the type it had (type_on).
    Its residents, beds and tekun reserve stay as they are."""
    db.session.refresh(facility, with_for_update=True)
    if facility.closed_on is not None:
        raise FacilityClosed(_l("%(name)s closed on %(day)s.", name=facility.name, day=format_date(facility.closed_on)))
    if new_type == facility.type:
        raise InvalidInput(_l("%(name)s is already a %(type)s.", name=facility.name,
                              type=labels.FACILITY_TYPE[new_type]))
    if facility.type not in INSTITUTION_TYPES or new_type not in INSTITUTION_TYPES:
        raise InvalidInput(_l("Only an elderly-care institution changes its type here, and only into another "
                              "institution type."))
    if on > local_today():
        raise InvalidInput(_l("The date of the change cannot be in the future."))
    start = current_app.config["RECORDS_START"]
    if on < start:  # the days before the records begin have no stays to count under either type
        raise InvalidInput(_l("The date of the change cannot be before %(day)s, when the records begin.",
                              day=format_date(start)))
    if facility.opened_on is not None and on < facility.opened_on:
        raise InvalidInput(_l("The date of the change cannot be before the facility opened (%(day)s).",
                              day=format_date(facility.opened_on)))
    last = db.session.scalar(select(func.max(FacilityTypeChange.changed_on))
                             .where(FacilityTypeChange.facility_id == facility.id))
    if last is not None and on <= last:
        raise InvalidInput(_l("The type last changed on %(day)s; a new change must come after it.",
                              day=format_date(last)))
    change = FacilityTypeChange(facility_id=facility.id, changed_on=on, previous=facility.type, type=new_type,
                                actor_id=actor.id if actor else None)
    facility.type = new_type
    db.session.add(change)
    db.session.flush()
    audit.record(actor, "facility.change_type", facility, facility_id=facility.id,
                 before={"type": change.previous.value}, after={"type": new_type.value, "on": on.isoformat()})
    return change


def convert(actor, facility: Facility, *, on: date) -> FacilityTypeChange:
    """The plan's conversion: a public home (敬老院) becomes a regional elderly-care service centre
    (区域性养老服务中心). It keeps serving tekun elders: residents, reserve and beds untouched."""
    if facility.type != FacilityType.public_home:
        raise InvalidInput(_l("Only a public nursing home (敬老院) is converted into a regional centre."))
    return change_type(actor, facility, FacilityType.regional_center, on=on)


def close(actor, facility: Facility, *, on: date) -> Facility:
    """Close the facility from `on`: refused while anyone stays there (or stayed past that day) or a
    bed is held; its beds leave the register that day, so it has no open beds and admits no one."""
    db.session.refresh(facility, with_for_update=True)
    if facility.closed_on is not None:
        raise FacilityClosed(_l("%(name)s closed on %(day)s.", name=facility.name, day=format_date(facility.closed_on)))
    if on > local_today():
        raise InvalidInput(_l("The closing date cannot be in the future."))
    if facility.opened_on is not None and on < facility.opened_on:
        raise InvalidInput(_l("The closing date cannot be before the facility opened (%(day)s).",
                              day=format_date(facility.opened_on)))
    beds = list(db.session.scalars(select(Bed).where(Bed.facility_id == facility.id, Bed.retired_on.is_(None))
                                   .with_for_update()))
    bed_ids = select(Bed.id).where(Bed.facility_id == facility.id)
    open_stays = db.session.scalar(select(func.count()).select_from(Stay).where(
        Stay.bed_id.in_(bed_ids), or_(Stay.end_on.is_(None), Stay.end_on > on)))
    if open_stays:
        raise FacilityInUse(_l("%(name)s cannot close on that day: %(n)s residents stay there then. Discharge or "
                               "transfer them first.", name=facility.name, n=open_stays))
    if db.session.scalar(select(exists().where(BedHold.bed_id.in_(bed_ids), BedHold.released_at.is_(None)))):
        raise FacilityInUse(_l("%(name)s has beds on hold; release them (or withdraw the offers) first.",
                               name=facility.name))
    added_later = [b.code for b in beds if b.added_on > on]
    if added_later:
        raise InvalidInput(_l("Bed %(code)s was added after that day; choose a later date.", code=added_later[0]))
    before = _fields(facility)
    for bed in beds:
        bed.retired_on = on
        bed.open_to_public = False
    facility.closed_on = on
    db.session.flush()
    audit.record(actor, "facility.close", facility, facility_id=facility.id, before={"closed_on": before["closed_on"]},
                 after={"closed_on": on.isoformat(), "beds_retired": len(beds)})
    return facility


def type_on(facility_id: int, day: date) -> FacilityType:
    """The type a facility had on `day` (for reports of earlier periods): the `previous` of its first
    change after that day, or its type now."""
    return types_on(day, [facility_id])[facility_id]


def types_on(day: date, facility_ids=None) -> dict[int, FacilityType]:
    """Every facility's type on `day` (or those in `facility_ids`), in two queries."""
    query = select(Facility.id, Facility.type)
    if facility_ids is not None:
        query = query.where(Facility.id.in_(list(facility_ids)))
    result = dict(db.session.execute(query).all())
    changes = select(FacilityTypeChange.facility_id, FacilityTypeChange.previous).where(
        FacilityTypeChange.changed_on > day).order_by(FacilityTypeChange.facility_id,
                                                      FacilityTypeChange.changed_on.desc())
    if facility_ids is not None:
        changes = changes.where(FacilityTypeChange.facility_id.in_(list(facility_ids)))
    for facility_id, previous in db.session.execute(changes):
        result[facility_id] = previous  # the earliest change after `day` comes last and wins
    return result


def type_history(facility_id: int) -> list[dict]:
    """A facility's changes of type, oldest first, with who made them."""
    return [{"on": c.changed_on, "previous": c.previous, "type": c.type,
             "by": c.actor.full_name if c.actor else None}
            for c in db.session.scalars(select(FacilityTypeChange).where(FacilityTypeChange.facility_id == facility_id)
                                        .order_by(FacilityTypeChange.changed_on))]


def registry() -> list[dict]:
    """Every facility registered, open or closed, for the registry page (towns in code order)."""
    rows = db.session.execute(
        select(Facility.id, Facility.name, Facility.type, Facility.ownership, Facility.licensed_beds,
               Facility.opened_on, Facility.closed_on, Facility.serves_tekun, Town.name.label("town"))
        .join(Town, Town.id == Facility.town_id).order_by(Town.code, Facility.name))
    return [row._asdict() for row in rows]
