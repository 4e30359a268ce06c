"""Resident pages: the assessment form (reached from a home's bed or from an application, which
decide who may use it) and the bureau's identity cases."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eldercare import form_actions
from eldercare.auth import policy
from eldercare.auth.models import BUREAU_ROLES
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.residents import queries, services
from eldercare.residents.forms import AssessmentForm, ResolveCaseForm
from eldercare.residents.models import AssessmentReason, IdentityCase

bp = Blueprint("residents", __name__)


def assessment_page(elder, back: str, save=None, ask_reason=True):
    """GET shows the form and the history; POST records the assessment (through `save(**scores)`,
    default: the elder's own record) and goes `back`. The caller has checked that the current user
    may assess this elder."""
    form = AssessmentForm()
    if form.validate_on_submit():
        save = save or (lambda **scores: services.record_assessment(current_user, elder, **scores))
        try:
            record = save(reason=AssessmentReason(form.reason.data), **form.scores())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(_l("Assessed: total %(total)s.", total=record.total), "success")
            return redirect(back)
    return render_template("residents/assess.html", elder=elder, form=form, back=back, ask_reason=ask_reason,
                           history=queries.assessments_of(elder.id)), \
        (422 if form.errors or form.form_errors else 200)


@bp.get("/residents/identity-cases")
@policy.roles_required(*BUREAU_ROLES)
def identity_cases():
    """Names that disagree with a resident's record, for the bureau to compare and resolve."""
    return render_template("residents/identity_cases.html", cases=queries.open_identity_cases(),
                           form=ResolveCaseForm())


@bp.post("/residents/identity-cases/<int:case_id>")
@policy.roles_required(*BUREAU_ROLES)
def resolve_identity_case(case_id):
    case = db.get_or_404(IdentityCase, case_id)
    form = ResolveCaseForm()
    return form_actions.run(form, lambda: services.resolve_identity_case(current_user, case,
                                                                         rename=form.rename.data == "claimed"),
                            _l("Saved: the record's name is now %(name)s.", name=case.claimed_name
                               if form.rename.data == "claimed" else case.elder.name),
                            url_for("residents.identity_cases"))
