"""POST /elders: register an elder by name and ID number (birth date and sex read from it)."""

from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select

from eldercare import form_actions
from eldercare.api import schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.api.problems import problem
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.extensions import db
from eldercare.facilities.models import Bed, Stay, Town
from eldercare.identity import InvalidIdNumber, mask_id_number, parse_id_number
from eldercare.residents.models import CaseSource, Category, Elder
from eldercare.residents.services import establish_elder


def _elder_out(elder: Elder) -> dict:
    return {"id": elder.id, "name": elder.name, "id_number": mask_id_number(elder.id_number),
            "birth_date": elder.birth_on, "sex": elder.sex.value, "category": elder.category.value,
            "severe_disability": elder.severe_disability, "living_alone": elder.living_alone,
            "empty_nest": elder.empty_nest}


def staying_at(elder: Elder) -> int | None:
    """The facility where the elder stays now, if anywhere."""
    return db.session.scalar(select(Bed.facility_id).join(Stay, Stay.bed_id == Bed.id)
                             .where(Stay.elder_id == elder.id, Stay.end_on.is_(None)))


@bp.route("/elders", methods=["POST"])
@token_required(Role.facility_manager, *BUREAU_ROLES)
@bp.arguments(schemas.ElderIn)
@bp.response(201, schemas.ElderOut)
@bp.doc(summary=N_("Register an elder; 409 when the ID number is registered already (with its id if you may see it)"))
def register_elder(body):
    try:
        parsed = parse_id_number(body["id_number"])
    except InvalidIdNumber as error:
        abort(422, messages={"json": {"id_number": [str(error)]}})
    if body["town_id"] is not None and db.session.get(Town, body["town_id"]) is None:
        abort(422, messages={"json": {"town_id": ["No such town."]}})
    existing = db.session.scalar(select(Elder).where(Elder.id_number == parsed.value))
    if existing is not None:
        members = {"existing_id": existing.id} if policy.can_see_elder(current_user, staying_at(existing)) else {}
        return problem(409, "This ID number is registered already.", **members)
    source = CaseSource.admission if current_user.role == Role.facility_manager else CaseSource.application

    def register():
        elder, _case = establish_elder(
            current_user, name=body["name"], id_number=parsed.value, source=source, source_id=None,
            town_id=body["town_id"], category=Category(body["category"]),
            severe_disability=body["severe_disability"], living_alone=body["living_alone"],
            empty_nest=body["empty_nest"])
        return _elder_out(elder)

    return form_actions.run_json(register, 201)
