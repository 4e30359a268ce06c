"""A facility's beds as a spreadsheet through the API: the same reading (eldercare/spreadsheets.py)
and the same rows-to-services code (facilities/beds_file.py) as the manager's import page."""

from flask_login import current_user

from eldercare import spreadsheets
from eldercare.api import schemas
from eldercare.api.access import token_required
from eldercare.api.blueprint import N_, bp
from eldercare.api.problems import problem
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities import beds_file
from eldercare.facilities.models import Facility
from eldercare.timekeeping import local_today


@bp.route("/facilities/<int:facility_id>/beds/import", methods=["POST"])
@token_required(Role.facility_manager)
@bp.arguments(schemas.BedsImportArgs, location="query")
@bp.arguments(schemas.BedsFileIn, location="files")
@bp.response(200, schemas.BedsImportOut)
@bp.doc(summary=N_("Import rooms and beds from a CSV or XLSX file: a preview of every row, or all rows with apply"))
def import_beds(args, files, facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility, allowed=policy.manages_facility)
    try:
        rows = spreadsheets.read(files["file"].read(spreadsheets.MAX_BYTES + 1), beds_file.COLUMNS)
    except DomainError as error:
        return problem(error.status, str(error))
    checked = beds_file.check(current_user, facility, rows)
    listed = [{"row": r.number, "values": r.values, "errors": r.errors} for r in checked]
    if any(r.errors for r in checked):
        db.session.rollback()
        return problem(422, "Some rows have errors: nothing was written.", rows=listed)
    if args["apply"]:
        db.session.commit()
    else:
        db.session.rollback()
    return {"applied": args["apply"], "rows": listed}


@bp.route("/facilities/<int:facility_id>/beds/export", methods=["GET"])
@token_required(Role.facility_manager, *BUREAU_ROLES)
@bp.arguments(schemas.ExportArgs, location="query")
@bp.doc(summary=N_("A facility's beds as a CSV or XLSX file, in the columns the import reads"),
        responses={"200": {"description": "the file", "content": {"text/csv": {}, spreadsheets.XLSX_MIME: {}}}})
def export_beds(args, facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    header, rows = beds_file.export(facility.id)
    return spreadsheets.download(header, rows, f"beds-{facility.id}-{local_today().isoformat()}", args["format"])
