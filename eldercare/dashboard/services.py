"""Every figure of the bureau's dashboard, as plain data.

Pages, the JSON API and PDF reports call these functions and nothing else, so a number is the
same wherever it is shown. Each function runs a fixed number of grouped queries, whatever the
number of facilities or beds.
"""

import math
from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from eldercare.cache import cached, derived, revised
from eldercare.dashboard import snapshots
from eldercare.dashboard.targets import target_for
from eldercare.extensions import db
from eldercare.facilities import queries
from eldercare.facilities.models import (
    INSTITUTION_TYPES,
    OCCUPIED_STATES,
    Bed,
    BedKind,
    BedState,
    CareType,
    Facility,
    FacilityType,
    MealLog,
    Stay,
    Town,
)
from eldercare.facilities.reserve import reserves, tekun_residents_by_facility
from eldercare.models import utcnow
from eldercare.residents.models import AbilityLevel, Category, Elder
from eldercare.timekeeping import local_today

# Residents whose care needs weigh most when choosing where to add nursing-type beds.
MOST_DISABLED = (AbilityLevel.severe, AbilityLevel.complete)


def ratio_figures(nursing: int, total: int, out_of_service: int, target: Decimal) -> dict:
    """Ratio, shortfall and verdict for one scope (domain.md section 2).

    Shortfall: the fewest ordinary beds to convert, ceil(target * total - nursing), at least 0;
    computed in exact decimals so a target met exactly shows no shortfall.
    """
    needed = target * total
    return {
        "nursing": nursing,
        "ordinary": total - nursing,
        "total": total,
        "out_of_service": out_of_service,
        "ratio": nursing / total if total else None,
        "target": float(target),
        "shortfall": max(0, math.ceil(needed - nursing)),
        "meets": nursing >= needed if total else None,
    }


def institution_beds(tallies) -> tuple[int, int, int]:
    """(nursing, all, out of service) institution beds from one facility's bed tallies: the beds
    an elderly-care institution brings to the ratio."""
    nursing = total = out_of_service = 0
    for row in tallies:
        if row.kind == BedKind.institution:
            total += row.n
            nursing += row.n if row.care_type == CareType.nursing else 0
            out_of_service += row.n if row.state == BedState.out_of_service else 0
    return nursing, total, out_of_service


def beds_in_ratio(facility_type, tallies) -> tuple[int, int, int]:
    """What one facility adds to the ratio now: its institution beds, none for a community facility."""
    return institution_beds(tallies) if facility_type in INSTITUTION_TYPES else (0, 0, 0)


# Per facility with beds, kept facility by facility: a change in one home counts that home again.
_institution_beds_now = derived(queries.bed_tallies, institution_beds)


def _ratio_counts(as_of: date | None = None) -> dict[int, tuple[int, int, int]]:
    """Per facility: (nursing, all, out of service) institution beds; on a past day `as_of`,
    (nursing, all, 0) from the bed register (which beds were out of service then is not kept)."""
    if as_of is not None and as_of != local_today():
        return {facility_id: (nursing, total, 0)
                for facility_id, (total, nursing) in queries.institution_beds_on(as_of).items()}
    return _institution_beds_now()


