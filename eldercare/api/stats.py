"""The bureau's figures (GET /stats/care-ratio, /stats/occupancy) from eldercare/dashboard/
services.py, and the public open beds (GET /open-beds, no token)."""

from flask_smorest import abort

from eldercare.api import pagination, schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.auth.models import BUREAU_ROLES
from eldercare.dashboard import services as figures
from eldercare.extensions import db
from eldercare.facilities import queries, reserve
from eldercare.facilities.models import Facility, Town
from eldercare.timekeeping import local_today


def _scope(args) -> dict:
    """The scope asked for: the city, one town or one facility (404 for an unknown one)."""
    if args["town"] is not None and args["facility"] is not None:
        abort(422, messages={"query": {"facility": ["Give a town or a facility, not both."]}})
    if args["town"] is not None:
        town = db.get_or_404(Town, args["town"])
        return {"level": "town", "id": town.id, "name": town.name}
    if args["facility"] is not None:
        facility = db.get_or_404(Facility, args["facility"])
        return {"level": "facility", "id": facility.id, "name": facility.name}
    return {"level": "city", "id": None, "name": None}


@bp.route("/stats/care-ratio", methods=["GET"])
@token_required(*BUREAU_ROLES)
@bp.arguments(schemas.ScopeArgs, location="query")
@bp.response(200, schemas.CareRatioOut)
@bp.doc(summary=N_("Nursing-type share of institution beds against the year's target (city, town or facility)"))
def care_ratio(args):
    scope = _scope(args)
    year = args["year"] or local_today().year
    ratios = figures.care_ratio(year)
    if scope["level"] == "city":
        row = ratios["city"]
    else:
        rows = ratios["towns"] if scope["level"] == "town" else ratios["facilities"]
        row = next((r for r in rows if r["id"] == scope["id"]), None)
        if row is None:  # a community facility: its beds do not enter the ratio
            abort(422, messages={"query": {"facility": ["Not an elderly-care institution: its beds do not "
                                                        "enter the ratio."]}})
    return {"scope": scope, "year": year, "nursing_beds": row["nursing"], "total_beds": row["total"],
            "ratio": row["ratio"], "target": ratios["target"], "shortfall": row["shortfall"],
            "meets_target": row["meets"]}


@bp.route("/stats/occupancy", methods=["GET"])
@token_required(*BUREAU_ROLES)
@bp.arguments(schemas.ScopeArgs, location="query")
@bp.response(200, schemas.OccupancyOut)
@bp.doc(summary=N_("Institution beds by state and the vacancy rate (city, town or facility)"))
def occupancy(args):
    scope = _scope(args)
    data = figures.occupancy()
    if scope["level"] == "city":
        row = data["city"]
    elif scope["level"] == "town":
        row = data["by_town"].get(scope["name"])
    else:
        row = data["by_facility"].get(scope["id"])
    row = row or figures.occupancy_figures(queries.empty_counts())
    return {"scope": scope, "total_beds": row["total"], "occupied": row["occupied_all"],
            "by_state": {state: row[state] for state in queries.empty_counts()}, "vacancy_rate": row["vacancy_rate"]}


@bp.route("/open-beds", methods=["GET"])
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.OpenBedsOut, "OpenBedsPage"))
@bp.doc(security=[], summary=N_("Public: homes with open beds, by care type; no token, nothing personal"))
def open_beds(page):
    open_counts = reserve.open_beds_by_care_type()
    changes = queries.counts_by_facility()
    items = [{"facility_id": f.id, "name": f.name, "town": f.town, "type": f.type.value,
              "open_nursing": open_counts[f.id]["nursing"], "open_ordinary": open_counts[f.id]["ordinary"],
              "updated_at": changes.get(f.id, {}).get("changed")}
             for f in queries.facility_directory() if f.id in open_counts]
    return pagination.paginate(items, page, key="facility_id")
