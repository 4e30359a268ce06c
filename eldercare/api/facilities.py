"""GET /facilities and GET /facilities/{id}/beds: the facility list and bed board as data."""

from flask_login import current_user
from sqlalchemy import select

from eldercare.api import pagination, schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.dashboard.services import beds_in_ratio
from eldercare.facilities import queries
from eldercare.facilities.models import OCCUPIED_STATES, BedKind, BedState, Facility, Town

STAFF = (*BUREAU_ROLES, Role.facility_manager)


@bp.route("/facilities", methods=["GET"])
@token_required(*STAFF)
@bp.arguments(schemas.FacilityArgs, location="query")
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.FacilityOut, "FacilityPage"))
@bp.doc(summary=N_("Facilities you may see (a manager: their own; bureau roles: all), by town and type"))
def list_facilities(filters, page):
    # One page of the facilities in SQL, then the figures of that page's facilities only.
    query = (select(Facility.id, Facility.name, Facility.type, Town.name.label("town"))
             .join(Town, Town.id == Facility.town_id)
             .where(policy.visible_facilities_clause(current_user, Facility.id)))
    if filters["town"]:
        query = query.where(Town.name == filters["town"])
    if filters["type"]:
        query = query.where(Facility.type == filters["type"])
    result = pagination.paginate_query(query, Facility.id, page)
    tallies = queries.bed_tallies.of(f["id"] for f in result["items"])
    items = []
    for f in result["items"]:
        beds = queries.bed_counts(tallies[f["id"]])
        by_state, by_kind = beds["counts"], beds["by_kind"]
        nursing, total, _out_of_service = beds_in_ratio(f["type"], tallies[f["id"]])
        items.append({
            "id": f["id"], "name": f["name"], "type": f["type"].value, "town": f["town"],
            "beds_total": total, "beds_nursing": nursing,
            "beds_day_care": by_kind[BedKind.day_care], "beds_family_care": by_kind[BedKind.family_care],
            "beds_occupied": sum(by_state[state] for state in OCCUPIED_STATES),
            "beds_vacant": by_state[BedState.vacant], "last_changed_at": beds["changed"],
        })
    return {**result, "items": items}


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
