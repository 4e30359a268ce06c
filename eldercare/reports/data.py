"""The figures of an occupancy report, as plain data, for a scope and a period.

Every figure comes from the dashboard's services (and the caregiver figures when that package
is there), asked "as of" the period's last day (today for a running period) or over the
period's days; nothing here counts beds or stays itself. Names of elders or caregivers and ID
numbers are never read.
"""

from datetime import date

from eldercare.caregivers import queries as caregiver_queries
from eldercare.dashboard import services, snapshots
from eldercare.facilities import queries
from eldercare.facilities.models import INSTITUTION_TYPES, FacilityType
from eldercare.placements.queries import waitlist_figures
from eldercare.reports.periods import Period, Scope

TREND_MONTHS = 12


def _row(name, ratio: dict | None, point: dict | None, average: dict | None, **extra) -> dict:
    """One line of a table: beds and share (as of), occupied (as of), average daily occupancy."""
    ratio = ratio or {"total": 0, "nursing": 0, "ratio": None, "shortfall": 0}
    return {"name": name, "beds": ratio["total"], "nursing": ratio["nursing"], "ratio": ratio["ratio"],
            "shortfall": ratio["shortfall"], "occupied": (point or {}).get("occupied_all", 0),
            "average_occupied": (average or {}).get("average_occupied", 0.0),
            "average_rate": (average or {}).get("rate"), **extra}


def gather(scope: Scope, period: Period, today: date, *, live: bool | None = None) -> dict:
    """Everything the report prints. `live` (default: as of today) adds the figures known only
    for today: the waitlist, the tekun reserve and the beds open to the public."""
    as_of = period.as_of(today)
    live = as_of == today if live is None else live
    year = as_of.year
    ratio = services.care_ratio(year, as_of)
    occupancy = services.period_occupancy(period.start, as_of)  # the days so far, and the last of them
    point, average = occupancy["on_end"], occupancy["average"]
    directory = {f.id: f for f in queries.facility_directory()}
    data = {
        "scope": scope, "period": period, "as_of": as_of, "running": as_of < period.end, "year": year,
        "target": ratio["target"], "sections_missing": [],
    }

    if scope.level == "facility":
        figures = next((f for f in ratio["facilities"] if f["id"] == scope.id), None)
        data["headline"] = _row(scope.name, figures, point["by_facility"].get(scope.id),
                                average["by_facility"].get(scope.id))
        data["ratio"] = figures
        data["facility_type"] = directory[scope.id].type.value
        data["rooms"] = queries.rooms_on(scope.id, as_of)
        data["states"] = queries.board(scope.id, with_residents=False)["counts"] if live else None
        residents = next((r for r in snapshots.rows_for(as_of) if r["facility_id"] == scope.id), None)
        data["residents_by_category"] = residents["residents_by_category"] if residents else {}
        data["residents_by_ability"] = residents["residents_by_ability"] if residents else {}
    else:
        in_scope = [f for f in ratio["facilities"] if scope.level == "city" or f["town_id"] == scope.id]
        if scope.level == "city":
            figures = ratio["city"]
            headline_point = point["city"]
            headline_average = average["city"]
        else:
            figures = next(t for t in ratio["towns"] if t["id"] == scope.id)
            headline_point = point["by_town"].get(scope.name)
            headline_average = average["by_town"].get(scope.name)
        data["ratio"] = figures
        data["headline"] = _row(scope.name, figures, headline_point, headline_average)
        data["facilities"] = [
            _row(f["name"], f, point["by_facility"].get(f["id"]), average["by_facility"].get(f["id"]),
                 town=f["town"], type=f["type"])
            for f in sorted(in_scope, key=lambda f: (f["town"], f["name"]))
        ]
        data["public_homes"], data["other_homes"] = _public_and_others(in_scope, point, average)
        data["by_type"] = _by_type(in_scope, point, average)
        if scope.level == "city":
            data["towns"] = [_row(t["name"], t, point["by_town"].get(t["name"]), average["by_town"].get(t["name"]),
                                  id=t["id"]) for t in ratio["towns"]]
            data["tekun_in_care"] = point["tekun_in_care"]
            trend = snapshots.monthly_trend(TREND_MONTHS, as_of)
            data["trend"] = trend if any(m["days"] for m in trend) else None
            data["town_ratios"] = ratio  # drawn as a chart in the report's language (render.py)
            if not data["trend"]:
                data["sections_missing"].append("trend")
            if live:
                now = services.occupancy()
                data["tekun_reserve"] = now["tekun_reserve"]
                data["surplus_open_beds"] = now["surplus_open_beds"]
                data["waitlist"] = waitlist_figures()
            else:
                data["sections_missing"].append("live")
        community = services.community_points((as_of - period.start).days + 1, as_of)  # the period's days so far
        towns = community["towns"] if scope.level == "city" else {
            scope.name: community["towns"].get(scope.name, {"meal_points": 0, "mutual_aid": 0, "meals": 0,
                                                            "subsidised": 0})}
        data["community"] = {"since": community["since"], "until": community["until"], "towns": towns,
                             "total": {k: sum(t[k] for t in towns.values())
                                       for k in ("meal_points", "mutual_aid", "meals", "subsidised")}}
    data["caregivers"] = _caregivers(scope, as_of)
    if data["caregivers"] is None:
        data["sections_missing"].append("caregivers")
    return data


def _public_and_others(in_scope, point, average):
    rows = []
    for public in (True, False):
        group = [f for f in in_scope if (f["type"] == FacilityType.public_home.value) == public]
        rows.append(_sum_rows(group, point, average))
    return rows


def _by_type(in_scope, point, average):
    return {t.value: _sum_rows([f for f in in_scope if f["type"] == t.value], point, average)
            for t in FacilityType if t in INSTITUTION_TYPES}


def _sum_rows(group, point, average) -> dict:
    """The facilities' figures added up (the services answer per facility, town and city; a
    town's public homes are a group they do not name)."""
    total = {"beds": 0, "nursing": 0, "occupied": 0, "occupied_days": 0, "bed_days": 0, "facilities": len(group)}
    for f in group:
        total["beds"] += f["total"]
        total["nursing"] += f["nursing"]
        total["occupied"] += point["by_facility"].get(f["id"], {}).get("occupied_all", 0)
        a = average["by_facility"].get(f["id"], {})
        total["occupied_days"] += a.get("occupied_days", 0)
        total["bed_days"] += a.get("bed_days", 0)
    total["rate"] = total["occupied"] / total["beds"] if total["beds"] else None
    total["average_rate"] = total["occupied_days"] / total["bed_days"] if total["bed_days"] else None
    return total


def _caregivers(scope: Scope, day: date) -> dict | None:
    """The rosters' figures of the scope on `day` (the report prints no staffing check, which
    weighs today's residents); None while no caregiver is on its rosters."""
    figures = caregiver_queries.roster_figures(day)
    if scope.level == "city":
        found = figures["city"]
    elif scope.level == "town":
        found = next((t for t in figures["towns"] if t["id"] == scope.id), None)
    else:
        found = figures["facilities"].get(scope.id)
    return found if found and found["caregivers"] else None
