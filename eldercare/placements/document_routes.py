"""An application's supporting documents on the application page: attach and remove (the
applicant, while the application can be changed) and open (whoever may see the application; every view audited)."""

from flask import Blueprint, current_app, flash, redirect, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from eldercare import form_actions
from eldercare.auth import policy
from eldercare.extensions import db
from eldercare.placements import documents
from eldercare.placements.documents import ApplicationDocument, DocumentKind
from eldercare.placements.forms import DocumentForm, SubmitForm
from eldercare.placements.models import Application
from eldercare.placements.routes import APPLICANTS

bp = Blueprint("documents", __name__)


@bp.post("/applications/<int:application_id>/documents")
@policy.roles_required(*APPLICANTS)
def attach(application_id):
    application = policy.fetch(Application, application_id, policy.can_view_application,
                               allowed=policy.can_change_application)
    form = DocumentForm()
    back = url_for("placements.show", application_id=application.id)

    def run():
        upload = form.file.data
        # One byte past the limit is enough to refuse a file that is too large.
        content = upload.read(current_app.config["DOCUMENT_MAX_BYTES"] + 1)
        return documents.attach(current_user, application, kind=DocumentKind(form.kind.data),
                                name=upload.filename or "", content=content)

    return form_actions.run(form, run, _l("The document is attached."), back)


@bp.post("/documents/<int:document_id>/remove")
@policy.roles_required(*APPLICANTS)
def remove(document_id):
    document = policy.fetch(ApplicationDocument, document_id,
                            lambda user, d: policy.can_view_application(user, d.application),
                            allowed=lambda user, d: policy.can_change_application(user, d.application))
    return form_actions.run(SubmitForm(), lambda: documents.remove(current_user, document),
                            _l("The document is removed."),
                            url_for("placements.show", application_id=document.application_id))


@bp.get("/documents/<int:document_id>")
@login_required
def show(document_id):
    document = policy.fetch(ApplicationDocument, document_id,
                            lambda user, d: policy.can_view_application(user, d.application))
    try:
        path, media_type = documents.open_document(current_user, document)
    except documents.DocumentMissing as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("placements.show", application_id=document.application_id))
    db.session.commit()
    return send_file(path, mimetype=media_type, as_attachment=False,
                     download_name=f"document-{document.id}.{path.suffix.lstrip('.')}", max_age=0)
