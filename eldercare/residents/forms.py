from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import BooleanField, Form, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from eldercare import labels
from eldercare.residents.models import AssessmentReason
from eldercare.residents.rules import DOMAIN_LABELS, DOMAINS


def _score_fields(first_validator) -> dict:
    """The fields of an assessment (GB/T 42195 domain scores and adjustments), the scores checked by
    `first_validator` first: required on the assessment page, optional beside an admission."""
    fields = {domain: IntegerField(DOMAIN_LABELS[domain], validators=[first_validator(), NumberRange(0, top)])
              for domain, top in DOMAINS.items()}
    return {
        **fields,
        "coma": BooleanField(_l("In a coma")),
        "dementia_or_psychiatric": BooleanField(_l("Diagnosed dementia or psychiatric illness")),
        "risk_events_30d": IntegerField(_l("Number of falls, choking, self-harm or wandering in the last 30 days"),
                                        default=0, validators=[Optional(), NumberRange(0, 100)]),
    }


def _scores_of(form) -> dict:
    """The keyword arguments of residents.services.record_assessment, from either form."""
    return {name: form[name].data for name in (*DOMAINS, "coma", "dementia_or_psychiatric")} | {
        "risk_events_30d": form.risk_events_30d.data or 0}


class AssessmentForm(FlaskForm):
    reason = SelectField(_l("Why now"), default=AssessmentReason.condition_changed.value,
                         choices=labels.choices(labels.ASSESSMENT_REASON, exclude={AssessmentReason.application}))
    locals().update(_score_fields(InputRequired))

    def scores(self) -> dict:
        return _scores_of(self)


class AdmissionScores(Form):
    """An assessment entered with an admission (required for a nursing-type bed when the elder has
    none): every score, or none."""

    class Meta:
        def get_translations(self, form):  # WTForms' own messages in the reader's language, as in a FlaskForm
            return wtforms_translations

    locals().update(_score_fields(Optional))

    def given(self) -> bool:
        return any(self[domain].data is not None for domain in DOMAINS)

    def scores(self) -> dict:
        return _scores_of(self)


class ResolveCaseForm(FlaskForm):
    rename = RadioField(_l("Which name is right?"), choices=[SelectChoice("record", _l("the name on the record")),
                                                             SelectChoice("claimed", _l("the name given now"))],
                        validators=[InputRequired()])
