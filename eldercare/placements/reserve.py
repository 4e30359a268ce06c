"""The tekun reserve and the surplus beds a public home may open (domain.md section 3).

A facility keeps beds for tekun elders: its configured reserve, or by default its current
tekun residents plus pending tekun applications. Residents already fill part of it; the rest
must be kept as vacant beds that are not open to the public. Only vacant open beds beyond
that count as open.
"""

from dataclasses import dataclass

from eldercare.facilities import queries
from eldercare.placements.models import Category


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
    def open_beds(self) -> int:
        """Vacant open beds above the reserve: what the public may be offered."""
        return max(0, self.vacant_open - max(0, self.vacant_needed - self.vacant_closed))


def reserve_of(configured: int | None, tekun_residents: int, pending_tekun: int = 0) -> int:
    return configured if configured is not None else tekun_residents + pending_tekun


def tekun_residents_by_facility() -> dict[int, int]:
    """Tekun elders in institution beds now, per facility."""
    result: dict[int, int] = {}
    for row in queries.resident_tallies():
        if row.category == Category.tekun:
            result[row.facility_id] = result.get(row.facility_id, 0) + row.n
    return result
