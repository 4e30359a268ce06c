"""How a posted form runs a domain action: validate, one transaction, back with a message.

Every button-like form of the manager's and the reviewer's pages goes through `run`, so a
refused action always rolls back whole and says why in the same way; the JSON API's actions go
through its twin `run_json`.
"""

from flask import abort, flash, redirect
from flask_babel import lazy_gettext as _l

from eldercare import labels
from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.identity import InvalidIdNumber


def errors_of(form) -> str:
    return labels.sentences(labels.labelled(form[name].label.text) + labels.sentences(errors)
                            for name, errors in form.errors.items())


def show_error(form, error: DomainError) -> None:
    """A refused action's reason on a form shown again: an invalid ID number marks the form's ID
    number field, anything else heads the form."""
    (form.id_number.errors if isinstance(error, InvalidIdNumber) else form.form_errors).append(str(error))


def run(form, action, success, back, then=None):
    """Validate `form`, run `action()` and commit; on a DomainError roll back and flash it.
    `success` may be a function of the action's result, to say exactly what changed; `then`,
    a function of the result, where to go after a success (default `back`)."""
    if not form.validate_on_submit():
        flash(errors_of(form) or _l("Please check the form."), "error")
        return redirect(back)
    try:
        result = action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    flash(success(result) if callable(success) else success, "success")
    return redirect(then(result) if then else back)


def run_json(action, status=200):
    """The JSON twin of `run`: run `action()` and commit, answering (its result, `status`); on a
    DomainError roll back and answer its `status` with its message (problem+json under /api/)."""
    try:
        result = action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        abort(error.status, description=str(error))
    return result, status
