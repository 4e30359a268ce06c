"""flask commands: seed-demo, users, snapshots, scheduler."""

from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import text

from eldercare.auth.models import Role
from eldercare.extensions import db
from eldercare.models import MAX_ID
from eldercare.timekeeping import local_today


@contextmanager
def progress_bar(label, after_each=None):
    """A progress function for long work: it walks a list, moving a bar on the terminal."""
    with click.progressbar(length=1, label=label) as bar:
        def progress(items):
            bar.length = len(items)
            for item in items:
                yield item
                bar.update(1)
                if after_each:
                    after_each()

        yield progress


@click.command("seed-demo")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 100),
              help="1 is about 60 facilities and 8,000 beds; 10 is ten times that.")
@with_appcontext
def seed_demo(scale):
    """Load demo data for Rugao and the demo accounts (password eldercare-demo). Runs once."""
    from eldercare import demo

    if not current_app.config["ALLOW_DEMO_SEED"]:
        raise click.ClickException("Demo data is refused under the production configuration.")
    real = demo.real_accounts()
    if real:
        raise click.ClickException(f"This database has accounts that are not the demo's ({', '.join(real[:5])}"
                                   f"{', ...' if len(real) > 5 else ''}): demo data is refused here.")
    if demo.already_seeded():
        demo.ensure_demo_accounts()
        db.session.commit()
        click.echo("Facilities already exist: demo data left as it is.")
        return
    with progress_bar("facilities") as progress:
        totals = demo.seed(scale, today=local_today(), progress=progress)
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # fresh statistics after a bulk load, or the planner guesses
    db.session.commit()
    with progress_bar("history") as progress:
        totals["snapshots"] = demo.snapshot_history(local_today(), progress=progress)
    db.session.commit()
    click.echo(f"Seeded {totals['facilities']} facilities, {totals['beds']} beds, {totals['elders']} elders, "
               f"{totals['stays']} stays, {totals['applications']} applications and {totals['caregivers']} caregivers; "
               f"{totals['snapshots']} daily snapshots of the last {demo.HISTORY_MONTHS} months.")


@click.group("users")
def users():
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "full_name", required=True)
@click.option("--facility-id", "facility_ids", multiple=True, type=click.IntRange(1, MAX_ID))
@click.option("--town-id", type=click.IntRange(1, MAX_ID), help="A town assistant's town or street.")
@click.password_option()
@with_appcontext
def create_user(username, role, full_name, facility_ids, town_id, password):
    """Create an account (e.g. the first bureau administrator in production)."""
    from eldercare.auth.services import create_user as create
    from eldercare.errors import DomainError
    from eldercare.facilities.services import assign_managed_facilities, assign_town

    try:
        user = create(None, username=username, full_name=full_name, role=Role(role), password=password)
        if facility_ids:
            assign_managed_facilities(None, user, facility_ids)
        if town_id is not None:
            assign_town(None, user, town_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {username}.")


@click.group("snapshots")
def snapshots_group():
    """Daily facility snapshots (the history behind the trends)."""


@snapshots_group.command("record")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today.")
@with_appcontext
def record_snapshots(day):
    """Record one day's snapshots; a second run for the same day adds nothing."""
    from eldercare.dashboard import snapshots

    added = snapshots.record(day.date() if day else None)
    db.session.commit()
    click.echo(f"{added} snapshots recorded.")


@snapshots_group.command("backfill")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Default: yesterday.")
@with_appcontext
def backfill_snapshots(start, end):
    """Rebuild missing past snapshots from the stays history."""
    from eldercare.dashboard import snapshots

    with progress_bar("days", after_each=db.session.commit) as progress:  # a day done stays done
        added = snapshots.backfill(start.date(), end.date() if end else None, progress=progress)
    db.session.commit()
    click.echo(f"{added} snapshots recorded.")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the scheduled jobs (eldercare/jobs.py) in this process until stopped."""
    from eldercare.jobs import run_scheduler

    click.echo("Scheduler running; Ctrl-C stops it.")
    run_scheduler()


def register(app) -> None:
    from eldercare.reports.cli import report

    app.cli.add_command(report)
    app.cli.add_command(seed_demo)
    app.cli.add_command(users)
    app.cli.add_command(snapshots_group)
    app.cli.add_command(scheduler)
