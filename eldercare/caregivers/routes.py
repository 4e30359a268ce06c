"""Caregiver pages: a facility's roster with its figures and reminders, a caregiver's record,
in-service training entry, roster import and export, and the bureau's pay bands."""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from eldercare import form_actions, spreadsheets
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.caregivers import queries, roster_file, services
from eldercare.caregivers.forms import (
    CertificateForm,
    ConfirmImportForm,
    EmploymentForm,
    HireForm,
    ImportForm,
    PayBandsForm,
    PreJobForm,
    SessionForm,
    StatusForm,
)
from eldercare.caregivers.models import Caregiver, Certificate, Post
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities.forms import ActionForm
from eldercare.facilities.models import Facility
from eldercare.timekeeping import local_today

bp = Blueprint("caregivers", __name__)

STAFF = (Role.bureau_admin, Role.bureau_staff, Role.facility_manager)


def _facility(facility_id: int, *, manage: bool = False) -> Facility:
    return policy.fetch(Facility, facility_id, policy.sees_facility,
                        allowed=policy.manages_facility if manage else None)


def _caregiver(caregiver_id: int, *, manage: bool = False) -> Caregiver:
    """404 for a caregiver the user may not see, so an id reveals nothing."""
    return policy.fetch(Caregiver, caregiver_id, policy.sees_caregiver,
                        allowed=policy.manages_caregiver if manage else None)


def _certificate(certificate_id: int) -> Certificate:
    return policy.fetch(Certificate, certificate_id, policy.sees_certificate, allowed=policy.manages_certificate)


@bp.get("/facilities/<int:facility_id>/caregivers")
@policy.roles_required(*STAFF)
def roster(facility_id):
    facility = _facility(facility_id)
    today = local_today()
    can_manage = policy.can_manage_facility(current_user, facility.id)
    show_left = request.args.get("left") == "1"
    return render_template(
        "caregivers/roster.html", facility=facility, can_manage=can_manage, show_left=show_left,
        roster=queries.roster(facility.id, today, with_pay=policy.can_see_pay(current_user, facility.id),
                              include_left=show_left),
        figures=queries.facility_figures(facility.id, today),
        reminders=queries.open_reminders(facility.id) if can_manage else [],
    )


