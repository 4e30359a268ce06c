"""flask report occupancy --period 2026-10 [--town NAME | --facility ID] [--lang en] --out FILE.pdf"""

import shutil

import click
from flask import current_app
from flask.cli import with_appcontext

from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.reports import archive, making
from eldercare.reports.models import Source
from eldercare.reports.periods import check_period, parse_period, resolve_scope
from eldercare.timekeeping import local_today


@click.group("report")
def report():
    """Make reports (archived under REPORTS_DIR, as from the web)."""


@report.command("occupancy")
@click.option("--period", required=True, help="A month (2026-10), a quarter (2026-Q3) or a year (2026).")
@click.option("--town", "town_name", help="A town's or street's name; default: the whole city.")
@click.option("--facility", "facility_id", type=int, help="An institution's id.")
@click.option("--lang", "language", help="zh (default) or en.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="Where to copy the PDF.")
@with_appcontext
def occupancy(period, town_name, facility_id, language, out):
    """The occupancy report of the city, a town or an institution for a period."""
    if town_name and facility_id is not None:
        raise click.UsageError("Give --town or --facility, not both.")
    try:
        scope = resolve_scope(town_name=town_name, facility_id=facility_id)
        language = making.check_language(language or current_app.config["BABEL_DEFAULT_LOCALE"])
        period = parse_period(period)
        check_period(period, local_today())  # refused before the bar starts
        with click.progressbar(length=100, label="report") as bar:
            def progress(percent):
                bar.update(percent - bar.pos)

            made = making.make(scope, period, language, source=Source.command_line, progress=progress)
            db.session.commit()
            progress(100)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    shutil.copyfile(archive.path_of(made), out)
    click.echo(f"{out}: {made.pages} pages, {made.size:,} bytes (archived as {made.path}, SHA-256 {made.sha256}).")
