"""The one list of scheduled jobs, and the scheduler process that runs them.

Run it as its own process: `flask --app wsgi scheduler`. Every job is idempotent and guarded
by the database (a unique key on its period), so a second scheduler or a retry is harmless.
"""

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app

from eldercare.caregivers import services as caregiver_services
from eldercare.dashboard import snapshots
from eldercare.extensions import db
from eldercare.facilities import services as bed_services
from eldercare.placements import workflow
from eldercare.reports import making
from eldercare.timekeeping import local_today


def daily_snapshot():
    """Record today's snapshot of every facility (late evening, so the day's changes are in)."""
    added = snapshots.record()
    db.session.commit()
    return added


def expire_offers():
    """Offers past their expiry go back to the waitlist and their beds are freed."""
    expired = workflow.expire_offers()
    db.session.commit()
    return expired


def caregiver_reminders():
    """Caregivers working without pre-job training, behind their in-service hours late in the
    year, or with a certificate about to expire: each reminder raised once, their managers told."""
    raised = caregiver_services.raise_reminders()
    db.session.commit()
    return raised


def release_expired_holds():
    """Managers' holds past their expiry are released: time changes a bed only through a job, so
    the board and every cached figure move together."""
    released = bed_services.release_expired_holds()
    db.session.commit()
    return released


def monthly_reports():
    """On the 1st: last month's occupancy reports for the city and every town, once per period."""
    return making.schedule_monthly(local_today())


def remind_reassessments():
    """Residents whose latest ability assessment is over a year old, to their home's managers."""
    sent = bed_services.remind_reassessments()
    db.session.commit()
    return sent


JOBS = [
    # (function, trigger)
    (monthly_reports, CronTrigger(day=1, hour=2, minute=0)),
    (daily_snapshot, CronTrigger(hour=23, minute=50)),
    (caregiver_reminders, CronTrigger(hour=7, minute=30)),
    (expire_offers, IntervalTrigger(minutes=1)),
    (release_expired_holds, IntervalTrigger(minutes=1)),
    (remind_reassessments, CronTrigger(hour=7, minute=30)),
]


def run_job(app, job):
    with app.app_context():
        try:
            job()
        finally:
            db.session.remove()


def run_scheduler() -> None:
    app = current_app._get_current_object()
    scheduler = BlockingScheduler(timezone=app.config["TIMEZONE"])
    for job, trigger in JOBS:
        scheduler.add_job(run_job, trigger, args=(app, job), id=job.__name__, coalesce=True, max_instances=1,
                          misfire_grace_time=3600)
    # Once at start: last month's reports that a scheduler down or killed on the 1st left unmade.
    scheduler.add_job(run_job, DateTrigger(), args=(app, monthly_reports), id="monthly_reports_at_start")
    scheduler.start()