@bp.route("/facilities/<int:facility_id>/caregivers/new", methods=["GET", "POST"])
@policy.roles_required(Role.facility_manager)
def hire(facility_id):
    facility = _facility(facility_id, manage=True)
    form = HireForm()
    if request.method == "GET":
        form.hired_on.data = local_today()
    elif form.validate_on_submit():
        try:
            employment = services.hire(
                current_user, facility, name=form.name.data, id_number=form.id_number.data, mobile=form.mobile.data,
                hired_on=form.hired_on.data, post=Post(form.post.data), monthly_pay=form.monthly_pay.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form_actions.show_error(form, error)
        else:
            flash(_l("%(name)s is on the roster. Record their pre-job training next.", name=form.name.data),
                  "success")
            return redirect(url_for("caregivers.show", caregiver_id=employment.caregiver_id))
    return render_template("caregivers/hire.html", facility=facility, form=form), \
        (422 if form.errors or form.form_errors else 200)


def _render_caregiver(caregiver, full_id=None):
    today = local_today()
    record = queries.caregiver_record(caregiver, today)
    for employment in record["employments"]:
        if not policy.can_see_pay(current_user, employment["facility_id"]):
            employment["monthly_pay"] = None
    current_employment = next((e for e in record["employments"] if e["status"] != "left"), None)
    can_manage = policy.manages_caregiver(current_user, caregiver)
    employment_form = EmploymentForm(
        post=current_employment["post"], monthly_pay=current_employment["monthly_pay"], mobile=caregiver.mobile,
    ) if current_employment and can_manage else None
    return render_template(
        "caregivers/caregiver.html", caregiver=caregiver, record=record, current=current_employment,
        can_manage=can_manage, full_id=full_id, can_reveal=policy.can_see_full_id_numbers(current_user),
        employment_form=employment_form, status_form=StatusForm(on=today), pre_job_form=PreJobForm(trained_on=today),
        certificate_form=CertificateForm(), action_form=ActionForm(),
    )


@bp.get("/caregivers/<int:caregiver_id>")
@policy.roles_required(*STAFF)
def show(caregiver_id):
    return _render_caregiver(_caregiver(caregiver_id))


@bp.post("/caregivers/<int:caregiver_id>/reveal-id")
@policy.roles_required(*BUREAU_ROLES)
def reveal_id(caregiver_id):
    """Show the full ID number once, on this page only; the view is audited."""
    caregiver = _caregiver(caregiver_id)
    policy.require(policy.can_see_full_id_numbers(current_user))
    if not ActionForm().validate_on_submit():
        abort(400)
    full_id = services.reveal_id_number(current_user, caregiver)
    db.session.commit()
    return _render_caregiver(caregiver, full_id=full_id)


def _back(caregiver):
    return url_for("caregivers.show", caregiver_id=caregiver.id)


@bp.post("/caregivers/<int:caregiver_id>/employment")
@policy.roles_required(Role.facility_manager)
def update_employment(caregiver_id):
    caregiver = _caregiver(caregiver_id, manage=True)
    form = EmploymentForm()
    return form_actions.run(form, lambda: services.update_employment(
        current_user, services.current_employment(caregiver.id), post=Post(form.post.data),
        monthly_pay=form.monthly_pay.data, mobile=form.mobile.data), _l("Saved."), _back(caregiver))


@bp.post("/caregivers/<int:caregiver_id>/status")
@policy.roles_required(Role.facility_manager)
def change_status(caregiver_id):
    caregiver = _caregiver(caregiver_id, manage=True)
    employment = services.current_employment(caregiver.id)
    form = StatusForm()
    back = _back(caregiver)
    if form.validate() and form.status.data == "left":
        back = url_for("caregivers.roster", facility_id=employment.facility_id)
    return form_actions.run(form, lambda: services.change_status(
        current_user, employment, form.status_value(), on=form.on.data),
        _l("Status changed."), back)


@bp.post("/caregivers/<int:caregiver_id>/pre-job")
@policy.roles_required(Role.facility_manager)
def pre_job(caregiver_id):
    caregiver = _caregiver(caregiver_id, manage=True)
    form = PreJobForm()
    return form_actions.run(form, lambda: services.record_pre_job_training(
        current_user, caregiver, trained_on=form.trained_on.data, hours=form.hours.data, provider=form.provider.data,
        passed=form.passed.data), _l("Pre-job training recorded."), _back(caregiver))


@bp.post("/caregivers/<int:caregiver_id>/certificates")
@policy.roles_required(Role.facility_manager)
def add_certificate(caregiver_id):
    caregiver = _caregiver(caregiver_id, manage=True)
    form = CertificateForm()
    return form_actions.run(form, lambda: services.add_certificate(
        current_user, caregiver, number=form.number.data, level=form.level.data, issued_on=form.issued_on.data,
        issuer=form.issuer.data, expires_on=form.expires_on.data), _l("Certificate recorded."), _back(caregiver))


@bp.post("/certificates/<int:certificate_id>/correct")
@policy.roles_required(Role.facility_manager)
def correct_certificate(certificate_id):
    certificate = _certificate(certificate_id)
    form = CertificateForm()
    return form_actions.run(form, lambda: services.correct_certificate(
        current_user, certificate, number=form.number.data, level=form.level.data, issued_on=form.issued_on.data,
        issuer=form.issuer.data, expires_on=form.expires_on.data), _l("Certificate corrected."),
        url_for("caregivers.show", caregiver_id=certificate.caregiver_id))


@bp.post("/certificates/<int:certificate_id>/revoke")
@policy.roles_required(Role.facility_manager)
def revoke_certificate(certificate_id):
    certificate = _certificate(certificate_id)
    return form_actions.run(ActionForm(), lambda: services.revoke_certificate(current_user, certificate),
                            _l("Certificate revoked."),
                            url_for("caregivers.show", caregiver_id=certificate.caregiver_id))


@bp.route("/facilities/<int:facility_id>/training", methods=["GET", "POST"])
@policy.roles_required(*STAFF)
def training(facility_id):
    """In-service sessions: the managers record one with everyone who attended (ticked)."""
    facility = _facility(facility_id)
    can_manage = policy.can_manage_facility(current_user, facility.id)
    people = queries.roster_choices(facility.id)
    form = SessionForm()
    form.caregiver_ids.choices = [SelectChoice(p["id"], p["name"]) for p in people]
    if request.method == "POST":
        policy.require(can_manage)
        if form.validate_on_submit():
            try:
                if form.kind.data == "pre_job":
                    # A pre-job course's name goes with its provider: the record keeps both.
                    services.record_pre_job_course(
                        current_user, facility, trained_on=form.held_on.data, hours=form.hours.data,
                        provider=f"{form.provider.data} · {form.course.data}", caregiver_ids=form.caregiver_ids.data)
                else:
                    services.record_training_session(
                        current_user, facility, course=form.course.data, held_on=form.held_on.data,
                        hours=form.hours.data, provider=form.provider.data, caregiver_ids=form.caregiver_ids.data)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
            else:
                flash(_l("Session recorded for %(n)s caregivers.", n=len(form.caregiver_ids.data)), "success")
                return redirect(url_for("caregivers.roster", facility_id=facility.id))
    else:
        form.held_on.data = local_today()
    return render_template("caregivers/training.html", facility=facility, form=form, people=people,
                           can_manage=can_manage, sessions=queries.training_sessions(facility.id)), \
        (422 if form.errors or form.form_errors else 200)


def _preview(facility, rows, form):
    """Check every row in a transaction that is then rolled back: nothing is written."""
    checked = roster_file.check(current_user, facility, rows)
    db.session.rollback()
    ok = not any(r.errors for r in checked)
    confirm = ConfirmImportForm(rows=spreadsheets.carry(checked)) if ok else None
    return render_template("caregivers/import.html", facility=facility, form=form, rows=checked, confirm=confirm,
                           columns=roster_file.COLUMNS), 200 if ok else 422


@bp.route("/facilities/<int:facility_id>/caregivers/import", methods=["GET", "POST"])
@policy.roles_required(Role.facility_manager)
def import_roster(facility_id):
    facility = _facility(facility_id, manage=True)
    form = ImportForm()
    if form.validate_on_submit():
        try:
            rows = spreadsheets.read(form.file.data.read(spreadsheets.MAX_BYTES + 1), roster_file.COLUMNS)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            return _preview(facility, rows, form)
    return render_template("caregivers/import.html", facility=facility, form=form, rows=None, confirm=None,
                           columns=roster_file.COLUMNS), (422 if form.errors or form.form_errors else 200)


@bp.post("/facilities/<int:facility_id>/caregivers/import/confirm")
@policy.roles_required(Role.facility_manager)
def confirm_import(facility_id):
    """Write the previewed rows, all or none: they are checked again, as anything may have
    changed since the preview."""
    facility = _facility(facility_id, manage=True)
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        abort(400)
    try:
        rows = spreadsheets.carried(confirm.rows.data, roster_file.COLUMNS)
    except ValueError:
        abort(400)
    checked = roster_file.check(current_user, facility, rows)
    if any(r.errors for r in checked):
        db.session.rollback()
        flash(_l("Nothing was imported: some rows have errors now."), "error")
        return render_template("caregivers/import.html", facility=facility, form=ImportForm(), rows=checked,
                               confirm=None, columns=roster_file.COLUMNS), 422
    db.session.commit()
    flash(_l("%(n)s caregivers were added to the roster.", n=len(checked)), "success")
    return redirect(url_for("caregivers.roster", facility_id=facility.id))


@bp.get("/facilities/<int:facility_id>/caregivers/export.<any(csv, xlsx):kind>")
@policy.roles_required(*STAFF)
def export_roster(facility_id, kind):
    facility = _facility(facility_id)
    header, rows = roster_file.export(facility.id, local_today(),
                                      with_pay=policy.can_see_pay(current_user, facility.id))
    return spreadsheets.download(header, rows, f"caregivers-{facility.id}-{local_today().isoformat()}", kind)


@bp.route("/caregivers/pay-bands", methods=["GET", "POST"])
@policy.roles_required(*BUREAU_ROLES)
def pay_bands():
    """The lowest monthly pay per skill level, set by the bureau administrator for a year on."""
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(400)
    can_edit = policy.can_set_pay_bands(current_user)
    form = PayBandsForm()
    if request.method == "POST":
        policy.require(can_edit)
        return form_actions.run(form, lambda: services.set_pay_bands(current_user, form.year.data, form.minimums()),
                                _l("Pay bands saved."), url_for("caregivers.pay_bands", year=form.year.data))
    in_force = queries.bands_in_force(year)
    form.year.data = year
    for level, field in form.level_fields():
        field.data = in_force.get(level)
    years = range(year - 4, year + 1)
    return render_template("caregivers/pay_bands.html", form=form, year=year, can_edit=can_edit,
                           history=queries.pay_bands(years), years=list(years))
