"""The read side of beds: board, facility list, census. Each returns plain data (dicts and
lists), so a page, the JSON API and a PDF report can share them; the number of queries does
not grow with the number of beds or facilities."""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, and_, case, func, literal, or_, select, type_coerce

from eldercare.cache import cached, derived, facility_versions, per_facility, revised
from eldercare.extensions import db
from eldercare.facilities.models import (
    OCCUPIED_STATES,
    Away,
    Bed,
    BedCareTypeChange,
    BedHold,
    BedKind,
    BedState,
    CareType,
    Facility,
    FacilityType,
    MealLog,
    Ownership,
    Room,
    Stay,
    Town,
)
from eldercare.residents.models import Elder


def _state_query(*columns):
    """SELECT `columns` + the bed's derived state FROM bed with its open stay and active hold.

    The one definition of a bed's state (domain.md section 8): occupancy comes from the open
    stay, a hold counts until it is released. Time alone changes no state: a hold that expires is
    released by a job (jobs.release_expired_holds, every minute), a change like any other, so the
    board and every cached figure move together.
    """
    hold_active = BedHold.id.is_not(None)
    state = case(
        (Bed.out_of_service, literal(BedState.out_of_service.value)),
        (Stay.id.is_not(None), case(
            (Stay.away == Away.leave.value, literal(BedState.on_leave.value)),
            (Stay.away == Away.hospital.value, literal(BedState.in_hospital.value)),
            else_=literal(BedState.occupied.value),
        )),
        (hold_active, literal(BedState.on_hold.value)),
        (Bed.needs_cleaning, literal(BedState.needs_cleaning.value)),
        else_=literal(BedState.vacant.value),
    ).label("state")
    return (
        select(*columns, state)
        .select_from(Bed)
        .outerjoin(Stay, and_(Stay.bed_id == Bed.id, Stay.end_on.is_(None)))
        .outerjoin(BedHold, and_(BedHold.bed_id == Bed.id, BedHold.released_at.is_(None)))
        .where(Bed.retired_on.is_(None))  # a retired bed has no state: it is off the register
    ), state


def state_of(bed_id: int) -> BedState | None:
    """The bed's state now; None for a retired bed."""
    query, _ = _state_query(Bed.id)
    row = db.session.execute(query.where(Bed.id == bed_id)).one_or_none()
    return BedState(row.state) if row is not None else None


# The bed register (domain: beds counted on any day). A bed is on the register on `day` when
# added_on <= day < retired_on; its care type on `day` is the one it had before its first
# change after that day, or its present one.

def on_register(day: date):
    return and_(Bed.added_on <= day, or_(Bed.retired_on.is_(None), Bed.retired_on > day))


def care_type_on(day: date):
    """(the bed's care type on `day`, the subquery a query outer-joins on `later.c.bed_id == Bed.id`
    for it): each bed's first change after `day`, ranked once for the few beds changed since,
    rather than a subquery run for every bed."""
    ranked = (
        select(BedCareTypeChange.bed_id, BedCareTypeChange.previous,
               func.row_number().over(partition_by=BedCareTypeChange.bed_id,
                                      order_by=(BedCareTypeChange.changed_on, BedCareTypeChange.id)).label("rank"))
        .where(BedCareTypeChange.changed_on > day)
        .subquery()
    )
    later = select(ranked.c.bed_id, ranked.c.previous).where(ranked.c.rank == 1).subquery("later")
    return func.coalesce(later.c.previous, Bed.care_type).label("care"), later


@cached
def institution_beds_on(day: date, facility_ids=None) -> dict[int, tuple[int, int]]:
    """Per facility: (institution beds, nursing-type ones) on the register on `day`: the beds counted
    by their care type now, in the register index's order (no sorting), then the few changed since
    moved back to the type they had on `day` (`care_type_on`): at --scale 10 on SQLite 0.011 CPU-s
    instead of 0.031 for the beds grouped by their type on the day in one statement."""
    on_day = (Bed.kind == BedKind.institution, on_register(day))
    if facility_ids is not None:
        on_day += (Bed.facility_id.in_(facility_ids),)
    result: dict[int, list[int]] = {}
    for facility_id, care_type, n in db.session.execute(
        select(Bed.facility_id, Bed.care_type, func.count()).where(*on_day).group_by(Bed.facility_id, Bed.care_type)
    ):
        counts = result.setdefault(facility_id, [0, 0])
        counts[0] += n
        counts[1] += n if care_type == CareType.nursing else 0
    _care, later = care_type_on(day)
    for facility_id, now, then, n in db.session.execute(
        select(Bed.facility_id, Bed.care_type, later.c.previous, func.count()).join(later, later.c.bed_id == Bed.id)
        .where(*on_day).group_by(Bed.facility_id, Bed.care_type, later.c.previous)
    ):
        result[facility_id][1] += n * ((then == CareType.nursing) - (now == CareType.nursing))
    return {facility_id: (c[0], c[1]) for facility_id, c in result.items()}


