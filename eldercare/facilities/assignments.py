"""Which facilities a manager's account manages, and which town a town assistant's account
applies for: the facility side of user administration (accounts themselves are made in
eldercare/auth, which knows nothing of facilities)."""

from flask import Blueprint, abort, flash, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from eldercare import form_actions
from eldercare.auth import policy
from eldercare.auth.models import Role, User
from eldercare.extensions import db
from eldercare.facilities import services
from eldercare.facilities.forms import ManagedFacilitiesForm, TownForm
from eldercare.facilities.models import Facility, Town

bp = Blueprint("assignments", __name__)


@bp.route("/users/<int:user_id>/facilities", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def user_facilities(user_id):
    user = db.get_or_404(User, user_id)
    if user.role != Role.facility_manager:
        abort(404)
    form = ManagedFacilitiesForm()
    form.facility_ids.choices = [SelectChoice(f.id, f"{f.town} · {f.name}") for f in db.session.execute(
        select(Facility.id, Facility.name, Town.name.label("town")).join(Town).order_by(Town.code, Facility.name))]
    back = url_for("assignments.user_facilities", user_id=user.id)
    if form.is_submitted():
        return form_actions.run(form, lambda: services.assign_managed_facilities(current_user, user,
                                                                                 form.facility_ids.data),
                                _l("Saved."), back)
    form.facility_ids.data = [f.id for f in user.facilities]
    if not user.facilities:
        flash(_l("This manager has no facility yet: choose the ones they manage."), "info")
    return render_template("facilities/user_facilities.html", account=user, form=form)



@bp.route("/users/<int:user_id>/town", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def user_town(user_id):
    user = db.get_or_404(User, user_id)
    if user.role != Role.town_assistant:
        abort(404)
    form = TownForm()
    form.town_id.choices = [SelectChoice(t.id, t.name) for t in db.session.scalars(select(Town).order_by(Town.code))]
    back = url_for("assignments.user_town", user_id=user.id)
    if form.is_submitted():
        return form_actions.run(form, lambda: services.assign_town(current_user, user, form.town_id.data),
                                _l("Saved."), back)
    form.town_id.data = user.town_id
    if user.town_id is None:
        flash(_l("This assistant has no town or street yet: choose the one they work for."), "info")
    return render_template("facilities/user_town.html", account=user, form=form)
