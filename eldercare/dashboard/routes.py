import csv
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from eldercare import form_actions
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.caregivers import queries as caregiver_queries
from eldercare.dashboard import charts, services, snapshots
from eldercare.dashboard.forms import TargetForm
from eldercare.extensions import db
from eldercare.facilities.models import Town
from eldercare.placements.queries import waitlist_figures
from eldercare.timekeeping import local_today

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(400)
    return year


@bp.get("")
@policy.roles_required(*BUREAU_ROLES)
def index():
    year = _year()
    ratio = services.care_ratio(year)
    occupancy = services.occupancy()
    return render_template(
        "dashboard/index.html", year=year, ratio=ratio, occupancy=occupancy,
        freshness=services.freshness(), community=services.community(), waitlist=waitlist_figures(),
        town_chart=charts.town_ratio_chart(year, str(get_locale())),
        occupancy_chart=charts.occupancy_chart(str(get_locale())),
        caregivers=caregiver_queries.figures(local_today()),
        caregiver_chart=charts.caregiver_coverage_chart(local_today(), str(get_locale())),
        target_form=TargetForm(year=year, percent=ratio["target"] * 100),
    )


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
                           target=ratio["target"])


def _plan():
    town_id = request.args.get("town", type=int)
    try:
        return services.conversion_plan(_year(), town_id)
    except LookupError:
        abort(404)


@bp.get("/planner")
@policy.roles_required(*BUREAU_ROLES)
def planner():
    towns = db.session.execute(select(Town.id, Town.name).order_by(Town.code)).all()
    return render_template("dashboard/planner.html", plan=_plan(), towns=towns)


@bp.get("/planner.csv")
@policy.roles_required(*BUREAU_ROLES)
def planner_csv():
    plan = _plan()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Facility"), _("Town or street"), _("Beds to convert"), _("Medical-care integrated"),
                     _("Share of residents severely or completely disabled"), _("Facility share before"),
                     _("Facility share after"), _("Scope share before"), _("Scope share after")])
    for s in plan["steps"]:
        writer.writerow([s["facility"], s["town"], s["convert"], _("yes") if s["medical_integrated"] else _("no"),
                         f"{s['disabled_share']:.3f}", f"{s['facility_ratio_before']:.4f}",
                         f"{s['facility_ratio_after']:.4f}", f"{s['scope_ratio_before']:.4f}",
                         f"{s['scope_ratio_after']:.4f}"])
    name = f"conversion-plan-{plan['year']}" + (f"-town-{plan['town_id']}" if plan["town_id"] else "") + ".csv"
    # A byte-order mark so spreadsheet programs on Chinese Windows read UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/trends")
@policy.roles_required(*BUREAU_ROLES)
def trends():
    trend = snapshots.monthly_trend()
    target = float(services.target_for(local_today().year))
    return render_template("dashboard/trends.html", trend=trend, chart=charts.monthly_trend(trend, target))


@bp.post("/targets")
@policy.roles_required(Role.bureau_admin)
def set_target():
    form = TargetForm()
    return form_actions.run(
        form, lambda: services.set_target(current_user, form.year.data, form.percent.data / 100),
        _l("The target for %(year)s is now %(percent)s%%.", year=form.year.data, percent=form.percent.data),
        url_for("dashboard.index", year=form.year.data if form.year.data else None),
    )