def _overlap_days(start: date, end: date, first: date, until: date | None) -> int:
    """Days of [first, until) inside [start, end] (both inclusive)."""
    stop = min(end + timedelta(days=1), until) if until is not None else end + timedelta(days=1)
    return max(0, (stop - max(start, first)).days)


def institution_bed_days(start: date, end: date) -> dict[int, dict]:
    """Per facility, over the days start..end: days each institution bed was on the register
    (`bed_days`) and days each was occupied by a stay (`occupied_days`), summed day by day
    from the register and the stays; and from the same rows, the beds on the register and those
    occupied on the last day, `end` (`beds_on_end`, `occupied_on_end`)."""
    result: dict[int, dict] = {}

    def entry_of(facility_id) -> dict:
        return result.setdefault(facility_id, {"bed_days": 0, "occupied_days": 0, "beds_on_end": 0,
                                               "occupied_on_end": 0})

    # Grouped by care type too, which is not needed, because that is the register index's order: the
    # groups come out of the index as it is read, where the three columns alone sorted every bed first
    # (at --scale 10 on SQLite 0.013 CPU-s instead of 0.027).
    for facility_id, added_on, retired_on, n in db.session.execute(
        select(Bed.facility_id, Bed.added_on, Bed.retired_on, func.count())
        .where(Bed.kind == BedKind.institution, Bed.added_on <= end,
               or_(Bed.retired_on.is_(None), Bed.retired_on > start))
        .group_by(Bed.facility_id, Bed.care_type, Bed.added_on, Bed.retired_on)
    ):
        entry = entry_of(facility_id)
        entry["bed_days"] += n * _overlap_days(start, end, added_on, retired_on)
        entry["beds_on_end"] += n if retired_on is None or retired_on > end else 0
    # Stays clamped to the period in SQL, so those covering it whole fall into one group per home.
    after = end + timedelta(days=1)
    first = case((Stay.start_on < start, literal(start)), else_=Stay.start_on).label("first")
    until = case((or_(Stay.end_on.is_(None), Stay.end_on > after), literal(after)), else_=Stay.end_on).label("until")
    for facility_id, start_on, end_on, n in db.session.execute(
        select(Bed.facility_id, first, until, func.count())
        .join(Stay, Stay.bed_id == Bed.id)
        .where(Bed.kind == BedKind.institution, Stay.start_on <= end,
               or_(Stay.end_on.is_(None), Stay.end_on > start))
        .group_by(Bed.facility_id, first, until)
    ):
        entry = entry_of(facility_id)
        entry["occupied_days"] += n * _overlap_days(start, end, start_on, end_on)
        entry["occupied_on_end"] += n if end_on == after else 0  # in its bed past `end`
    return result


def empty_counts() -> dict[str, int]:
    return {state.value: 0 for state in BedState}


def board(facility_id: int, *, with_residents: bool, care_type=None, state=None, open_only=False) -> dict:
    """Everything the bed board shows for one facility: counts by state of the beds the care-type
    and open filters keep (so the chips add up to what the board can show), and rooms with their
    beds after the state filter too."""
    query, state_col = _state_query(
        Bed.id, Bed.code, Bed.kind, Bed.care_type, Bed.open_to_public, Bed.changed_at,
        Room.code.label("room_code"), Stay.start_on, BedHold.expires_at.label("hold_expires_at"),
        Elder.name.label("resident"),
    )
    query = (
        query.outerjoin(Room, Room.id == Bed.room_id)
        .outerjoin(Elder, Elder.id == Stay.elder_id)
        .where(Bed.facility_id == facility_id)
        .order_by(Room.code.nulls_last(), Bed.code)
    )
    counts = empty_counts()
    rooms: dict[str, list] = {}
    last_changed_at = None
    for row in db.session.execute(query):
        if last_changed_at is None or row.changed_at > last_changed_at:
            last_changed_at = row.changed_at
        if (care_type and row.care_type != care_type) or (open_only and not row.open_to_public):
            continue
        counts[row.state] += 1
        if state and row.state != state:
            continue
        rooms.setdefault(row.room_code or "", []).append(
            {
                "id": row.id,
                "code": row.code,
                "kind": row.kind.value,
                "care_type": row.care_type.value,
                "open_to_public": row.open_to_public,
                "state": row.state,
                "since": row.start_on if row.state in OCCUPIED_STATES else None,
                "hold_expires_at": row.hold_expires_at if row.state == BedState.on_hold else None,
                "resident": row.resident if with_residents else None,
            }
        )
    return {
        "counts": counts,
        "total": sum(counts.values()),
        "last_changed_at": last_changed_at,
        "rooms": [{"code": code, "beds": beds} for code, beds in rooms.items()],
    }


