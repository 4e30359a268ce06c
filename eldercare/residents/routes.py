"""Resident pages: the assessment form (reached from a home's bed or from an application, which
decide who may use it) and the bureau's identity cases."""

from flask import Blueprint, flash, redirect, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.residents import queries
from eldercare.residents.forms import AssessmentForm
from eldercare.residents.services import record_assessment

bp = Blueprint("residents", __name__)


def assessment_page(elder, back: str, application_id: int | None = None):
    """GET shows the form and the history; POST records the assessment and goes `back`.
    The caller has checked that the current user may assess this elder."""
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            record = record_assessment(
                current_user, elder, self_care=form.self_care.data, mobility=form.mobility.data,
                mental=form.mental.data, perception=form.perception.data, coma=form.coma.data,
                dementia_or_psychiatric=form.dementia_or_psychiatric.data,
                risk_events_30d=form.risk_events_30d.data or 0, application_id=application_id)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_l("Assessed: total %(total)s.", total=record.total), "success")
            return redirect(back)
    return render_template("residents/assess.html", elder=elder, form=form, back=back,
                           history=queries.assessments_of(elder.id)), \
        (422 if form.errors or form.form_errors else 200)
