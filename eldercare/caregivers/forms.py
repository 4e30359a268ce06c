from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eldercare import labels
from eldercare.auth.forms import MOBILE
from eldercare.caregivers.models import LEVELS, NO_CERTIFICATE, EmploymentStatus, Post
from eldercare.validators import Finite, PlainText

PAY = [InputRequired(), NumberRange(0, 1_000_000)]


def level_choices() -> list[SelectChoice]:
    return [SelectChoice(level, labels.SKILL_LEVEL[level]) for level in LEVELS]


class HireForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64), PlainText()])
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=40)],
                            render_kw={"autocomplete": "off", "maxlength": 40})
    mobile = StringField(_l("Mobile number"), validators=[Optional(), MOBILE],
                         render_kw={"inputmode": "tel", "autocomplete": "off"})
    post = SelectField(_l("Post"), choices=labels.choices(labels.POST), default=Post.caregiver.value)
    hired_on = DateField(_l("Hire date"), validators=[InputRequired()])
    monthly_pay = IntegerField(_l("Monthly pay (yuan)"), validators=PAY, render_kw={"inputmode": "numeric"})


class EmploymentForm(FlaskForm):
    post = SelectField(_l("Post"), choices=labels.choices(labels.POST))
    monthly_pay = IntegerField(_l("Monthly pay (yuan)"), validators=PAY, render_kw={"inputmode": "numeric"})
    mobile = StringField(_l("Mobile number"), validators=[Optional(), MOBILE], render_kw={"inputmode": "tel"})


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=labels.choices(labels.EMPLOYMENT_STATUS))
    on = DateField(_l("From"), validators=[InputRequired()])

    def status_value(self) -> EmploymentStatus:
        return EmploymentStatus(self.status.data)


class PreJobForm(FlaskForm):
    trained_on = DateField(_l("Training date"), validators=[InputRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=[InputRequired(), Finite(), NumberRange(0.1, 500)],
                         render_kw={"inputmode": "decimal", "step": "0.5"})
    provider = StringField(_l("Provider"), validators=[DataRequired(), Length(max=128), PlainText()])
    passed = BooleanField(_l("Passed"), default=True)


class CertificateForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=64), PlainText()])
    level = SelectField(_l("Skill level"), coerce=int, choices=level_choices, default=5)
    issued_on = DateField(_l("Issue date"), validators=[InputRequired()])
    issuer = StringField(_l("Issuing body"), validators=[DataRequired(), Length(max=128), PlainText()])
    expires_on = DateField(_l("Valid until (if stated)"), validators=[Optional()])


class SessionForm(FlaskForm):
    kind = SelectField(_l("Kind of training"), default="in_service", choices=[
        SelectChoice("in_service", _l("in-service training (hours count towards the year's minimum)")),
        SelectChoice("pre_job", _l("pre-job training: every caregiver ticked passed")),
    ])
    course = StringField(_l("Course"), validators=[DataRequired(), Length(max=128), PlainText()])
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=[InputRequired(), Finite(), NumberRange(0.1, 100)],
                         render_kw={"inputmode": "decimal", "step": "0.5"})
    provider = StringField(_l("Provider"), validators=[DataRequired(), Length(max=128), PlainText()])
    caregiver_ids = SelectMultipleField(_l("Who attended"), coerce=int,
                                        validators=[DataRequired(_l("Please tick at least one caregiver who "
                                                                    "attended."))])


class PayBandsForm(FlaskForm):
    year = IntegerField(_l("From the year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    level_5 = IntegerField(labels.SKILL_LEVEL[5], validators=[Optional(), NumberRange(0, 1_000_000)])
    level_4 = IntegerField(labels.SKILL_LEVEL[4], validators=[Optional(), NumberRange(0, 1_000_000)])
    level_3 = IntegerField(labels.SKILL_LEVEL[3], validators=[Optional(), NumberRange(0, 1_000_000)])
    level_2 = IntegerField(labels.SKILL_LEVEL[2], validators=[Optional(), NumberRange(0, 1_000_000)])
    level_1 = IntegerField(labels.SKILL_LEVEL[1], validators=[Optional(), NumberRange(0, 1_000_000)])
    level_0 = IntegerField(labels.SKILL_LEVEL[NO_CERTIFICATE], validators=[Optional(), NumberRange(0, 1_000_000)])

    def level_fields(self):
        return [(level, getattr(self, f"level_{level}")) for level in (*LEVELS, NO_CERTIFICATE)]

    def minimums(self) -> dict[int, int | None]:
        return {level: field.data for level, field in self.level_fields()}


class ImportForm(FlaskForm):
    file = FileField(_l("Roster file (CSV or XLSX)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    rows = HiddenField(validators=[DataRequired()])
