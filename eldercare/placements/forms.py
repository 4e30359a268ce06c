from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eldercare import labels
from eldercare.models import MAX_ID
from eldercare.placements.priority import DEFAULT_WEIGHTS, GROUPS
from eldercare.validators import MOBILE, Finite, PlainText


class ApplicationForm(FlaskForm):
    name = StringField(_l("Elder's name"), validators=[DataRequired(), Length(max=64), PlainText()])
    # Never rendered with a stored value: the number goes to the browser only as the family types it.
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=40)],
                            render_kw={"autocomplete": "off", "maxlength": 40})
    category = SelectField(_l("Category"), choices=labels.choices(labels.CATEGORY))
    severe_disability = BooleanField(_l("Severe disability (certificate grade 1-2)"))
    living_alone = BooleanField(_l("Living alone"))
    empty_nest = BooleanField(_l("Empty nest"))
    relation = StringField(_l("Your relation to the elder"), validators=[DataRequired(), Length(max=32), PlainText()])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=64), PlainText()])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), MOBILE],
                                render_kw={"inputmode": "tel"})
    preferred_town_ids = SelectMultipleField(_l("Preferred towns or streets"), coerce=int,
                                             widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    preferred_facility_ids = SelectMultipleField(_l("Preferred homes"), coerce=int,
                                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    needs_nursing = BooleanField(_l("Needs a nursing-type bed"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=1000), PlainText(multiline=True)])


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Document"), choices=labels.choices(labels.DOCUMENT_KIND))
    file = FileField(_l("File (PDF, JPEG or PNG)"), validators=[FileRequired()],
                     render_kw={"accept": "application/pdf,image/jpeg,image/png"})


class SubmitForm(FlaskForm):
    consent = BooleanField(_l("I agree that the civil-affairs bureau and the nursing homes process the elder's "
                              "personal information, including the ID number and health information, to handle "
                              "this application."))


class ApproveForm(FlaskForm):
    apply_declared = BooleanField(_l("Also change the resident's record to what the family declared"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the family will read it)"), validators=[DataRequired(), Length(max=500),
                                                                                        PlainText(multiline=True)])


class OfferForm(FlaskForm):
    bed_id = IntegerField(validators=[InputRequired(), NumberRange(1, MAX_ID)])
    hours = IntegerField(_l("Offer valid for (hours)"), default=72, validators=[InputRequired(), NumberRange(1, 336)])


class AdmitApplicationForm(FlaskForm):
    on = DateField(_l("Admission date"), validators=[InputRequired()])


class WeightsForm(FlaskForm):
    """One number per priority term; built from the defaults so a new term gets a field."""


for _key in DEFAULT_WEIGHTS:
    setattr(WeightsForm, _key.replace(".", "__"),
            FloatField(_key, validators=[InputRequired(), Finite(), NumberRange(0, 1000)]))


class GroupOrderForm(FlaskForm):
    """The place of each policy group, 1 to the number of groups; built from the groups."""


for _key in GROUPS:
    setattr(GroupOrderForm, _key, IntegerField(_key, validators=[InputRequired(), NumberRange(1, len(GROUPS))]))
