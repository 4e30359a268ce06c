"""flask commands: seed-demo, users."""

import click
from flask import current_app
from flask.cli import with_appcontext

from eldercare.auth.models import Role
from eldercare.extensions import db
from eldercare.timekeeping import local_today


@click.command("seed-demo")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 100),
              help="1 is about 60 facilities and 8,000 beds; 10 is ten times that.")
@with_appcontext
def seed_demo(scale):
    """Load demo data for Rugao and the demo accounts (password eldercare-demo). Runs once."""
    from eldercare import demo

    if not current_app.config["ALLOW_DEMO_SEED"]:
        raise click.ClickException("Demo data is refused under the production configuration.")
    if demo.already_seeded():
        demo.ensure_demo_accounts()
        db.session.commit()
        click.echo("Facilities already exist: demo data left as it is.")
        return
    with click.progressbar(length=1, label="facilities") as bar:
        def progress(jobs):
            bar.length = len(jobs)
            for job in jobs:
                yield job
                bar.update(1)

        totals = demo.seed(scale, today=local_today(), progress=progress)
    db.session.commit()
    demo.echo_totals(totals)


@click.group("users")
def users():
    """Manage accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "full_name", required=True)
@click.option("--facility-id", "facility_ids", multiple=True, type=int)
@click.password_option()
@with_appcontext
def create_user(username, role, full_name, facility_ids, password):
    """Create an account (e.g. the first bureau administrator in production)."""
    from eldercare.auth.services import create_user as create
    from eldercare.errors import DomainError

    try:
        create(None, username=username, full_name=full_name, role=Role(role), password=password,
               facility_ids=facility_ids)
        db.session.commit()
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {username}.")


def register(app) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(users)
