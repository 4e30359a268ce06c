"""The reviewer's other way of matching: from an approved application to the vacant beds that fit
it. Whether a bed fits is workflow.check_eligible's answer (care type, tekun or open, the reserve),
never a rule of its own here; the application's preferred homes and towns choose where to look."""

from collections import defaultdict

from sqlalchemy import select

from eldercare.extensions import db
from eldercare.facilities import queries as bed_queries
from eldercare.facilities.models import INSTITUTION_TYPES, Bed, BedKind, BedState
from eldercare.placements.models import Application, Status
from eldercare.placements.workflow import NotEligible, check_eligible


def _homes_to_search(application: Application) -> list:
    """Institutions with a vacant bed, the preferred homes first, then those in the preferred towns;
    only these when the family named any, every institution otherwise."""
    with_vacancy = {t.facility_id for t in bed_queries.bed_tallies()
                    if t.kind == BedKind.institution and t.state == BedState.vacant and t.n}
    homes = set(application.preferred_facility_ids or [])
    towns = set(application.preferred_town_ids or [])
    ranked = []
    for f in bed_queries.facility_directory():
        if f.type not in INSTITUTION_TYPES or f.id not in with_vacancy:
            continue
        rank = 0 if f.id in homes else 1 if f.town_id in towns else 2
        if rank < 2 or not (homes or towns):
            ranked.append((rank, f))
    return [f for _, f in sorted(ranked, key=lambda pair: pair[0])]


def beds_for(application: Application) -> list[dict]:
    """For an approved application: per home and kind of bed (care type, open or kept for tekun
    elders), the first vacant bed that fits, with how many more of the same kind fit: one offer
    per candidate instead of a button per identical bed."""
    if application.status != Status.approved:
        return []
    rows = []
    for home in _homes_to_search(application):
        groups: dict[tuple, list[dict]] = defaultdict(list)
        vacant = bed_queries.vacant_beds(home.id)
        if not vacant:
            continue
        beds = {b.id: b for b in db.session.scalars(select(Bed).where(Bed.id.in_([v["id"] for v in vacant])))}
        for v in vacant:
            bed = beds[v["id"]]
            if bed.kind == BedKind.institution:
                groups[(bed.care_type.value, bed.open_to_public)].append(v)
        for (care_type, _open), same in groups.items():
            first = beds[same[0]["id"]]
            try:
                check_eligible(application, first)
            except NotEligible:
                continue
            rows.append({"home": home.name, "town": home.town, "bed": first, "room_code": same[0]["room_code"],
                         "care_type": care_type, "more": len(same) - 1,
                         "preferred": home.id in (application.preferred_facility_ids or [])})
    return rows