class DirectoryRow(NamedTuple):
    """A facility with its town, as the directory lists it: a plain tuple, whose fields read ten
    times faster than a SQLAlchemy Row's (about 0.04 us against 0.5), which counts when the
    figures walk 2,500 homes."""

    id: int
    name: str
    type: FacilityType
    town_id: int
    medical_integrated: bool
    tekun_reserve: int | None
    serves_tekun: bool
    ownership: Ownership
    closed_on: date | None
    town: str
    town_code: str


@per_facility
def _directory_rows(facility_ids=None) -> list[DirectoryRow]:
    query = (select(Facility.id, Facility.name, Facility.type, Facility.town_id, Facility.medical_integrated,
                    Facility.tekun_reserve, Facility.serves_tekun, Facility.ownership, Facility.closed_on,
                    Town.name.label("town"), Town.code.label("town_code"))
             .join(Town, Town.id == Facility.town_id))
    if facility_ids is not None:
        query = query.where(Facility.id.in_(facility_ids))
    return [DirectoryRow(*row) for row in db.session.execute(query)]


@revised
def facility_directory(*, previous=None) -> tuple[tuple, tuple]:
    """Every facility with its town, in the towns' official order: the one list the dashboard,
    the reserve rules and the application form read. Its rows are kept facility by facility (a
    change in one home re-reads that home's row); their order (the database's collation of the
    names) is asked again only when a facility came, went, or changed its name or town."""
    rows = _directory_rows.by_facility()
    if previous is not None:
        directory, (rows_before, order) = previous
        if rows is rows_before:
            return directory, (rows, order)
        moved = [fid for fid in rows if rows[fid] is not rows_before.get(fid)]
        if rows.keys() == rows_before.keys() and all(_sorted_by(rows[fid]) == _sorted_by(rows_before[fid])
                                                     for fid in moved):
            return tuple(rows[fid][0] for fid in order if rows[fid]), (rows, order)
    order = tuple(db.session.scalars(select(Facility.id).join(Town, Town.id == Facility.town_id)
                                     .order_by(Town.code, Facility.name)))
    return tuple(rows[fid][0] for fid in order if rows.get(fid)), (rows, order)


def _sorted_by(group: tuple) -> tuple | None:
    return (group[0].town_code, group[0].name) if group else None


class DirectoryChanges(NamedTuple):
    directory: tuple  # facility_directory()
    places: dict  # facility id -> its place in the directory
    moved: list | None  # the facilities changed since `seen`, or None: count everything again
    seen: tuple  # what to hand `directory_changes` next time


def directory_changes(seen: tuple | None) -> DirectoryChanges:
    """For a memo kept facility by facility over the directory (eldercare.cache.revised): the
    facilities whose figures_version moved since `seen` (what this gave it last time; None at
    first). Every input read per facility (its directory row, its bed, resident and caregiver
    tallies) is re-read exactly for them, so the memo may keep the rest as they were; `moved` is
    None when facilities came, went or changed places in the directory."""
    directory = facility_directory()
    versions = facility_versions()
    if seen is not None:
        versions_before, places = seen
        moved = [fid for fid, version in versions.items() if versions_before.get(fid) != version]
        if len(directory) == len(places) and all(fid in places and directory[places[fid]].id == fid
                                                 for fid in moved):
            return DirectoryChanges(directory, places, moved, (versions, places))
    places = {f.id: place for place, f in enumerate(directory)}
    return DirectoryChanges(directory, places, None, (versions, places))


@cached
def towns() -> tuple[tuple[int, str], ...]:
    """Every town's (id, name), in the official order: one read after a change for all the figures."""
    return tuple(tuple(t) for t in db.session.execute(select(Town.id, Town.name).order_by(Town.code)))


