"""GET /facilities and GET /facilities/{id}/beds: the facility list and bed board as data."""

from collections import Counter, defaultdict

from flask_login import current_user

from eldercare.api import pagination, schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.cache import cached
from eldercare.dashboard.services import care_ratio
from eldercare.facilities import queries
from eldercare.facilities.models import OCCUPIED_STATES, BedKind, BedState, Facility
from eldercare.timekeeping import local_today

STAFF = (*BUREAU_ROLES, Role.facility_manager)


@cached
def _beds_by_kind() -> dict[int, Counter]:
    result: dict[int, Counter] = defaultdict(Counter)
    for row in queries.bed_tallies():
        result[row.facility_id][row.kind] += row.n
    return result


@bp.route("/facilities", methods=["GET"])
@token_required(*STAFF)
@bp.arguments(schemas.FacilityArgs, location="query")
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.FacilityOut, "FacilityPage"))
@bp.doc(summary=N_("Facilities you may see (a manager: their own; bureau roles: all), by town and type"))
def list_facilities(filters, page):
    summaries = queries.facility_summaries(lambda column: policy.visible_facilities_clause(current_user, column))
    shown = [s for s in summaries if (not filters["town"] or s["town"] == filters["town"])
             and (not filters["type"] or s["type"] == filters["type"])]
    result = pagination.paginate(shown, page)
    ratios = {f["id"]: f for f in care_ratio(local_today().year)["facilities"]}
    kinds = _beds_by_kind()
    result["items"] = [{
        "id": s["id"], "name": s["name"], "type": s["type"], "town": s["town"],
        "beds_total": ratios.get(s["id"], {}).get("total", 0),
        "beds_nursing": ratios.get(s["id"], {}).get("nursing", 0),
        "beds_day_care": kinds.get(s["id"], {}).get(BedKind.day_care, 0),
        "beds_family_care": kinds.get(s["id"], {}).get(BedKind.family_care, 0),
        "beds_occupied": sum(s["counts"][state] for state in OCCUPIED_STATES),
        "beds_vacant": s["counts"][BedState.vacant], "last_changed_at": s["last_changed_at"],
    } for s in result["items"]]
    return result


@bp.route("/facilities/<int:facility_id>/beds", methods=["GET"])
@token_required(*STAFF)
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.BedOut, "BedPage"))
@bp.doc(summary=N_("A facility's beds with their state"))
def list_beds(page, facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    board = queries.board(facility.id, with_residents=False)
    beds = [{**bed, "room": room["code"] or None} for room in board["rooms"] for bed in room["beds"]]
    return pagination.paginate(beds, page)
