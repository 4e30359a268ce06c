"""A facility's rooms and beds as a spreadsheet (CSV or XLSX, Chinese or English headers),
read with eldercare/spreadsheets.py like every import: each row becomes the same service calls
the rooms and bed pages make.

A row names a bed by its code: a new code adds the bed (and its room, if new); a known code
changes the bed's care type or service state to the file's. Nothing else of a known bed is
changed, and no bed is ever removed, so a bed with an open stay keeps it: taking an occupied
bed out of service is refused by the service like on the page. Re-importing the same file
changes nothing. `check` runs every row in a savepoint inside the caller's transaction and
collects the errors; the caller rolls back (preview) or commits when no row has one.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from eldercare import cache, labels
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import Bed, BedKind, BedState, CareType, Facility, Room
from eldercare.spreadsheets import Column, Row

COLUMNS = [
    Column("room", ("房间", "Room", "房间号"), required=False),
    Column("code", ("床位号", "Bed code", "床号", "床位编号")),
    Column("kind", ("床位种类", "Kind", "种类"), required=False),
    Column("care_type", ("床位类型", "Care type", "护理类型")),
    Column("out_of_service", ("停用", "Out of service"), required=False),
    Column("state", ("状态", "State"), required=False),  # written on export; an import ignores it
]
YES = {"是", "停用", "yes", "y", "true", "1", "x", "√", "✓"}
NO = {"", "否", "在用", "启用", "no", "n", "false", "0"}


def _parse(values: dict[str, str], errors: list[str], kinds, care_types) -> dict:
    parsed = {"room": values["room"].strip(), "code": values["code"].strip()}
    if not parsed["code"]:
        errors.append(_("Bed code: empty."))
    kind = kinds.get((values["kind"].strip() or BedKind.institution.value).casefold())
    if kind is None:
        errors.append(_("Kind: %(text)s is not a kind of bed.", text=values["kind"]))
    care_type = care_types.get(values["care_type"].strip().casefold())
    if care_type is None:
        errors.append(_("Care type: %(text)s is not nursing-type or ordinary.", text=values["care_type"]))
    flag = values["out_of_service"].strip().casefold()
    if flag not in YES | NO:
        errors.append(_("Out of service: write yes or no, not %(text)s.", text=values["out_of_service"]))
    parsed.update(kind=kind, care_type=care_type, out_of_service=flag in YES)
    return parsed


def _apply(actor, facility: Facility, parsed: dict, rooms: dict[str, Room]) -> None:
    room = rooms.get(parsed["room"]) if parsed["room"] else None
    bed = db.session.scalar(select(Bed).where(Bed.facility_id == facility.id, Bed.retired_on.is_(None),
                                              func.lower(Bed.code) == parsed["code"].lower()))
    if bed is None:
        if parsed["room"] and room is None:
            room = rooms[parsed["room"]] = services.create_room(actor, facility, code=parsed["room"])
        bed = services.create_bed(actor, facility, code=parsed["code"], care_type=parsed["care_type"],
                                  kind=parsed["kind"], room=room)
        if parsed["out_of_service"]:
            services.take_out_of_service(actor, bed)
        return
    if (bed.room.code if bed.room else "") != parsed["room"]:
        raise InvalidInput(_l("Bed %(code)s is in room %(room)s; an import does not move beds between rooms.",
                              code=bed.code, room=bed.room.code if bed.room else "—"))
    if bed.kind != parsed["kind"]:
        raise InvalidInput(_l("Bed %(code)s is a %(kind)s; an import does not change the kind of a bed.",
                              code=bed.code, kind=labels.BED_KIND[bed.kind]))
    if bed.care_type != parsed["care_type"]:
        services.change_care_type(actor, bed, parsed["care_type"])
    if bed.out_of_service != parsed["out_of_service"]:
        if parsed["out_of_service"]:
            services.take_out_of_service(actor, bed)
        else:
            services.return_to_service(actor, bed)


def check(actor, facility: Facility, rows: list[Row]) -> list[Row]:
    """Run every row through the bed services, each in a savepoint, collecting its errors (bad
    values, a code twice in the file, a change the services refuse)."""
    kinds, care_types = labels.spellings(labels.BED_KIND), labels.spellings(labels.CARE_TYPE)
    rooms = {r.code: r for r in db.session.scalars(select(Room).where(Room.facility_id == facility.id))}
    first_row_of: dict[str, int] = {}
    # Begin the transaction with a write before the first savepoint: SQLite's driver begins one
    # only at the first write, and a savepoint taken outside it would commit on release.
    cache.bump(db.session)
    for row in rows:
        row.errors = []
        parsed = _parse(row.values, row.errors, kinds, care_types)
        key = parsed["code"].casefold()
        if key and key in first_row_of:
            row.errors.append(_("The same bed code as row %(n)s of this file.", n=first_row_of[key]))
            continue
        first_row_of.setdefault(key, row.number)
        if row.errors:
            continue
        try:
            with db.session.begin_nested():
                _apply(actor, facility, parsed, rooms)
        except DomainError as error:
            row.errors.append(str(error))
            rooms = {r.code: r for r in db.session.scalars(select(Room).where(Room.facility_id == facility.id))}
    return rows


def export(facility_id: int) -> tuple[list[str], list[list]]:
    """The facility's beds in the import's columns (so the file can be edited and imported back),
    with each bed's state now; in the reader's language."""
    board = queries.board(facility_id, with_residents=False)
    state_words = labels.texts(labels.BED_STATE)
    rows = [[room["code"], bed["code"], str(labels.BED_KIND[BedKind(bed["kind"])]),
             str(labels.CARE_TYPE[CareType(bed["care_type"])]),
             _("yes") if bed["state"] == BedState.out_of_service else _("no"), state_words[bed["state"]]]
            for room in board["rooms"] for bed in room["beds"]]
    return [c.names[0] for c in COLUMNS], rows