@revised
def care_ratio(year: int, as_of: date | None = None, *, previous=None) -> tuple[dict, tuple]:
    """The nursing-type share of institution beds for the city, each town and each facility,
    now or on the day `as_of` (from the bed register).

    After a change it starts from its `previous` result (eldercare.cache.revised): only the
    facilities whose figures_version moved are worked out again (queries.directory_changes), and
    the towns' sums are adjusted by what they take away and add; a new target, a change in the
    towns, an institution that came or went, or a past day (from the register) counts everything again."""
    target = target_for(year)
    counts = _ratio_counts(as_of)
    towns = queries.towns()
    scope = (target, towns, as_of is None or as_of == local_today())
    before, (scope_before, seen, index_of, sums_before) = previous if previous is not None else (None, (None,) * 4)
    directory, places, moved, seen = queries.directory_changes(seen if scope[2] and scope_before == scope else None)

    def row_of(f) -> dict:
        return {"id": f.id, "name": f.name, "town_id": f.town_id, "town": f.town, "type": f.type.value,
                "medical_integrated": f.medical_integrated, **ratio_figures(*counts.get(f.id, (0, 0, 0)), target)}

    def add(row: dict, sign: int) -> None:
        sums = per_town[row["town_id"]]
        sums[0] += sign * row["nursing"]
        sums[1] += sign * row["total"]
        sums[2] += sign * row["out_of_service"]

    facilities = None
    if moved is not None:
        facilities, per_town = list(before["facilities"]), {t: list(sums) for t, sums in sums_before.items()}
        for fid in moved:
            f, at = directory[places[fid]], index_of.get(fid)
            if (at is None) != (f.type not in INSTITUTION_TYPES):  # became an institution or ceased to be one
                facilities = None
                break
            if at is not None:
                add(facilities[at], -1)
                facilities[at] = row_of(f)
                add(facilities[at], 1)
    if facilities is None:
        facilities, index_of, per_town = [], {}, {town_id: [0, 0, 0] for town_id, _name in towns}
        for f in directory:
            if f.type in INSTITUTION_TYPES:
                index_of[f.id] = len(facilities)
                facilities.append(row_of(f))
                add(facilities[-1], 1)
    city = [sum(c[i] for c in per_town.values()) for i in range(3)]
    town_rows = [{"id": town_id, "name": name, **ratio_figures(*per_town[town_id], target)} for town_id, name in towns]
    town_rows.sort(key=lambda t: (-t["shortfall"], t["ratio"] if t["ratio"] is not None else 2, t["name"]))
    return {"year": year, "target": float(target), "city": ratio_figures(*city, target), "towns": town_rows,
            "facilities": facilities}, (scope, seen, index_of, per_town)


def _disability_of(tallies) -> tuple[int, int]:
    """(residents, residents severely or completely disabled) from one facility's resident tallies."""
    return sum(r.n for r in tallies), sum(r.n for r in tallies if r.ability_level in MOST_DISABLED)


def _in_service_ordinary_of(tallies) -> int:
    return sum(r.n for r in tallies if r.kind == BedKind.institution and r.care_type == CareType.ordinary
               and r.state != BedState.out_of_service)


# Per facility, worked out again only for the homes that changed.
_disability = derived(queries.resident_tallies, _disability_of)
_in_service_ordinary = derived(queries.bed_tallies, _in_service_ordinary_of)


@cached
def conversion_plan(year: int, town_id: int | None = None, short_towns_first: bool = True) -> dict:
    """Which ordinary beds to make nursing-type so the city (or one town) reaches the target.

    Every conversion adds one nursing-type bed and leaves the total unchanged, so the fewest
    conversions is exactly the shortfall. For the city they go first to the towns still below the
    target (unless `short_towns_first` is off: each town is measured against the target too), then
    to medical-care integrated facilities, then to those whose residents are most disabled, then to
    those with the most ordinary beds (fewer homes to touch). Each step says what it does to the
    facility and to the scope.
    """
    ratios = care_ratio(year)
    target = Decimal(str(ratios["target"]))
    if town_id is None:
        scope_name, scope = None, ratios["city"]
    else:
        town = next((t for t in ratios["towns"] if t["id"] == town_id), None)
        if town is None:
            raise LookupError(town_id)
        scope_name, scope = town["name"], town
    disability = _disability()
    ordinary = _in_service_ordinary()
    candidates = [f for f in ratios["facilities"]
                  if (town_id is None or f["town_id"] == town_id) and ordinary.get(f["id"], 0) > 0]

    def disabled_share(f):
        residents, disabled = disability.get(f["id"], (0, 0))
        return disabled / residents if residents else 0.0

    short_towns = {t["id"] for t in ratios["towns"] if t["shortfall"] > 0} if short_towns_first else set()
    candidates.sort(key=lambda f: (f["town_id"] not in short_towns, not f["medical_integrated"], -disabled_share(f),
                                   -ordinary[f["id"]], f["name"]))
    remaining, nursing, total = scope["shortfall"], scope["nursing"], scope["total"]
    steps = []
    for f in candidates:
        if remaining <= 0:
            break
        convert = min(remaining, ordinary[f["id"]])
        after = ratio_figures(f["nursing"] + convert, f["total"], f["out_of_service"], target)
        steps.append({
            "facility_id": f["id"], "facility": f["name"], "town": f["town"], "convert": convert,
            "medical_integrated": f["medical_integrated"], "disabled_share": disabled_share(f),
            "facility_ratio_before": f["ratio"], "facility_ratio_after": after["ratio"],
            "scope_ratio_before": nursing / total, "scope_ratio_after": (nursing + convert) / total,
        })
        nursing += convert
        remaining -= convert
    return {"year": year, "target": float(target), "town_id": town_id, "scope": scope_name, "before": scope,
            "short_towns_first": short_towns_first,
            "conversions": sum(s["convert"] for s in steps), "steps": steps, "reachable": remaining <= 0}


