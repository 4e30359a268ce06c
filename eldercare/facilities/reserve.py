"""The tekun reserve and the beds open to the public (domain.md section 3): the one place the
rule is decided, for the bed page, the placement matching, the dashboard, the reports and the API.

A facility that serves tekun elders (Facility.serves_tekun: public homes and the regional centres
they become) keeps beds for them: the reserve the bureau administrator set, or by default its
tekun residents plus pending tekun applications, and for a 公建民营 home at least
PUBLIC_PRIVATE_TEKUN_SHARE (20%) of its institution beds. Residents already fill part of it; the
rest must be kept as vacant beds that are not open to the public. Only vacant open beds beyond
that count as open. Other institutions keep no tekun reserve.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from flask import current_app

from eldercare.cache import cached, derived
from eldercare.facilities import queries
from eldercare.facilities.models import INSTITUTION_TYPES, BedKind, BedState, CareType, Ownership
from eldercare.residents.models import Category


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


def reserve_of(configured: int | None, tekun_residents: int, pending_tekun: int = 0, minimum: int = 0) -> int:
    """The facility's reserve: set explicitly by the bureau administrator, or by default its tekun
    residents plus pending tekun applications, and never below the minimum its ownership asks
    (a 公建民营 home keeps a share of its beds for state-supported elders)."""
    if configured is not None:
        return configured
    return max(tekun_residents + pending_tekun, minimum)


def minimum_reserve(ownership, institution_beds: int) -> int:
    if ownership != Ownership.public_private:
        return 0
    share = Decimal(str(current_app.config["PUBLIC_PRIVATE_TEKUN_SHARE"]))
    return math.ceil(share * institution_beds)


def _tekun_residents(tallies) -> int:
    return sum(row.n for row in tallies if row.category == Category.tekun)


_tekun_now = derived(queries.resident_tallies, _tekun_residents)  # counted again only for homes that changed


def tekun_residents_by_facility() -> dict[int, int]:
    """Tekun elders in institution beds now, per facility."""
    return defaultdict(int, _tekun_now())


class _Beds(NamedTuple):
    institution: int
    vacant_closed: int  # vacant institution beds not open to the public
    vacant_open: int
    open_nursing: int  # of the vacant open ones, nursing-type
    open_ordinary: int


def _beds(tallies) -> _Beds:
    counts = defaultdict(int)
    for row in tallies:
        if row.kind == BedKind.institution:
            counts["institution"] += row.n
            if row.state == BedState.vacant:
                counts["vacant_open" if row.open_to_public else "vacant_closed"] += row.n
                if row.open_to_public:
                    counts[f"open_{row.care_type}"] += row.n
    return _Beds(**{field: counts[field] for field in _Beds._fields})


_beds_now = derived(queries.bed_tallies, _beds)  # worked out again only for homes that changed
_NO_BEDS = _Beds(0, 0, 0, 0, 0)


class _Pending:
    """How many pending tekun applications count towards each facility's reserve: applications
    live in placements, a higher layer, which names the function (`count_pending_with`)."""

    by_facility = staticmethod(lambda: {})


def count_pending_with(fn) -> None:
    _Pending.by_facility = staticmethod(fn)


def serving_tekun() -> list:
    """The facilities that keep a tekun reserve: those flagged as serving tekun elders."""
    return [f for f in queries.facility_directory() if f.type in INSTITUTION_TYPES and f.serves_tekun]


@cached
def reserves() -> dict[int, Reserve]:
    """The reserve of every facility that serves tekun elders, with the vacant beds that serve it."""
    beds = _beds_now()
    tekun = tekun_residents_by_facility()
    pending = defaultdict(int, _Pending.by_facility())
    result = {}
    for f in serving_tekun():
        b = beds.get(f.id, _NO_BEDS)
        minimum = minimum_reserve(f.ownership, b.institution)
        result[f.id] = Reserve(reserve=reserve_of(f.tekun_reserve, tekun[f.id], pending[f.id], minimum),
                               tekun_residents=tekun[f.id], vacant_closed=b.vacant_closed, vacant_open=b.vacant_open)
    return result


@cached
def open_beds_by_care_type() -> dict[int, dict[str, int]]:
    """Per institution: open beds by care type. Where a facility's reserve takes open beds
    back, it takes ordinary ones first, keeping nursing-type beds for disabled elders."""
    beds = _beds_now()
    result = {f.id: {CareType.nursing.value: beds[f.id].open_nursing, CareType.ordinary.value: beds[f.id].open_ordinary}
              for f in queries.facility_directory() if f.type in INSTITUTION_TYPES and f.id in beds}
    for facility_id, r in reserves().items():
        deficit = r.deficit
        counts = result.get(facility_id)
        if counts is None:
            continue
        for care in (CareType.ordinary.value, CareType.nursing.value):
            taken = min(deficit, counts[care])
            counts[care] -= taken
            deficit -= taken
    return {f: c for f, c in result.items() if sum(c.values())}


def open_beds_by_facility() -> dict[int, int]:
    return {f: sum(c.values()) for f, c in open_beds_by_care_type().items()}
