"""The facility registry's pages: the bureau reads the list of every facility, open or closed;
the bureau administrator registers facilities, corrects them, changes a facility's type on a date
(the 敬老院 conversion) and closes one on a date (facilities/registry.py)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eldercare import form_actions, labels
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES, Role
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities import registry
from eldercare.facilities.models import INSTITUTION_TYPES, Facility, FacilityType, Ownership, Town
from eldercare.timekeeping import local_today
from eldercare.validators import PlainText

bp = Blueprint("registry", __name__)


class FacilityForm(FlaskForm):
    name = StringField(_l("Facility name"), validators=[DataRequired(), Length(max=registry.MAX_NAME), PlainText()])
    type = SelectField(_l("Type"), choices=labels.choices(labels.FACILITY_TYPE))
    town_id = SelectField(_l("Town or street"), coerce=int, validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=registry.MAX_ADDRESS), PlainText()])
    operator = StringField(_l("Operator"), validators=[Optional(), Length(max=registry.MAX_OPERATOR), PlainText()])
    ownership = SelectField(_l("Ownership"), choices=labels.choices(labels.OWNERSHIP))
    licensed_beds = IntegerField(_l("Licensed beds"), default=0,
                                 validators=[InputRequired(), NumberRange(0, registry.MAX_LICENSED_BEDS)],
                                 render_kw={"inputmode": "numeric"})
    medical_integrated = BooleanField(_l("Medical and care integrated (医养结合)"))
    serves_tekun = SelectField(_l("Serves tekun elders (keeps a tekun reserve)"), default="auto", choices=[
        SelectChoice("auto", _l("as its type says: public homes and regional centres do")),
        SelectChoice("yes", _l("yes")), SelectChoice("no", _l("no"))])
    tekun_reserve = IntegerField(_l("Tekun reserve (beds)"),
                                 validators=[Optional(), NumberRange(0, registry.MAX_LICENSED_BEDS)],
                                 render_kw={"inputmode": "numeric"})
    opened_on = DateField(_l("Opened on"), validators=[Optional()])


class TypeChangeForm(FlaskForm):
    type = SelectField(_l("New type"), choices=labels.choices(labels.FACILITY_TYPE,
                                                              exclude=set(FacilityType) - INSTITUTION_TYPES))
    on = DateField(_l("From"), validators=[InputRequired()])


class CloseForm(FlaskForm):
    on = DateField(_l("Closed from"), validators=[InputRequired()])


def _towns(form):
    form.town_id.choices = [SelectChoice(t.id, t.name)
                            for t in db.session.execute(select(Town.id, Town.name).order_by(Town.code))]


def _values(form) -> dict:
    return dict(name=form.name.data, town_id=form.town_id.data, ownership=Ownership(form.ownership.data),
                address=form.address.data or "", operator=form.operator.data or "",
                licensed_beds=form.licensed_beds.data, medical_integrated=form.medical_integrated.data,
                serves_tekun={"yes": True, "no": False}.get(form.serves_tekun.data),
                tekun_reserve=form.tekun_reserve.data, opened_on=form.opened_on.data)


def _save(form, action, template, **context):
    if form.validate_on_submit():
        try:
            facility = action()
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_l("Saved."), "success")
            return redirect(url_for("registry.edit", facility_id=facility.id))
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.get("/registry")
@policy.roles_required(*BUREAU_ROLES)
def index():
    return render_template("facilities/registry.html", rows=registry.registry(),
                           can_change=policy.can_manage_registry(current_user))


@bp.route("/registry/new", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def new():
    form = FacilityForm()
    _towns(form)
    return _save(form, lambda: registry.register(current_user, type=FacilityType(form.type.data), **_values(form)),
                 "facilities/registry_form.html", facility=None)


@bp.route("/registry/<int:facility_id>", methods=["GET", "POST"])
@policy.roles_required(Role.bureau_admin)
def edit(facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    form = FacilityForm(obj=facility)
    del form.type  # changed only on a date, below
    form.serves_tekun.choices = form.serves_tekun.choices[1:]
    if request.method == "GET":
        form.serves_tekun.data = "yes" if facility.serves_tekun else "no"
    _towns(form)
    return _save(form, lambda: registry.update(current_user, facility, **_values(form)),
                 "facilities/registry_form.html", facility=facility, history=registry.type_history(facility.id),
                 type_form=TypeChangeForm(on=local_today(), type=FacilityType.regional_center.value
                                          if facility.type == FacilityType.public_home else None),
                 close_form=CloseForm(on=local_today()))


@bp.post("/registry/<int:facility_id>/type")
@policy.roles_required(Role.bureau_admin)
def change_type(facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    form = TypeChangeForm()
    return form_actions.run(form, lambda: registry.change_type(current_user, facility, FacilityType(form.type.data),
                                                               on=form.on.data),
                            _l("The type is changed; earlier days keep the type it had then."),
                            url_for("registry.edit", facility_id=facility.id))


@bp.post("/registry/<int:facility_id>/close")
@policy.roles_required(Role.bureau_admin)
def close(facility_id):
    facility = policy.fetch(Facility, facility_id, policy.sees_facility)
    form = CloseForm()
    return form_actions.run(form, lambda: registry.close(current_user, facility, on=form.on.data),
                            _l("The facility is closed; its beds left the register on that day."),
                            url_for("registry.edit", facility_id=facility.id))