def _stored(column):
    """An enum column's value as stored, a str: the tallies read some 60,000 rows at a province's
    scale, and making an Enum of each value only to read its .value back cost a quarter of a
    CPU-second of the first view."""
    return type_coerce(column, String).label(column.key)


class BedTally(NamedTuple):  # in the order of bed_tallies' columns
    facility_id: int
    kind: str
    care_type: str
    open_to_public: bool
    n: int
    changed: datetime
    state: str


class ResidentTally(NamedTuple):
    facility_id: int
    category: str
    ability_level: str | None
    n: int
    care_type: str  # of the bed: the staffing check counts residents of nursing-type beds


@per_facility
def bed_tallies(facility_ids=None) -> list[BedTally]:
    """Every facility's beds counted by kind, care type, open-to-public flag and state, with
    the latest bed change: the scan of the bed table that the facility list and all the
    dashboard's figures share (re-read only for facilities that changed)."""
    group_by = (Bed.facility_id, Bed.kind, Bed.care_type, Bed.open_to_public)
    query, state_col = _state_query(Bed.facility_id, _stored(Bed.kind), _stored(Bed.care_type), Bed.open_to_public,
                                    func.count().label("n"), func.max(Bed.changed_at).label("changed"))
    if facility_ids is not None:
        query = query.where(Bed.facility_id.in_(facility_ids))
    return [BedTally(*row) for row in db.session.execute(query.group_by(*group_by, state_col))]


@per_facility
def resident_tallies(facility_ids=None) -> list[ResidentTally]:
    """Residents in institution beds now, by facility, category, ability level and the bed's care type."""
    query = (
        select(Bed.facility_id, _stored(Elder.category), _stored(Elder.ability_level), func.count().label("n"),
               _stored(Bed.care_type))
        .join(Stay, Stay.bed_id == Bed.id)
        .join(Elder, Elder.id == Stay.elder_id)
        .where(Stay.end_on.is_(None), Bed.kind == BedKind.institution)
        .group_by(Bed.facility_id, Elder.category, Elder.ability_level, Bed.care_type)
    )
    if facility_ids is not None:
        query = query.where(Bed.facility_id.in_(facility_ids))
    return [ResidentTally(*row) for row in db.session.execute(query)]


def bed_counts(tallies) -> dict:
    """One facility's beds from its tallies: by state (every kind of bed), by kind, and the
    latest bed change."""
    counts, by_kind, changed = empty_counts(), dict.fromkeys(BedKind, 0), None
    for row in tallies:
        counts[row.state] += row.n
        by_kind[row.kind] += row.n
        changed = row.changed if changed is None else max(changed, row.changed)
    return {"counts": counts, "by_kind": by_kind, "changed": changed}


# Per facility with beds: bed_counts(its tallies), worked out again only for the homes that changed.
counts_by_facility = derived(bed_tallies, bed_counts)


def facility_summaries(visible_clause) -> list[dict]:
    """Facilities with their bed counts by state, for any number of them."""
    per_facility = counts_by_facility()
    facilities = db.session.execute(
        select(Facility.id, Facility.name, Facility.type, Town.name.label("town"))
        .join(Town, Town.id == Facility.town_id)
        .where(visible_clause(Facility.id))
        .order_by(Town.code, Facility.name)
    )
    result = []
    for f in facilities:
        entry = per_facility.get(f.id) or {"counts": empty_counts(), "changed": None}
        result.append(
            {
                "id": f.id, "name": f.name, "type": f.type.value, "town": f.town, "counts": entry["counts"],
                "total": sum(entry["counts"].values()), "last_changed_at": entry["changed"],
            }
        )
    return result


@cached
def vacant_beds(facility_id: int) -> tuple[dict, ...]:
    """The beds an admission may go into: vacant now (not held, not to be cleaned, in service).
    Kept until anything changes: every occupied bed's page lists them (the transfer form)."""
    query, state_col = _state_query(Bed.id, Bed.code, Bed.care_type, Room.code.label("room_code"))
    query = (
        query.outerjoin(Room, Room.id == Bed.room_id)
        .where(Bed.facility_id == facility_id, state_col == BedState.vacant.value)
        .order_by(Room.code.nulls_last(), Bed.code)
    )
    return tuple(
        {"id": r.id, "code": r.code, "care_type": r.care_type.value, "room_code": r.room_code}
        for r in db.session.execute(query)
    )


