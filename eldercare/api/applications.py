"""Placement applications: a family's own (all of them for the bureau), the draft, and every
transition of the workflow as a POST action, through placements/workflow.py."""

from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eldercare import form_actions
from eldercare.api import pagination, schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.extensions import db
from eldercare.facilities.models import Bed
from eldercare.identity import mask_id_number
from eldercare.placements import workflow
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Category

FAMILY_AND_BUREAU = (Role.family, *BUREAU_ROLES)


def _out(application: Application) -> dict:
    return {
        "id": application.id, "status": application.status.value, "elder_name": application.elder_name,
        "id_number": mask_id_number(application.id_number), "birth_date": application.birth_on,
        "sex": application.sex.value, "elder_id": application.elder_id, "category": application.category.value,
        "severe_disability": application.severe_disability, "living_alone": application.living_alone,
        "empty_nest": application.empty_nest, "needs_nursing": application.needs_nursing,
        "ability_level": application.ability_level.value if application.ability_level else None,
        "preferred_town_ids": application.preferred_town_ids,
        "preferred_facility_ids": application.preferred_facility_ids, "reason": application.reason,
        "submitted_at": application.submitted_at, "approved_at": application.approved_at,
        "offered_bed_id": application.offered_bed_id, "offer_expires_at": application.offer_expires_at,
        "stay_id": application.stay_id,
        "actions": [a.value for a in workflow.allowed_actions(application, current_user)],
        "events": [{"action": e.action.value, "from_status": e.from_status.value, "to_status": e.to_status.value,
                    "reason": e.reason, "at": e.at} for e in application.events],
    }


def _application(application_id: int, allowed=None) -> Application:
    return policy.fetch(Application, application_id, policy.can_view_application, allowed=allowed)


def _run(application: Application, action):
    """Run a workflow command and answer the application as it is now."""
    form_actions.run_json(action)
    return _out(application)


def _draft_fields(body: dict) -> dict:
    return {**body, "category": Category(body["category"])}


@bp.route("/applications", methods=["GET"])
@token_required(*FAMILY_AND_BUREAU)
@bp.arguments(schemas.ApplicationArgs, location="query")
@bp.arguments(pagination.PageArgs, location="query")
@bp.response(200, pagination.page_schema(schemas.ApplicationOut, "ApplicationPage"))
@bp.doc(summary=N_("Applications: a family's own; all of them for bureau roles"))
def list_applications(filters, page):
    query = select(Application).options(selectinload(Application.events)).order_by(Application.id)
    if not policy.can_review_applications(current_user):
        query = query.where(Application.family_id == current_user.id)
    if filters["status"]:
        query = query.where(Application.status == Status(filters["status"]))
    if page["cursor"]:
        query = query.where(Application.id > pagination.decode(page["cursor"]))
    rows = [_out(a) for a in db.session.scalars(query.limit(page["limit"] + 1))]
    return pagination.paginate(rows, {**page, "cursor": None})


@bp.route("/applications", methods=["POST"])
@token_required(Role.family)
@bp.arguments(schemas.ApplicationIn)
@bp.response(201, schemas.ApplicationOut)
@bp.doc(summary=N_("A family starts an application (a draft)"))
def create_application(body):
    application, _status = form_actions.run_json(
        lambda: workflow.save_draft(current_user, None, **_draft_fields(body)))
    return _out(application), 201


@bp.route("/applications/<int:application_id>", methods=["GET"])
@token_required()
@bp.response(200, schemas.ApplicationOut)
@bp.doc(summary=N_("One application with its history (the family's own; the bureau; the offered bed's managers)"))
def get_application(application_id):
    return _out(_application(application_id))


@bp.route("/applications/<int:application_id>", methods=["PUT"])
@token_required(Role.family)
@bp.arguments(schemas.ApplicationIn)
@bp.response(200, schemas.ApplicationOut)
@bp.doc(summary=N_("Change a draft, or an application sent back for more information"))
def update_application(body, application_id):
    application = _application(application_id, policy.can_change_application)
    return _run(application, lambda: workflow.save_draft(current_user, application, **_draft_fields(body)))


def _transition(name: str, summary: str, schema, roles, act, allowed=None):
    """POST /applications/{id}/<name>: `act(application, body)` runs the workflow command."""

    def view(body, application_id):
        application = _application(application_id, allowed)
        return _run(application, lambda: act(application, body))

    view.__name__ = f"application_{name.replace('-', '_')}"
    view = bp.doc(summary=summary)(bp.response(200, schemas.ApplicationOut)(bp.arguments(schema)(view)))
    bp.route(f"/applications/<int:application_id>/{name}", methods=["POST"])(token_required(*roles)(view))


def _bed(bed_id: int) -> Bed:
    bed = db.session.get(Bed, bed_id)
    if bed is None:
        abort(422, messages={"json": {"bed_id": ["No such record."]}})
    return bed


FAMILY = (Role.family,)
own = policy.can_change_application
_transition("submit", N_("Send the application to the bureau (with consent)"), schemas.ConsentIn, FAMILY,
            lambda a, body: workflow.submit(current_user, a, consent=body["consent"]), own)
_transition("withdraw", N_("The family withdraws the application"), schemas.Empty, FAMILY,
            lambda a, _body: workflow.withdraw(current_user, a), own)
_transition("accept", N_("The family accepts the offered bed"), schemas.Empty, FAMILY,
            lambda a, _body: workflow.accept(current_user, a), own)
_transition("decline", N_("The family declines the offer; the application keeps its place"), schemas.Empty, FAMILY,
            lambda a, _body: workflow.decline(current_user, a), own)
_transition("start-review", N_("The bureau takes the application up (links the elder's record)"), schemas.Empty,
            BUREAU_ROLES, lambda a, _body: workflow.start_review(current_user, a))
_transition("approve", N_("Approve: the application joins the waitlist"), schemas.ApproveIn, BUREAU_ROLES,
            lambda a, body: workflow.approve(current_user, a, apply_declared=body["apply_declared"]))
_transition("reject", N_("Reject, with the reason the family reads"), schemas.ReasonIn, BUREAU_ROLES,
            lambda a, body: workflow.reject(current_user, a, body["reason"]))
_transition("request-info", N_("Send back to the family for more information, with the reason"), schemas.ReasonIn,
            BUREAU_ROLES, lambda a, body: workflow.request_info(current_user, a, body["reason"]))
_transition("offer", N_("Offer a vacant bed; it is held for the application until the offer expires"), schemas.OfferIn,
            BUREAU_ROLES, lambda a, body: workflow.offer(current_user, a, _bed(body["bed_id"]), hours=body["hours"]))
_transition("withdraw-offer", N_("Take back an offered or accepted bed: the application returns to the waitlist"),
            schemas.ReasonIn, BUREAU_ROLES, lambda a, body: workflow.withdraw_offer(current_user, a, body["reason"]))
_transition("admit", N_("Admit an accepted offer into its bed: the stay begins"), schemas.AdmitApplicationIn,
            (Role.facility_manager, *BUREAU_ROLES), lambda a, body: workflow.admit(current_user, a, on=body["on"]),
            policy.can_admit_application)