def occupancy_figures(counts: dict[str, int]) -> dict:
    """Beds by state with the occupied ones (on leave and in hospital included), the total and
    the vacancy rate of the beds in service."""
    occupied = sum(counts[s] for s in OCCUPIED_STATES)
    total = sum(counts.values())
    in_service = total - counts[BedState.out_of_service]
    return {**counts, "occupied_all": occupied, "total": total,
            "vacancy_rate": counts[BedState.vacant] / in_service if in_service else None}


def _institution_occupancy(tallies) -> dict | None:
    """occupancy_figures of one facility's institution beds (None without any)."""
    counts = queries.empty_counts()
    for row in tallies:
        if row.kind == BedKind.institution:
            counts[row.state] += row.n
    return occupancy_figures(counts) if any(counts.values()) else None


_institution_occupancy_now = derived(queries.bed_tallies, _institution_occupancy)  # again only for homes that changed


def _add_counts(sums: dict, counts: dict, sign: int) -> None:
    for state in sums:
        sums[state] += sign * counts[state]


@revised
def occupancy(*, previous=None) -> tuple[dict, tuple]:
    """Institution beds by state for the city, by facility type, by town and by facility; public
    homes' vacancy set against the others; tekun residents against the reserve; surplus beds
    open to the public.

    After a change it starts from its `previous` sums (eldercare.cache.revised): the facility
    types' and towns' counts are adjusted by what the facilities whose figures_version moved take
    away and add (queries.directory_changes); a change in the towns counts everything again."""
    per_facility = _institution_occupancy_now()
    town_names = tuple(name for _id, name in queries.towns())
    before, (names_before, seen, inputs_before, type_sums, town_sums) = \
        previous if previous is not None else (None, (None,) * 5)
    directory, places, moved, seen = queries.directory_changes(seen if names_before == town_names else None)
    by_type: dict[str, dict] = defaultdict(queries.empty_counts)
    by_town: dict[str, dict] = defaultdict(queries.empty_counts)

    def add(facility_id: int, sign: int) -> None:
        figures, ftype, town = inputs[facility_id]
        _add_counts(by_type[ftype], figures, sign)
        _add_counts(by_town[town], figures, sign)

    def enter(facility_id: int) -> None:
        f = directory[places[facility_id]]
        inputs[facility_id] = (per_facility[facility_id], f.type.value, f.town)
        add(facility_id, 1)

    if moved is not None:
        inputs = dict(inputs_before)
        by_type.update((key, dict(sums)) for key, sums in type_sums.items())
        by_town.update((key, dict(sums)) for key, sums in town_sums.items())
        for facility_id in moved:
            if facility_id in inputs:
                add(facility_id, -1)
                del inputs[facility_id]
            if per_facility.get(facility_id) is not None:
                enter(facility_id)
    else:
        inputs = {}
        for facility_id, figures in per_facility.items():
            if figures is not None:
                enter(facility_id)
    tekun_reserves = reserves().values()  # the facilities that serve tekun elders: one scope for both figures
    city = queries.empty_counts()
    for counts in by_type.values():
        _add_counts(city, counts, 1)

    public = occupancy_figures(by_type.get(FacilityType.public_home.value, queries.empty_counts()))
    others = queries.empty_counts()
    for ftype, counts in by_type.items():
        if ftype != FacilityType.public_home.value:
            _add_counts(others, counts, 1)
    return {
        "by_type": {t.value: occupancy_figures(by_type[t.value]) for t in FacilityType if t in INSTITUTION_TYPES},
        "city": occupancy_figures(city),
        "by_town": {town: occupancy_figures(by_town[town]) for town in town_names if any(by_town[town].values())},
        "by_facility": {facility_id: entry[0] for facility_id, entry in inputs.items()},
        "public_homes": public, "other_homes": occupancy_figures(others),
        "tekun_in_care": sum(r.tekun_residents for r in tekun_reserves),
        "tekun_elsewhere": sum(tekun_residents_by_facility().values()) - sum(r.tekun_residents for r in tekun_reserves),
        "tekun_reserve": sum(r.reserve for r in tekun_reserves),
        "surplus_open_beds": sum(r.open_beds for r in tekun_reserves),
    }, (town_names, seen, inputs, dict(by_type), dict(by_town))


