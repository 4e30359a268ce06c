from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FormField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eldercare import labels
from eldercare.facilities.models import Away, BedKind, CareType, EndReason
from eldercare.facilities.services import MAX_BED_CODE, MAX_BEDS_PER_BATCH, MAX_ROOM_CODE
from eldercare.residents.forms import AdmissionScores
from eldercare.residents.models import Category
from eldercare.validators import PlainText


class AdmitForm(FlaskForm):
    bed_id = SelectField(_l("Vacant bed"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Elder's name"), validators=[DataRequired(), Length(max=64), PlainText()])
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=40)],
                            render_kw={"autocomplete": "off", "inputmode": "text", "maxlength": 40})
    category = SelectField(_l("Category"), choices=labels.choices(labels.CATEGORY), default=Category.general.value)
    severe_disability = BooleanField(_l("Severe disability (certificate grade 1-2)"))
    living_alone = BooleanField(_l("Living alone"))
    empty_nest = BooleanField(_l("Empty nest"))
    on = DateField(_l("Admission date"), validators=[InputRequired()])
    assessment = FormField(AdmissionScores, label=_l("Ability assessment on admission"))


class DischargeForm(FlaskForm):
    on = DateField(_l("Discharge date"), validators=[InputRequired()])
    reason = SelectField(
        _l("Reason"),
        choices=labels.choices(labels.END_REASON, exclude={EndReason.transferred}),
    )


class TransferForm(FlaskForm):
    to_bed_id = SelectField(_l("Move to bed"), coerce=int, validators=[DataRequired()])
    on = DateField(_l("Transfer date"), validators=[InputRequired()])


class AwayForm(FlaskForm):
    away = SelectField(_l("Where is the resident?"),
                       choices=[SelectChoice("", _l("back in the bed")), *labels.choices(labels.AWAY)])

    def away_value(self):
        return Away(self.away.data) if self.away.data else None


class CareTypeForm(FlaskForm):
    care_type = SelectField(_l("Care type"), choices=labels.choices(labels.CARE_TYPE))


class RetireForm(FlaskForm):
    on = DateField(_l("Retired from"), validators=[InputRequired()])


class HoldForm(FlaskForm):
    hours = IntegerField(_l("Hold for (hours)"), default=72, validators=[InputRequired(), NumberRange(1, 24 * 14)])
    note = StringField(_l("For whom / why"), validators=[Optional(), Length(max=256), PlainText()])


class ActionForm(FlaskForm):
    """A button that posts nothing but its CSRF token."""


class ManagedFacilitiesForm(FlaskForm):
    facility_ids = SelectMultipleField(_l("Facilities managed"), coerce=int, validate_choice=True,
                                       widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class RoomForm(FlaskForm):
    code = StringField(_l("Room code"), validators=[DataRequired(), Length(max=MAX_ROOM_CODE), PlainText()])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(-5, 200)])


class BedsForm(FlaskForm):
    room_id = SelectField(_l("Room"), coerce=int, validators=[DataRequired()])
    count = IntegerField(_l("How many beds"), default=1,
                         validators=[InputRequired(), NumberRange(1, MAX_BEDS_PER_BATCH)])
    care_type = SelectField(_l("Care type"), choices=labels.choices(labels.CARE_TYPE),
                            default=CareType.nursing.value)
    kind = SelectField(_l("Kind of bed"), choices=labels.choices(labels.BED_KIND), default=BedKind.institution.value)


class BedForm(FlaskForm):
    room_id = SelectField(_l("Room"), coerce=int, validators=[Optional()])
    code = StringField(_l("Bed code"), validators=[DataRequired(), Length(max=MAX_BED_CODE), PlainText()])
    care_type = SelectField(_l("Care type"), choices=labels.choices(labels.CARE_TYPE),
                            default=CareType.nursing.value)
    kind = SelectField(_l("Kind of bed"), choices=labels.choices(labels.BED_KIND), default=BedKind.institution.value)


class MealForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    meals = IntegerField(_l("Meals served"), validators=[InputRequired(), NumberRange(0, 100000)])
    tekun = IntegerField(_l("Subsidised: tekun"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    dibao = IntegerField(_l("Subsidised: dibao"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    dibao_edge = IntegerField(_l("Subsidised: near dibao"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    expense_hardship = IntegerField(_l("Subsidised: expense hardship"), default=0,
                                    validators=[Optional(), NumberRange(0, 100000)])
    general = IntegerField(_l("Subsidised: other elders (age subsidy)"), default=0,
                           validators=[Optional(), NumberRange(0, 100000)])

    def subsidised(self) -> dict[str, int]:
        return {c.value: getattr(self, c.value).data or 0 for c in Category}


class TownForm(FlaskForm):
    town_id = SelectField(_l("Town or street"), coerce=int, validators=[DataRequired()])
