"""Daily snapshots per facility: the dated history behind the trend charts and month averages.

Beds on a day come from the bed register (added, converted, retired on dated rows) and
occupancy and residents from stays, so `record(day)` gives the same figures for yesterday as
it would have given then, and a backfill can rebuild past days. The split of
free beds (vacant, held, cleaning, out of service) is only known live, so it is stored for
today's snapshot alone. A row per facility and day (unique key); a second run for the same
day, in this process or another, inserts nothing.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select

from eldercare.dashboard.models import DailySnapshot
from eldercare.dashboard.targets import target_for
from eldercare.extensions import db
from eldercare.facilities import queries
from eldercare.facilities.models import Bed, BedKind, BedState, CareType, Stay
from eldercare.models import insert_ignoring_duplicates
from eldercare.residents.models import Elder
from eldercare.timekeeping import local_today


def stay_on(day: date):
    """The stays that hold their bed on `day`."""
    return and_(Stay.start_on <= day, or_(Stay.end_on.is_(None), Stay.end_on > day))


def rows_for(day: date) -> list[dict]:
    """One snapshot row per facility for `day`, from a handful of grouped queries."""
    live = day == local_today()
    beds = queries.institution_beds_on(day)  # the bed register: true on any past day
    states = defaultdict(queries.empty_counts)
    if live:
        for row in queries.bed_tallies():
            if row.kind == BedKind.institution:
                states[row.facility_id][row.state] += row.n
    occupied = defaultdict(lambda: [0, 0])
    by_category = defaultdict(dict)
    by_ability = defaultdict(dict)
    nursing = func.sum(case((Bed.care_type == CareType.nursing, 1), else_=0))
    for facility_id, category, ability, n, n_nursing in db.session.execute(
        select(Bed.facility_id, Elder.category, Elder.ability_level, func.count(), nursing)
        .join(Stay, Stay.bed_id == Bed.id).join(Elder, Elder.id == Stay.elder_id)
        .where(Bed.kind == BedKind.institution, stay_on(day))
        .group_by(Bed.facility_id, Elder.category, Elder.ability_level)
    ):
        occupied[facility_id][0] += n
        occupied[facility_id][1] += n_nursing
        by_category[facility_id][category.value] = by_category[facility_id].get(category.value, 0) + n
        key = ability.value if ability else "unassessed"
        by_ability[facility_id][key] = by_ability[facility_id].get(key, 0) + n
    rows = []
    for facility_id in sorted(f.id for f in queries.facility_directory()):
        counts = states[facility_id]
        rows.append({
            "facility_id": facility_id, "day": day,
            "beds": beds.get(facility_id, (0, 0))[0], "beds_nursing": beds.get(facility_id, (0, 0))[1],
            "occupied": occupied[facility_id][0], "occupied_nursing": occupied[facility_id][1],
            "vacant": counts[BedState.vacant] if live else None,
            "on_hold": counts[BedState.on_hold] if live else None,
            "needs_cleaning": counts[BedState.needs_cleaning] if live else None,
            "out_of_service": counts[BedState.out_of_service] if live else None,
            "residents_by_category": by_category[facility_id], "residents_by_ability": by_ability[facility_id],
        })
    return rows


def record(day: date | None = None) -> int:
    """Record the snapshots of `day` (default today) that are not there yet; returns how many."""
    day = day or local_today()
    before = db.session.scalar(select(func.count()).select_from(DailySnapshot).where(DailySnapshot.day == day))
    insert_ignoring_duplicates(db.session, DailySnapshot, rows_for(day))
    after = db.session.scalar(select(func.count()).select_from(DailySnapshot).where(DailySnapshot.day == day))
    return after - before


def backfill(start: date, end: date | None = None, progress=None) -> int:
    """Rebuild missing snapshots from `start` to `end` (default yesterday) from the stays."""
    end = end or local_today() - timedelta(days=1)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    added = 0
    for day in progress(days) if progress else days:
        added += record(day)
    return added


def monthly_trend(months: int = 24, today: date | None = None) -> list[dict]:
    """City occupancy and nursing-type share by month, averaged over the days recorded, with the
    target of each month's own year."""
    today = today or local_today()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    per_day = db.session.execute(
        select(DailySnapshot.day, func.sum(DailySnapshot.beds), func.sum(DailySnapshot.beds_nursing),
               func.sum(DailySnapshot.occupied))
        .where(DailySnapshot.day >= first).group_by(DailySnapshot.day).order_by(DailySnapshot.day)
    ).all()
    targets = {year: float(target_for(year)) for year in range(first.year, today.year + 1)}
    months_data: dict[str, list] = {}
    for day, beds, nursing, occupied in per_day:
        if not beds:
            continue
        m = months_data.setdefault(f"{day:%Y-%m}", [0, 0.0, 0.0])
        m[0] += 1
        m[1] += occupied / beds
        m[2] += nursing / beds
    result = []
    cursor = first
    while cursor <= today:
        key = f"{cursor:%Y-%m}"
        days, occ, ratio = months_data.get(key, (0, 0.0, 0.0))
        result.append({"month": key, "days": days, "occupancy": occ / days if days else None,
                       "ratio": ratio / days if days else None, "target": targets[cursor.year]})
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return result
