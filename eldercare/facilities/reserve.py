"""The tekun reserve and the beds open to the public (domain.md section 3).

A public home keeps beds for tekun elders: its configured reserve, or by default its current
tekun residents plus pending tekun applications. Residents already fill part of it; the rest
must be kept as vacant beds that are not open to the public. Only vacant open beds beyond
that count as open. Other institutions keep no tekun reserve.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from eldercare.cache import cached
from eldercare.extensions import db
from eldercare.facilities import queries
from eldercare.facilities.models import INSTITUTION_TYPES, BedKind, BedState, CareType, FacilityType
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Category

# Tekun applications still waiting for a bed (an offered one already holds its bed).
PENDING = (Status.submitted, Status.under_review, Status.more_info, Status.approved)


@dataclass(frozen=True)
class Reserve:
    reserve: int  # beds kept for tekun elders, occupied or not
    tekun_residents: int
    vacant_closed: int  # vacant beds not open to the public
    vacant_open: int  # vacant beds flagged open to the public

    @property
    def vacant_needed(self) -> int:
        """Vacant beds the reserve still needs for tekun elders who are not yet in."""
        return max(0, self.reserve - self.tekun_residents)

    @property
    def deficit(self) -> int:
        """Open beds the reserve has to take back because too few closed beds are vacant."""
        return max(0, self.vacant_needed - self.vacant_closed)

    @property
    def open_beds(self) -> int:
        """Vacant open beds above the reserve: what the public may be offered."""
        return max(0, self.vacant_open - self.deficit)


def reserve_of(configured: int | None, tekun_residents: int, pending_tekun: int = 0) -> int:
    return configured if configured is not None else tekun_residents + pending_tekun


def tekun_residents_by_facility() -> dict[int, int]:
    """Tekun elders in institution beds now, per facility."""
    result: dict[int, int] = defaultdict(int)
    for row in queries.resident_tallies():
        if row.category == Category.tekun:
            result[row.facility_id] += row.n
    return result


def pending_tekun_by_facility() -> dict[int, int]:
    """Pending tekun applications, each counted for one public home: the first public home it
    names, else the first public home of the first town it names."""
    homes = sorted((f for f in queries.facility_directory() if f.type == FacilityType.public_home),
                   key=lambda f: f.id)
    home_ids = {h.id for h in homes}
    first_home_of_town: dict[int, int] = {}
    for home in homes:
        first_home_of_town.setdefault(home.town_id, home.id)
    result: dict[int, int] = defaultdict(int)
    for facility_ids, town_ids in db.session.execute(
        select(Application.preferred_facility_ids, Application.preferred_town_ids)
        .where(Application.category == Category.tekun, Application.status.in_(PENDING))
    ):
        home = next((f for f in facility_ids or [] if f in home_ids), None)
        if home is None:
            home = next((first_home_of_town[t] for t in town_ids or [] if t in first_home_of_town), None)
        if home is not None:
            result[home] += 1
    return result


@cached
def reserves() -> dict[int, Reserve]:
    """The reserve of every public home, with the vacant beds that serve it."""
    vacant: dict[tuple[int, bool], int] = defaultdict(int)
    for row in queries.bed_tallies():
        if row.kind == BedKind.institution and row.state == BedState.vacant:
            vacant[row.facility_id, row.open_to_public] += row.n
    tekun = tekun_residents_by_facility()
    pending = pending_tekun_by_facility()
    result = {}
    for f in queries.facility_directory():
        if f.type == FacilityType.public_home:
            result[f.id] = Reserve(
                reserve=reserve_of(f.tekun_reserve, tekun[f.id], pending[f.id]),
                tekun_residents=tekun[f.id], vacant_closed=vacant[f.id, False], vacant_open=vacant[f.id, True],
            )
    return result


@cached
def open_beds_by_care_type() -> dict[int, dict[str, int]]:
    """Per institution: open beds by care type. Where a public home's reserve takes open beds
    back, it takes ordinary ones first, keeping nursing-type beds for disabled elders."""
    institution_ids = {f.id for f in queries.facility_directory() if f.type in INSTITUTION_TYPES}
    result: dict[int, dict[str, int]] = defaultdict(lambda: {CareType.nursing.value: 0, CareType.ordinary.value: 0})
    for row in queries.bed_tallies():
        if row.facility_id in institution_ids and row.kind == BedKind.institution and row.open_to_public \
                and row.state == BedState.vacant:
            result[row.facility_id][row.care_type] += row.n
    for facility_id, r in reserves().items():
        deficit = r.deficit
        counts = result[facility_id]
        for care in (CareType.ordinary.value, CareType.nursing.value):
            taken = min(deficit, counts[care])
            counts[care] -= taken
            deficit -= taken
    return {f: dict(c) for f, c in result.items() if sum(c.values())}


def open_beds_by_facility() -> dict[int, int]:
    return {f: sum(c.values()) for f, c in open_beds_by_care_type().items()}