@cached
def period_occupancy(start: date, end: date) -> dict:
    """Occupancy of institution beds over the days start..end (inclusive), from the stays and the
    bed register day by day, for the city, each town, facility type and facility: occupied
    bed-days, bed-days and their quotient, the average daily occupancy (`average`); and as a report
    states it "as of" the last day, from the same rows: the beds on the register and those occupied
    by stays that day, with the tekun residents in them and the public homes apart (`on_end`). How
    free beds were split (vacant, on hold, cleaning, out of service), the reserve and the beds open
    to the public are known only live (`occupancy()`).

    A period of one day gives the figures of that day: `period_occupancy(day, day)["on_end"]`."""
    days = (end - start).days + 1
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_facility = queries.institution_bed_days(start, end)
    for f in queries.facility_directory():
        if f.type not in INSTITUTION_TYPES:
            continue
        entry = by_facility.get(f.id)
        counts = (entry["occupied_days"], entry["bed_days"], entry["beds_on_end"],
                  entry["occupied_on_end"]) if entry else (0, 0, 0, 0)
        public = "public_homes" if f.type == FacilityType.public_home else "other_homes"
        for key in (("city",), ("by_type", f.type.value), ("by_town", f.town), ("by_facility", f.id), (public,)):
            group = groups[key]
            for i, n in enumerate(counts):
                group[i] += n
    # The tekun elders in an institution's bed on the last day, few, found through the category's index.
    tekun = db.session.scalar(
        select(func.count()).select_from(Elder).join(Stay, Stay.elder_id == Elder.id)
        .join(Bed, Bed.id == Stay.bed_id).join(Facility, Facility.id == Bed.facility_id)
        .where(Elder.category == Category.tekun, Bed.kind == BedKind.institution,
               Facility.type.in_([t.value for t in INSTITUTION_TYPES]), snapshots.stay_on(end)))

    def average(key):
        occupied_days, bed_days, _beds, _occupied = groups.get(key, (0, 0, 0, 0))
        return {"occupied_days": occupied_days, "bed_days": bed_days, "average_occupied": occupied_days / days,
                "average_beds": bed_days / days, "rate": occupied_days / bed_days if bed_days else None}

    def on_end(key):
        _occupied_days, _bed_days, total, occupied = groups.get(key, (0, 0, 0, 0))
        return {"total": total, "occupied_all": occupied, "free": total - occupied,
                "rate": occupied / total if total else None}

    towns = sorted(k[1] for k in groups if k[0] == "by_town")
    facilities = [k[1] for k in groups if k[0] == "by_facility"]
    types = [t.value for t in FacilityType if t in INSTITUTION_TYPES]
    return {
        "start": start, "end": end, "days": days,
        "average": {"city": average(("city",)), "by_type": {t: average(("by_type", t)) for t in types},
                    "by_town": {t: average(("by_town", t)) for t in towns},
                    "by_facility": {f: average(("by_facility", f)) for f in facilities}},
        "on_end": {"day": end, "city": on_end(("city",)), "by_type": {t: on_end(("by_type", t)) for t in types},
                   "by_town": {t: on_end(("by_town", t)) for t in towns},
                   "by_facility": {f: on_end(("by_facility", f)) for f in facilities},
                   "public_homes": on_end(("public_homes",)), "other_homes": on_end(("other_homes",)),
                   "tekun_in_care": tekun},
    }


