"""A facility's beds in and out as spreadsheets, on the manager's pages: import with a preview
of every row (nothing written until confirmed, then all or nothing) and export as CSV or XLSX."""


from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from eldercare import spreadsheets
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities import beds_file
from eldercare.facilities.models import Facility
from eldercare.timekeeping import local_today

bp = Blueprint("bed_files", __name__)


class ImportForm(FlaskForm):
    file = FileField(_l("Beds file (CSV or XLSX)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    rows = HiddenField(validators=[DataRequired()])


def _page(facility, form, rows=None, confirm=None):
    return render_template("facilities/import_beds.html", facility=facility, form=form, rows=rows, confirm=confirm,
                           columns=beds_file.COLUMNS)


@bp.route("/facilities/<int:facility_id>/beds/import", methods=["GET", "POST"])
@policy.roles_required(Role.facility_manager)
def import_beds(facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility, allowed=policy.manages_facility)
    form = ImportForm()
    if form.validate_on_submit():
        try:
            rows = spreadsheets.read(form.file.data.read(spreadsheets.MAX_BYTES + 1), beds_file.COLUMNS)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            checked = beds_file.check(current_user, facility, rows)
            db.session.rollback()  # a preview: nothing is written
            ok = not any(r.errors for r in checked)
            confirm = ConfirmImportForm(rows=spreadsheets.carry(checked)) if ok else None
            return _page(facility, form, checked, confirm), 200 if ok else 422
    return _page(facility, form), (422 if form.errors or form.form_errors else 200)


@bp.post("/facilities/<int:facility_id>/beds/import/confirm")
@policy.roles_required(Role.facility_manager)
def confirm_import(facility_id):
    """Write the previewed rows, all or none: checked again, as anything may have changed."""
    facility = policy.fetch(Facility, facility_id, policy.sees_facility, allowed=policy.manages_facility)
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    try:
        rows = spreadsheets.carried(confirm.rows.data, beds_file.COLUMNS)
    except ValueError:
        abort(400)
    checked = beds_file.check(current_user, facility, rows)
    if any(r.errors for r in checked):
        db.session.rollback()
        flash(_l("Nothing was imported: some rows have errors now."), "error")
        return _page(facility, ImportForm(), checked), 422
    db.session.commit()
    flash(_l("The beds file was imported: %(n)s rows.", n=len(checked)), "success")
    return redirect(url_for("facilities.rooms", facility_id=facility.id))


@bp.get("/facilities/<int:facility_id>/beds/export.<any(csv, xlsx):kind>")
@policy.roles_required(Role.facility_manager, *BUREAU_ROLES)
def export_beds(facility_id, kind):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    header, rows = beds_file.export(facility.id)
    return spreadsheets.download(header, rows, f"beds-{facility.id}-{local_today().isoformat()}", kind)

