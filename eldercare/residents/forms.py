from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from eldercare.residents.rules import DOMAIN_LABELS, DOMAINS


class AssessmentForm(FlaskForm):
    self_care = IntegerField(DOMAIN_LABELS["self_care"], validators=[InputRequired(),
                                                                    NumberRange(0, DOMAINS["self_care"])])
    mobility = IntegerField(DOMAIN_LABELS["mobility"], validators=[InputRequired(),
                                                                  NumberRange(0, DOMAINS["mobility"])])
    mental = IntegerField(DOMAIN_LABELS["mental"], validators=[InputRequired(),
                                                              NumberRange(0, DOMAINS["mental"])])
    perception = IntegerField(DOMAIN_LABELS["perception"], validators=[InputRequired(),
                                                                      NumberRange(0, DOMAINS["perception"])])
    coma = BooleanField(_l("In a coma"))
    dementia_or_psychiatric = BooleanField(_l("Diagnosed dementia or psychiatric illness"))
    risk_events_30d = IntegerField(_l("Number of falls, choking, self-harm or wandering in the last 30 days"),
                                   default=0, validators=[Optional(), NumberRange(0, 100)])


class ResolveCaseForm(FlaskForm):
    rename = RadioField(_l("Which name is right?"), choices=[SelectChoice("record", _l("the name on the record")),
                                                             SelectChoice("claimed", _l("the name given now"))],
                        validators=[InputRequired()])