@revised
def _by_last_change(*, previous=None) -> tuple[tuple[list[dict], list[tuple]], tuple]:
    """Every facility, those without a bed change first, then from the oldest change (the
    directory's order among equals), with their sort keys: the facilities not changed since a
    moment are the first ones, as many as the keys before it. After a change, only the facilities
    whose figures_version moved are taken out and put back in their place (eldercare.cache.revised);
    facilities that came, went or changed places in the directory sort everything again."""
    counts = queries.counts_by_facility()
    (rows, keys), (seen, key_of) = previous if previous is not None else ((None, None), (None, None))
    directory, places, moved, seen = queries.directory_changes(seen)

    def entry(place, f) -> tuple[tuple, dict]:
        changed = counts[f.id]["changed"] if f.id in counts else None
        return ((changed is not None, changed or 0, place),
                {"id": f.id, "name": f.name, "town": f.town, "type": f.type.value, "last_changed_at": changed})

    if moved is not None:
        rows, keys, key_of = list(rows), list(keys), dict(key_of)
        for fid in moved:
            at = bisect_left(keys, key_of[fid])
            del keys[at], rows[at]
            key, row = entry(places[fid], directory[places[fid]])
            at = bisect_left(keys, key)
            keys.insert(at, key)
            rows.insert(at, row)
            key_of[fid] = key
        return (rows, keys), (seen, key_of)
    entries = sorted((entry(place, f) for place, f in enumerate(directory)), key=lambda e: e[0])
    keys, rows = [key for key, _row in entries], [row for _key, row in entries]
    return (rows, keys), (seen, {row["id"]: key for key, row in entries})


def freshness(stale_after_days: int | None = None) -> dict:
    """The facilities with no bed change for `stale_after_days` (or none at all), the longest
    unchanged first: a prefix of the facilities by last change, found by bisection, so a view
    costs no walk over every facility (the prefix grows with the clock, not only with the data)."""
    days = stale_after_days or current_app.config["STALE_AFTER_DAYS"]
    rows, keys = _by_last_change()
    stale_count = bisect_left(keys, (True, utcnow() - timedelta(days=days)))
    return {"days": days, "stale": rows[:stale_count], "stale_count": stale_count}


@cached
def community_points(days: int, today: date) -> dict:
    """Meal points and mutual-aid points by town, with meals served over the `days` days up to `today`."""
    since = today - timedelta(days=days - 1)
    towns = {name: {"meal_points": 0, "mutual_aid": 0, "meals": 0, "subsidised": 0}
             for _id, name in queries.towns()}
    for town, ftype, n in db.session.execute(
        select(Town.name, Facility.type, func.count()).join(Facility, Facility.town_id == Town.id)
        .where(Facility.type.in_([FacilityType.meal_point.value, FacilityType.mutual_aid.value]))
        .group_by(Town.name, Facility.type)
    ):
        towns[town]["meal_points" if ftype == FacilityType.meal_point else "mutual_aid"] = n
    for town, meals, subsidised in db.session.execute(
        select(Town.name, func.sum(MealLog.meals), func.sum(MealLog.subsidised))
        .join(Facility, Facility.town_id == Town.id).join(MealLog, MealLog.facility_id == Facility.id)
        .where(MealLog.day.between(since, today)).group_by(Town.name)
    ):
        towns[town]["meals"], towns[town]["subsidised"] = int(meals or 0), int(subsidised or 0)
    total = {key: sum(t[key] for t in towns.values()) for key in ("meal_points", "mutual_aid", "meals", "subsidised")}
    return {"days": days, "since": since, "until": today, "towns": towns, "total": total}


def _community_beds_of(tallies) -> tuple[int, int]:
    """(day-care beds, family care beds) of one facility's bed tallies."""
    return (sum(r.n for r in tallies if r.kind == BedKind.day_care),
            sum(r.n for r in tallies if r.kind == BedKind.family_care))


_community_beds = derived(queries.bed_tallies, _community_beds_of)  # counted again only for homes that changed


def community(days: int = 30, today: date | None = None) -> dict:
    """The meal and mutual-aid points (`community_points`), with the day-care and family care beds,
    which are counted apart from the ratio."""
    beds = _community_beds().values()
    return {**community_points(days, today or local_today()), "day_care_beds": sum(b[0] for b in beds),
            "family_care_beds": sum(b[1] for b in beds)}
