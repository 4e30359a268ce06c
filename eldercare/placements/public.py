"""The public open-bed pages (no login, no personal data): the city's open beds filtered by town
and care type, and one page per home. Open beds are counted by reserve.open_beds_by_care_type
only: the list through queries.open_beds_public, a home's page directly."""

from flask import abort
from sqlalchemy import select

from eldercare import routing
from eldercare.cache import cached
from eldercare.extensions import db
from eldercare.facilities import queries as bed_queries
from eldercare.facilities import reserve
from eldercare.facilities.models import INSTITUTION_TYPES, BedKind, CareType, Facility
from eldercare.placements import queries

CARE_KEYS = tuple(c.value for c in CareType)


@cached
def filtered(town_id: int | None, care_type: str | None) -> dict:
    """queries.open_beds_public() narrowed to one town and/or homes with open beds of one care type."""
    if care_type not in (None, *CARE_KEYS):
        abort(400)
    data = queries.open_beds_public()
    towns = {}
    for name, town in data["towns"].items():
        if town_id is not None and town["id"] != town_id:
            continue
        homes = [h for h in town["homes"] if care_type is None or h[care_type] > 0]
        if homes:
            towns[name] = {**town, "homes": homes}
    return {"towns": towns, **{care: sum(t[care] for t in towns.values()) for care in CARE_KEYS}}


def home_count(data: dict) -> int:
    """How many homes the list of `filtered` holds."""
    return sum(len(t["homes"]) for t in data["towns"].values())


def page_of(data: dict, page: int) -> dict:
    """The towns of `filtered` with the homes of one page of the list (in the towns' order), each
    town with its counts for all its homes."""
    first, towns, seen = (page - 1) * routing.PER_PAGE, {}, 0
    for name, town in data["towns"].items():
        homes = town["homes"][max(0, first - seen):max(0, first + routing.PER_PAGE - seen)]
        seen += len(town["homes"])
        if homes:
            towns[name] = {**town, "homes": homes}
    return towns


@cached
def town_choices() -> list[tuple[int, str]]:
    """Every town with an institution, in the official order (the filter's list)."""
    seen = {}
    for f in bed_queries.facility_directory():
        if f.type in INSTITUTION_TYPES:
            seen.setdefault(f.town_id, f.town)
    return list(seen.items())


def home(facility_id: int) -> dict:
    """One institution's public page: what it is, where, the care types it offers (its institution
    beds), its open beds by care type and its last bed change. 404 for anything else, a closed
    home included."""
    row = next((f for f in bed_queries.facility_directory()
                if f.id == facility_id and f.type in INSTITUTION_TYPES and f.closed_on is None), None)
    if row is None:
        abort(404)
    tallies = [t for t in bed_queries.bed_tallies() if t.facility_id == facility_id and t.kind == BedKind.institution]
    open_beds = reserve.open_beds_by_care_type().get(facility_id, dict.fromkeys(CARE_KEYS, 0))
    return {"id": row.id, "name": row.name, "type": row.type.value, "town": row.town,
            "address": db.session.scalar(select(Facility.address).where(Facility.id == facility_id)),
            "medical_integrated": row.medical_integrated,
            "care_types": [c for c in CARE_KEYS if any(t.care_type == c for t in tallies)],
            "open": open_beds, "last_changed_at": max((t.changed for t in tallies), default=None)}
