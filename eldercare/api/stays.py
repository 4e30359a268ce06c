"""POST /stays (admit) and the actions on a stay or a bed, by the bed's own managers: each
calls the service the bed page calls, through form_actions.run_json."""

from datetime import timedelta

from flask_login import current_user
from flask_smorest import abort

from eldercare import form_actions
from eldercare.api import schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.api.elders import staying_at
from eldercare.auth import policy
from eldercare.auth.models import Role
from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import Away, Bed, CareType, EndReason, Stay
from eldercare.models import utcnow
from eldercare.residents.models import Elder


def _bed(bed_id: int) -> Bed:
    return policy.fetch(Bed, bed_id, policy.sees_facility_record, allowed=policy.manages_facility_record)


def _stay(stay_id: int) -> Stay:
    return policy.fetch(Stay, stay_id, policy.sees_stay, allowed=policy.manages_stay)


def _referenced(model, record_id, field: str, check=None):
    """A record named in the body: missing (or not `check`ed) is an error in that field (422)."""
    record = db.session.get(model, record_id)
    if record is None or (check is not None and not check(current_user, record)):
        abort(422, messages={"json": {field: ["No such record."]}})
    return record


def _bed_out(bed: Bed) -> dict:
    return {"bed": {"id": bed.id, "code": bed.code, "room": bed.room.code if bed.room else None,
                    "kind": bed.kind.value, "care_type": bed.care_type.value, "state": queries.state_of(bed.id),
                    "open_to_public": bed.open_to_public}}


@bp.route("/stays", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.StayIn)
@bp.response(201, schemas.StayOut)
@bp.doc(summary=N_("Admit an elder to a vacant bed (409 when the bed is taken or the elder already has a bed)"))
def admit(body):
    bed = _bed(body["bed_id"])
    elder = _referenced(Elder, body["elder_id"], "elder_id",
                        lambda user, elder: policy.can_name_elder_for_admission(user, staying_at(elder)))
    return form_actions.run_json(lambda: services.admit(current_user, bed, elder, on=body["start_on"]), 201)


@bp.route("/stays/<int:stay_id>/discharge", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.DischargeIn)
@bp.response(200, schemas.StayOut)
@bp.doc(summary=N_("Discharge: the stay ends and the bed needs cleaning"))
def discharge(body, stay_id):
    stay = _stay(stay_id)
    return form_actions.run_json(
        lambda: services.discharge(current_user, stay, on=body["end_on"], reason=EndReason(body["reason"])))


@bp.route("/stays/<int:stay_id>/transfer", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.TransferIn)
@bp.response(200, schemas.StayOut)
@bp.doc(summary=N_("Move the elder to another vacant bed of the same facility; answers the new stay"))
def transfer(body, stay_id):
    stay = _stay(stay_id)
    to_bed = _referenced(Bed, body["to_bed_id"], "to_bed_id", policy.manages_facility_record)
    return form_actions.run_json(lambda: services.transfer(current_user, stay, to_bed, on=body["on"]))


@bp.route("/stays/<int:stay_id>/away", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.AwayIn)
@bp.response(200, schemas.StayOut)
@bp.doc(summary=N_("The resident is on leave or in hospital; the bed stays theirs"))
def away(body, stay_id):
    stay = _stay(stay_id)
    return form_actions.run_json(lambda: services.set_away(current_user, stay, Away(body["away"])))


@bp.route("/stays/<int:stay_id>/back", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.Empty)
@bp.response(200, schemas.StayOut)
@bp.doc(summary=N_("The resident is back in the bed"))
def back(_body, stay_id):
    stay = _stay(stay_id)
    return form_actions.run_json(lambda: services.set_away(current_user, stay, None))


def _bed_action(name: str, summary: str, schema, act):
    """POST /beds/{id}/<name>: `act(bed, body)` runs the bed service; answers the bed."""

    def view(body, bed_id):
        bed = _bed(bed_id)
        form_actions.run_json(lambda: act(bed, body))
        return _bed_out(bed)

    view.__name__ = f"bed_{name.replace('-', '_')}"
    view = bp.doc(summary=summary)(bp.response(200, schemas.BedActionOut)(bp.arguments(schema)(view)))
    bp.route(f"/beds/<int:bed_id>/{name}", methods=["POST"])(token_required(Role.facility_manager)(view))


_bed_action("hold", N_("Hold a vacant bed for some hours"), schemas.HoldIn,
            lambda bed, body: services.place_hold(current_user, bed, until=utcnow() + timedelta(hours=body["hours"]),
                                                  note=body["note"]))
_bed_action("release", N_("Release the hold on a bed"), schemas.Empty,
            lambda bed, _body: services.release_hold(current_user, bed))
_bed_action("clean", N_("Mark a bed cleaned: it becomes vacant"), schemas.Empty,
            lambda bed, _body: services.mark_cleaned(current_user, bed))
_bed_action("out-of-service", N_("Take a free bed out of service"), schemas.Empty,
            lambda bed, _body: services.take_out_of_service(current_user, bed))
_bed_action("return-to-service", N_("Put a bed back in service"), schemas.Empty,
            lambda bed, _body: services.return_to_service(current_user, bed))
_bed_action("care-type", N_("Change a bed's care type (nursing or ordinary) from today"), schemas.CareTypeIn,
            lambda bed, body: services.change_care_type(current_user, bed, CareType(body["care_type"])))
_bed_action("open", N_("Open a bed to the public, or close it"), schemas.OpenIn,
            lambda bed, body: services.set_open_to_public(current_user, bed, body["open_to_public"]))
