"""Making a report, three ways: ordered on the web (a job row in the database, run in a worker
thread, so any app server can show its progress), from the command line, and by the scheduler
on the 1st of each month for the month before (once per period, guarded by a unique key).

A job killed halfway with its process: a scheduled one is taken up again by the next scheduled
run or the scheduler's start (`schedule_monthly`); a web one ends as failed, "interrupted,
please order it again", once it has shown no sign of life (`ReportJob.alive_at`, renewed at each
step) for REPORT_STALLED_AFTER seconds (`end_interrupted`, run by the pages that show jobs). It
is not made again behind the user's back: they may have ordered it again already, or no longer
need it, and no process is bound to take up a web job (a scheduler may not run at all).
"""

import fcntl
import logging
import threading
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, text, update

from eldercare import pdf
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities.models import Town
from eldercare.models import insert_ignoring_duplicates, utcnow
from eldercare.notifications import kept
from eldercare.reports import archive, data, render
from eldercare.reports.models import JobStatus, Report, ReportJob, ReportKind, Source
from eldercare.reports.periods import Period, Scope, check_period, parse_period, resolve_scope, scope_from_key
from eldercare.timekeeping import local_today

log = logging.getLogger(__name__)


def make(scope: Scope, period: Period, language: str, *, source: Source, made_by=None, progress=None) -> Report:
    """Gather the figures, typeset the PDF and archive it (flushed; the caller commits).

    The process's objects are left out of the garbage collector's walks meanwhile (pdf.objects_left_out,
    as eldercare.pdf.render does for WeasyPrint): gathering a city's figures allocates enough (tens of
    thousands of rows) to set off a full collection, which in a new process (the monthly job, the
    command line) walked the application's 180,000 objects, about 0.2 CPU-s for nothing, since none
    of them is garbage."""
    with pdf.objects_left_out():
        progress = progress or (lambda percent: None)
        today = local_today()
        check_period(period, today)
        progress(10)
        with force_locale(language):
            figures = data.gather(scope, period, today)
        progress(30)
        content, pages = render.to_pdf(figures, language, progress=lambda: progress(60))
        progress(90)
        return archive.store(content, kind=ReportKind.occupancy, scope=scope, period=period.label,
                             language=language, pages=pages, source=source, made_by=made_by)


def check_language(language: str) -> str:
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Reports are made in Chinese or English."))
    return language


def order(actor, scope: Scope, period_text: str, language: str) -> tuple[ReportJob, bool]:
    """A web user's order: checked now (so a bad period is refused at once), made in a job; and
    whether the job is new. While the user's job for the same report is being made, ordering it
    again (a second click, another tab, two at once) is that job: the partial unique key of
    orders being made (ReportJob) lets one insert through."""
    period = parse_period(period_text)
    check_period(period, local_today())
    key = {"requested_by_id": actor.id, "kind": ReportKind.occupancy, "scope": scope.key, "period": period.label,
           "language": check_language(language)}
    for _attempt in range(3):
        inserted = insert_ignoring_duplicates(db.session, ReportJob, [{
            **key, "town_id": scope.town_id, "facility_id": scope.facility_id, "scheduled": False}],
            returning=(ReportJob.id,))
        if inserted:
            return db.session.get(ReportJob, inserted[0].id), True
        being_made = db.session.scalars(select(ReportJob).where(
            *(getattr(ReportJob, column) == value for column, value in key.items()), ~ReportJob.scheduled,
            ReportJob.status.in_([JobStatus.queued, JobStatus.running]))).first()
        if being_made is not None:
            return being_made, False
        # it ended between the two statements: this order is a new one
    raise RuntimeError("Could not record the report's order")


def run_job(job_id: int) -> ReportJob:
    """Make the job's report, recording progress (and so a sign of life) as it goes; a failure is
    recorded, not raised."""
    job = db.session.get(ReportJob, job_id)
    job.status, job.alive_at = JobStatus.running, utcnow()
    db.session.commit()

    def progress(percent):
        job.progress, job.alive_at = percent, utcnow()
        db.session.commit()

    try:
        report = make(scope_from_key(job.scope), parse_period(job.period), job.language,
                      source=Source.schedule if job.scheduled else Source.web,
                      made_by=job.requested_by if job.requested_by_id else None, progress=progress)
        job.report_id, job.status, job.progress = report.id, JobStatus.done, 100
    except DomainError as error:
        db.session.rollback()
        job.status, job.message = JobStatus.failed, kept(error.message)
    except Exception:
        log.exception("Report job %s failed", job_id)
        db.session.rollback()
        job.status, job.message = JobStatus.failed, kept(_l("The report could not be made; please try again."))
    job.finished_at = utcnow()
    db.session.commit()
    return job


def end_interrupted() -> int:
    """Web jobs queued or running with no sign of life for REPORT_STALLED_AFTER seconds end as
    failed: the process making them was killed (an app server restarted, a worker killed by its
    timeout or the OOM killer). A job only slower than that (no report is) that finishes anyway
    then shows as done. Scheduled jobs are left to the scheduler, which takes them up again
    (`schedule_monthly`). Committed when it ended any; returns how many. Looked for before it
    writes: the pages run it on every view, and an UPDATE takes SQLite's write lock even when it
    changes nothing."""
    stalled_since = utcnow() - timedelta(seconds=current_app.config["REPORT_STALLED_AFTER"])
    silent = and_(~ReportJob.scheduled, ReportJob.status.in_([JobStatus.queued, JobStatus.running]),
                  ReportJob.alive_at < stalled_since)
    if db.session.scalar(select(ReportJob.id).where(silent).limit(1)) is None:
        return 0
    ended = db.session.execute(
        update(ReportJob).where(silent)
        .values(status=JobStatus.failed, finished_at=utcnow(),
                message=kept(_l("The report was interrupted before it was finished; please order it again."))),
        execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return ended


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


# The key of the PostgreSQL advisory lock held by the process making the scheduled reports.
SCHEDULED_REPORTS_LOCK = 0x5245504F


@contextmanager
def _making_scheduled_reports():
    """True when this process now holds the lock of the scheduled reports, until the block ends: no
    other scheduler is making them. A process that dies gives the lock back with it (PostgreSQL ends
    the session of a closed connection; the kernel drops an flock), so whatever it left half made
    is free for the next run."""
    database = db.engine.url.database
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            held = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULED_REPORTS_LOCK})
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULED_REPORTS_LOCK})
    elif database and database != ":memory:":  # SQLite: a lock file beside the database, on its one machine
        with open(Path(database).with_name(f".{Path(database).name}.scheduled-reports.lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True
    else:  # a database in this process's memory: no other process sees it
        yield True


def schedule_monthly(today: date) -> list[int]:
    """The scheduler's monthly job (also run when the scheduler starts): claim last month's reports,
    then, unless another scheduler is at it, make every scheduled report of that month not made yet:
    those just claimed and any that a scheduler killed halfway left queued or running. Returns the
    ids of the jobs this call made."""
    claim_monthly(today)
    made = []
    with _making_scheduled_reports() as mine:
        while mine:
            db.session.commit()  # a new transaction: the jobs as they are now
            unfinished = db.session.scalars(select(ReportJob.id).where(
                ReportJob.scheduled, ReportJob.period == previous_month(today).label,
                ReportJob.status.in_([JobStatus.queued, JobStatus.running])).order_by(ReportJob.id)).all()
            if not unfinished:
                break
            for job_id in unfinished:  # each ends done or failed
                run_job(job_id)
                made.append(job_id)
    return made