def open_stay_of(bed_id: int):
    return db.session.scalar(select(Stay).where(Stay.bed_id == bed_id, Stay.end_on.is_(None)))


def active_hold_of(bed_id: int):
    return db.session.scalar(select(BedHold).where(BedHold.bed_id == bed_id, BedHold.released_at.is_(None)))


def stays_of_bed(bed_id: int, *, with_residents: bool, limit: int = 20) -> list[dict]:
    rows = db.session.execute(
        select(Stay.id, Stay.start_on, Stay.end_on, Stay.end_reason, Elder.name)
        .join(Elder, Elder.id == Stay.elder_id)
        .where(Stay.bed_id == bed_id)
        .order_by(Stay.start_on.desc(), Stay.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": r.id, "start_on": r.start_on, "end_on": r.end_on,
            "end_reason": r.end_reason.value if r.end_reason else None,
            "resident": r.name if with_residents else None,
        }
        for r in rows
    ]


def census(facility_ids, on: date, *, with_residents: bool) -> dict:
    """Who was in which bed on day `on`, computed from stays alone (point in time).

    A stay covers the days start_on <= day < end_on: the day of discharge is the first day
    the bed is free, so a discharge and an admission on the same day never count twice.
    """
    in_stay = and_(Stay.start_on <= on, or_(Stay.end_on.is_(None), Stay.end_on > on))
    rows = db.session.execute(
        select(Bed.facility_id, Bed.code, Bed.care_type, Bed.kind, Room.code.label("room_code"),
               Elder.name, Elder.category, Stay.start_on)
        .join(Stay, Stay.bed_id == Bed.id)
        .join(Elder, Elder.id == Stay.elder_id)
        .outerjoin(Room, Room.id == Bed.room_id)
        .where(Bed.facility_id.in_(facility_ids), in_stay)
        .order_by(Room.code.nulls_last(), Bed.code)
    ).all()
    institution = [r for r in rows if r.kind == BedKind.institution]
    return {
        "on": on,
        "occupied": len(rows),
        "occupied_institution": len(institution),
        "occupied_nursing": sum(1 for r in institution if r.care_type.value == "nursing"),
        "residents": [
            {"bed": r.code, "room": r.room_code, "name": r.name, "category": r.category.value,
             "since": r.start_on}
            for r in rows
        ] if with_residents else [],
    }


def rooms_on(facility_id: int, day: date) -> list[dict]:
    """A facility's rooms on `day`: beds on the register by care type, and those occupied."""
    care, later = care_type_on(day)
    in_stay = and_(Stay.bed_id == Bed.id, Stay.start_on <= day, or_(Stay.end_on.is_(None), Stay.end_on > day))
    rooms: dict[str, dict] = {}
    for room, care_type, beds, occupied in db.session.execute(
        select(Room.code, care, func.count(Bed.id), func.count(Stay.id))
        .select_from(Bed).outerjoin(later, later.c.bed_id == Bed.id)
        .outerjoin(Room, Room.id == Bed.room_id).outerjoin(Stay, in_stay)
        .where(Bed.facility_id == facility_id, on_register(day))
        .group_by(Room.code, care).order_by(Room.code.nulls_last())
    ):
        entry = rooms.setdefault(room or "", {"room": room or "", "beds": 0, "nursing": 0, "ordinary": 0,
                                              "occupied": 0})
        entry["beds"] += beds
        entry["nursing" if care_type == CareType.nursing.value else "ordinary"] += beds
        entry["occupied"] += occupied
    return list(rooms.values())


def beds_per_room(facility_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Bed.room_id, func.count()).where(Bed.facility_id == facility_id, Bed.retired_on.is_(None))
        .group_by(Bed.room_id)
    )
    return {room_id: n for room_id, n in rows}


def beds_named(facility_id: int, bed_ids) -> list[dict]:
    """The beds of `bed_ids` that belong to the facility, in the order they were added."""
    rows = db.session.execute(select(Bed.id, Bed.code).where(Bed.facility_id == facility_id, Bed.id.in_(bed_ids))
                              .order_by(Bed.id))
    return [{"id": bed_id, "code": code} for bed_id, code in rows]


def meal_log(facility_id: int, limit: int = 60) -> list[dict]:
    rows = db.session.scalars(
        select(MealLog).where(MealLog.facility_id == facility_id).order_by(MealLog.day.desc()).limit(limit)
    )
    return [{"day": r.day, "meals": r.meals, "subsidised": r.subsidised, "by_category": r.subsidised_by_category}
            for r in rows]
