"""Report pages: order a report, follow its progress, the archive with its files."""

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.facilities.models import INSTITUTION_TYPES, Facility, Town
from eldercare.form_actions import errors_of
from eldercare.reports import archive, making
from eldercare.reports.forms import LEVELS, OrderForm
from eldercare.reports.models import JobStatus, Report, ReportJob
from eldercare.reports.periods import resolve_scope, scope_from_key
from eldercare.timekeeping import local_today

bp = Blueprint("reports", __name__, url_prefix="/reports")

STAFF = (*BUREAU_ROLES, Role.facility_manager)
PAGE_SIZE = 100


def _order_form() -> OrderForm:
    form = OrderForm(period=making.previous_month(local_today()).label)
    facilities = select(Facility.id, Facility.name).where(Facility.type.in_([t.value for t in INSTITUTION_TYPES]))
    if current_user.is_bureau:
        form.town_id.choices = [SelectChoice(t.id, t.name) for t in db.session.execute(
            select(Town.id, Town.name).order_by(Town.code))]
    else:
        form.level.choices = [SelectChoice("facility", LEVELS["facility"])]
        facilities = facilities.where(Facility.id.in_(policy.managed_facility_ids(current_user)))
    form.facility_id.choices = [SelectChoice(f.id, f.name)
                                for f in db.session.execute(facilities.order_by(Facility.name))]
    return form


@bp.get("")
@policy.roles_required(*STAFF)
def index():
    making.end_interrupted()  # first: its commit would expire what was read before it
    query = select(Report).order_by(Report.period.desc(), Report.scope, Report.language, Report.version.desc())
    if not current_user.is_bureau:
        query = query.where(Report.facility_id.in_(policy.managed_facility_ids(current_user)))
    filters = {key: request.args.get(key) or None for key in ("period", "level", "language", "all")}
    if filters["period"]:
        query = query.where(Report.period == filters["period"])
    if filters["level"] in ("town", "facility"):
        query = query.where(Report.scope.startswith(filters["level"] + "-"))
    elif filters["level"] == "city":
        query = query.where(Report.scope == "city")
    if filters["language"]:
        query = query.where(Report.language == filters["language"])
    if not filters["all"]:
        query = query.where(Report.superseded_at.is_(None))
    reports = db.session.scalars(query.limit(PAGE_SIZE)).all()
    jobs = db.session.scalars(select(ReportJob).where(ReportJob.requested_by_id == current_user.id,
                                                      ReportJob.status.in_([JobStatus.queued, JobStatus.running]))
                              .order_by(ReportJob.id.desc())).all()
    return render_template("reports/index.html", reports=[(r, archive.status(r)) for r in reports],
                           filters=filters, form=_order_form(), jobs=jobs, page_size=PAGE_SIZE)


@bp.post("/order")
@policy.roles_required(*STAFF)
def order():
    form = _order_form()
    if not form.validate_on_submit():
        flash(errors_of(form) or _l("Please check the form."), "error")
        return redirect(url_for("reports.index"))
    try:
        level = form.level.data
        if level == "town" and form.town_id.data is None:  # else it would be the city's report
            raise InvalidInput(_l("Please choose the town or street."))
        if level == "facility" and form.facility_id.data is None:
            raise InvalidInput(_l("Please choose the institution."))
        scope = resolve_scope(town_id=form.town_id.data if level == "town" else None,
                              facility_id=form.facility_id.data if level == "facility" else None)
        policy.require(policy.can_order_report(current_user, scope))
        job, new = making.order(current_user, scope, form.period.data, form.language.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("reports.index"))
    if new:
        making.start(job.id)
    else:
        flash(_l("This report is already being made: wait here, no need to order it again."), "info")
    return redirect(url_for("reports.job", job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@policy.roles_required(*STAFF)
def job(job_id):
    making.end_interrupted()  # a job whose process was killed shows as interrupted, not as being made
    job = policy.fetch(ReportJob, job_id, policy.sees_report)
    return render_template("reports/job.html", job=job, scope=scope_from_key(job.scope),
                           report_status=archive.status(job.report) if job.report else None)


@bp.get("/<int:report_id>/file")
@policy.roles_required(*STAFF)
def download(report_id):
    report = policy.fetch(Report, report_id, policy.sees_report)
    if archive.status(report) != archive.OK:
        flash(_l("The file of this report is missing or damaged and is not served; make the report again."),
              "error")
        return redirect(url_for("reports.index"))
    name = archive.file_name(report.kind.value, report.scope, report.period, report.language, report.version)
    return send_file(archive.path_of(report), mimetype="application/pdf", as_attachment=True,
                     download_name=name.replace("/", "-"))
