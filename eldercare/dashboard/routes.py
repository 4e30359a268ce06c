from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from eldercare import spreadsheets
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES
from eldercare.cache import rendered
from eldercare.caregivers import queries as caregiver_queries
from eldercare.dashboard import charts, services, snapshots, tables, targets
from eldercare.dashboard.forms import TargetForm
from eldercare.dashboard.models import DEFAULT_TARGET
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities.models import Town
from eldercare.placements.queries import waitlist_figures
from eldercare.routing import id_asked
from eldercare.timekeeping import local_today

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(400)
    return year


def _as_of(year: int):
    """The share for a past year is the share on its last day (from the bed register); for this
    year or a later one (a target set ahead), it is today's."""
    return date(year, 12, 31) if year < local_today().year else None


# The dashboard's figures, rendered once per change in the data and language (eldercare.cache.rendered):
# the same for every bureau user, who all see the city, so a view with nothing changed renders
# only the freshness list, which moves with the clock.


@rendered
def _ratio_and_occupancy(year: int, as_of: date | None, today: date) -> Markup:
    ratio = services.care_ratio(year, as_of)
    occupancy = services.occupancy()
    return Markup(render_template("dashboard/_ratio_occupancy.html", year=year, as_of=as_of, ratio=ratio,
                                  occupancy=occupancy, caregivers=caregiver_queries.figures(today),
                                  town_chart=charts.town_ratio_chart(ratio),
                                  occupancy_chart=charts.occupancy_chart(occupancy)))


@rendered
def _community_caregivers_and_waitlist(today: date) -> Markup:
    caregivers = caregiver_queries.figures(today)
    short = sorted((f for f in caregivers["facilities"].values() if f["shortfall"]), key=lambda f: f["shortfall"],
                   reverse=True)
    return Markup(render_template("dashboard/_community_caregivers_waitlist.html",
                                  community=services.community(30, today), caregivers=caregivers, short=short,
                                  caregiver_chart=charts.caregiver_coverage_chart(caregivers),
                                  waitlist=waitlist_figures()))


@bp.get("")
@policy.roles_required(*BUREAU_ROLES)
def index():
    year = _year()
    today = local_today()
    return render_template("dashboard/index.html", freshness=services.freshness(),
                           ratio_and_occupancy=_ratio_and_occupancy(year, _as_of(year), today),
                           community_caregivers_and_waitlist=_community_caregivers_and_waitlist(today))


@bp.get("/towns/<int:town_id>")
@policy.roles_required(*BUREAU_ROLES)
def town(town_id):
    town = db.get_or_404(Town, town_id)
    year = _year()
    ratio = services.care_ratio(year)
    figures = next(t for t in ratio["towns"] if t["id"] == town.id)
    facilities = sorted((f for f in ratio["facilities"] if f["town_id"] == town.id),
                        key=lambda f: (-f["shortfall"], f["name"]))
    return render_template("dashboard/town.html", town=town, year=year, figures=figures, facilities=facilities,
                           target=ratio["target"], caregivers=caregiver_queries.figures(local_today()))


def _plan():
    town_id = id_asked("town")
    try:
        return services.conversion_plan(_year(), town_id, request.args.get("towns") != "any")
    except LookupError:
        abort(404)


@bp.get("/planner")
@policy.roles_required(*BUREAU_ROLES)
def planner():
    towns = db.session.execute(select(Town.id, Town.name).order_by(Town.code)).all()
    return render_template("dashboard/planner.html", plan=_plan(), towns=towns)


@bp.get("/<any(towns, facilities, planner):table>.<any(csv, xlsx):kind>")
@policy.roles_required(*BUREAU_ROLES)
def export(table, kind):
    """A dashboard table as CSV or XLSX (formula cells escaped by eldercare/spreadsheets.py)."""
    year = _year()
    if table == "planner":
        plan = _plan()
        header, rows = tables.planner(plan)
        name = f"conversion-plan-{plan['year']}" + (f"-town-{plan['town_id']}" if plan["town_id"] else "")
    elif table == "facilities":
        town_id = id_asked("town")
        if town_id is not None:
            db.get_or_404(Town, town_id)
        header, rows = tables.facilities(year, town_id)
        name = f"facilities-{year}" + (f"-town-{town_id}" if town_id else "")
    else:
        header, rows = tables.towns(year)
        name = f"towns-{year}"
    return spreadsheets.download(header, rows, name, kind)


@bp.get("/trends")
@policy.roles_required(*BUREAU_ROLES)
def trends():
    trend = snapshots.monthly_trend()
    return render_template("dashboard/trends.html", trend=trend, chart=charts.for_screen(charts.monthly_trend, trend))


@bp.route("/target", methods=["GET", "POST"])
@policy.roles_required(*BUREAU_ROLES)
def target():
    """The year's target share: the bureau administrator sets it, staff read it."""
    year = _year()
    can_change = policy.can_manage_users(current_user)
    form = TargetForm(year=year, percent=targets.target_for(year) * 100)
    if request.method == "POST":
        policy.require(can_change)
        form = TargetForm()
        if form.validate_on_submit():
            try:
                targets.set_target(current_user, form.year.data, form.percent.data / 100)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                form.percent.errors.append(str(error))
            else:
                flash(_l("The target for %(year)s is now %(percent)s%%.", year=form.year.data,
                         percent=form.percent.data), "success")
                return redirect(url_for("dashboard.target", year=form.year.data))
    return render_template("dashboard/target.html", form=form, year=year, target=targets.target_for(year),
                           default=DEFAULT_TARGET, years=targets.targets_set(),
                           can_change=can_change), (422 if form.errors else 200)
