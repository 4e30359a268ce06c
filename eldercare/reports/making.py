"""Making a report, three ways: ordered on the web (a job row in the database, run in a worker
thread, so any app server can show its progress), from the command line, and by the scheduler
on the 1st of each month for the month before (once per period, guarded by a unique key)."""

import logging
import threading
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities.models import Town
from eldercare.models import insert_ignoring_duplicates, utcnow
from eldercare.reports import archive, data, render
from eldercare.reports.models import JobStatus, Report, ReportJob, ReportKind, Source
from eldercare.reports.periods import Period, Scope, check_period, parse_period, resolve_scope, scope_from_key
from eldercare.timekeeping import local_today

log = logging.getLogger(__name__)


def make(scope: Scope, period: Period, language: str, *, source: Source, made_by=None, progress=None) -> Report:
    """Gather the figures, typeset the PDF and archive it (flushed; the caller commits)."""
    progress = progress or (lambda percent: None)
    today = local_today()
    check_period(period, today)
    progress(10)
    with force_locale(language):
        figures = data.gather(scope, period, today)
    progress(30)
    content, pages = render.to_pdf(figures, language, progress=lambda: progress(60))
    progress(90)
    return archive.store(content, kind=ReportKind.occupancy, scope=scope, period=period.label, language=language,
                         pages=pages, source=source, made_by=made_by)


def check_language(language: str) -> str:
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Reports are made in Chinese or English."))
    return language


def order(actor, scope: Scope, period_text: str, language: str) -> ReportJob:
    """A web user's order: checked now (so a bad period is refused at once), made in a job."""
    period = parse_period(period_text)
    check_period(period, local_today())
    job = ReportJob(kind=ReportKind.occupancy, scope=scope.key, town_id=scope.town_id, facility_id=scope.facility_id,
                    period=period.label, language=check_language(language), requested_by_id=actor.id)
    db.session.add(job)
    db.session.flush()
    return job


def run_job(job_id: int) -> ReportJob:
    """Make the job's report, recording progress as it goes; a failure is recorded, not raised."""
    job = db.session.get(ReportJob, job_id)
    job.status = JobStatus.running
    db.session.commit()

    def progress(percent):
        job.progress = percent
        db.session.commit()

    try:
        report = make(scope_from_key(job.scope), parse_period(job.period), job.language,
                      source=Source.schedule if job.scheduled else Source.web,
                      made_by=job.requested_by if job.requested_by_id else None, progress=progress)
        job.report_id, job.status, job.progress = report.id, JobStatus.done, 100
    except DomainError as error:
        db.session.rollback()
        job.status, job.message = JobStatus.failed, str(error)
    except Exception:
        log.exception("Report job %s failed", job_id)
        db.session.rollback()
        job.status, job.message = JobStatus.failed, str(_l("The report could not be made; please try again."))
    job.finished_at = utcnow()
    db.session.commit()
    return job


def _run_in_app(app, job_id: int) -> None:
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def start(job_id: int) -> threading.Thread:
    """Run the job in a worker thread of this process, outside the request."""
    thread = threading.Thread(target=_run_in_app, args=(current_app._get_current_object(), job_id),
                              name=f"report-job-{job_id}", daemon=True)
    thread.start()
    return thread


def previous_month(today: date) -> Period:
    return parse_period(f"{today.replace(day=1) - timedelta(days=1):%Y-%m}")


def claim_monthly(today: date) -> list[int]:
    """Claim the previous month's reports for the city and every town (in the default
    language): each job is claimed by inserting its row under the unique key of kind, scope,
    period and language, so a second scheduler, or a retry, claims nothing. Returns the ids
    of the jobs this call claimed."""
    period = previous_month(today)
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    scopes = [resolve_scope()] + [resolve_scope(town_id=t) for t in db.session.scalars(select(Town.id)
                                                                                     .order_by(Town.code))]
    claimed = []
    for scope in scopes:
        rows = insert_ignoring_duplicates(db.session, ReportJob, [{
            "kind": ReportKind.occupancy.value, "scope": scope.key, "town_id": scope.town_id, "facility_id": None,
            "period": period.label, "language": language, "scheduled": True, "status": JobStatus.queued.value,
            "progress": 0, "message": "", "created_at": utcnow()}], returning=(ReportJob.id,))
        db.session.commit()
        claimed += [row.id for row in rows]
    return claimed


def schedule_monthly(today: date) -> list[int]:
    """The scheduler's monthly job: claim last month's reports and make them."""
    claimed = claim_monthly(today)
    for job_id in claimed:
        run_job(job_id)
    return claimed
