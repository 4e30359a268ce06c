"""Town civil-affairs assistants apply on behalf of elders without family, attach supporting
documents, and follow the applications as a family does; the bureau sees who applied for whom."""

import io
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.notifications import Notification
from eldercare.placements import documents, workflow
from eldercare.placements.documents import ApplicationDocument, DocumentKind
from eldercare.placements.models import Application, Status
from eldercare.residents.models import Category
from tests import factories
from tests.conftest import login, post

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def assistant(db, town):
    return factories.user("assistant1", Role.town_assistant, town=town)


def _form(**fields):
    data = {"name": "王桂兰", "id_number": factories.id_number(), "category": "dibao", "living_alone": "y",
            "relation": "镇民政助理员", "contact_name": "李助理", "contact_phone": "13912345678"}
    data.update(fields)
    return data


def _apply(client, **fields) -> Application:
    response = post(client, "/applications/new", _form(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(select(Application).order_by(Application.id.desc()))


def test_an_assistant_applies_for_an_elder_of_their_town_and_follows_it(app, client, assistant, town, bureau_staff):
    login(client, assistant)
    application = _apply(client)
    assert (application.family_id, application.assistant_town_id, application.living_alone) == (
        assistant.id, town.id, True)
    response = post(client, f"/applications/{application.id}/submit", {"consent": "y"})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == Status.submitted
    assert "王桂兰" in client.get("/applications").get_data(as_text=True)
    workflow.start_review(bureau_staff, application)
    db.session.commit()
    # The messages go to the assistant, as they would to a family.
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == assistant.id,
                                                           Notification.application_id == application.id))


def test_the_towns_assistants_share_its_applications_and_no_one_else_sees_them(app, client, assistant, town, family):
    login(client, assistant)
    application = _apply(client)
    colleague = factories.user("assistant2", Role.town_assistant, town=town)
    elsewhere = factories.user("assistant3", Role.town_assistant, town=factories.town("丁堰镇", "320682101"))
    for user, status in ((colleague, 200), (elsewhere, 404), (family, 404)):
        post(client, "/logout")
        login(client, user)
        assert client.get(f"/applications/{application.id}").status_code == status, user.username
    # The assistant of another town sees none of it in their list either, nor a family's application.
    own = factories.application(family)
    post(client, "/logout")
    login(client, assistant)
    assert client.get(f"/applications/{own.id}").status_code == 404
    assert "王桂兰" in client.get("/applications").get_data(as_text=True)


def test_an_assistant_without_a_town_cannot_apply(app, client, db):
    nowhere = factories.user("assistant0", Role.town_assistant)
    with pytest.raises(InvalidInput, match="no town"):
        workflow.save_draft(nowhere, None, name="王桂兰", id_number=factories.id_number(), category=Category.dibao,
                            severe_disability=False, living_alone=True, empty_nest=False, relation="助理员",
                            contact_name="李", contact_phone="13912345678", preferred_town_ids=[],
                            preferred_facility_ids=[], needs_nursing=False, notes="")
    db.session.rollback()
    assert db.session.scalar(select(Application.id)) is None


def test_the_bureau_sees_who_applied_for_whom(app, client, assistant, bureau_staff):
    login(client, assistant)
    application = _apply(client)
    post(client, f"/applications/{application.id}/submit", {"consent": "y"})
    post(client, "/logout")
    login(client, bureau_staff)
    review = client.get("/review").get_data(as_text=True)
    assert 'data-testid="on-behalf"' in review and "assistant1" in review
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'data-testid="applied-by"' in page and "如城街道" in page


# --- documents ------------------------------------------------------------------------------

def _upload(client, application, content, name="证明.pdf", kind="disability_certificate"):
    return client.post(f"/applications/{application.id}/documents", data={
        "kind": kind, "file": (io.BytesIO(content), name),
        "csrf_token": client.get(f"/applications/{application.id}").get_data(as_text=True)
        .split('name="csrf-token" content="')[1].split('"')[0]}, content_type="multipart/form-data")


@pytest.mark.parametrize("content, media_type", [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_certificate_is_kept_outside_the_web_root_under_a_random_name(app, client, assistant, content, media_type):
    login(client, assistant)
    application = _apply(client)
    response = _upload(client, application, content, name="../../etc/passwd.pdf")
    assert response.status_code == 302
    document = db.session.scalar(select(ApplicationDocument))
    stored = Path(app.config["DOCUMENTS_DIR"]) / document.path
    assert stored.read_bytes() == content and document.media_type == media_type
    assert "passwd" not in document.path and document.name == "passwd.pdf"
    assert not str(stored.resolve()).startswith(str(Path(app.static_folder).resolve()))
    served = client.get(f"/documents/{document.id}")
    assert served.status_code == 200 and served.data == content and served.mimetype == media_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("content, message", [
    (b"MZ\x90\x00 an executable named .pdf", "Only PDF, JPEG and PNG"),
    (b"<html><script>alert(1)</script></html>", "Only PDF, JPEG and PNG"),
    (b"", "empty"),
])
def test_a_file_is_judged_by_its_content_not_its_name(app, assistant, content, message):
    Path(app.config["DOCUMENTS_DIR"]).mkdir(parents=True, exist_ok=True)
    kept = set(Path(app.config["DOCUMENTS_DIR"]).iterdir())
    application = factories.application(assistant, assistant_town_id=assistant.town_id)
    with pytest.raises(InvalidInput, match=message):
        documents.attach(assistant, application, kind=DocumentKind.dibao_certificate, name="低保证.pdf",
                         content=content)
    db.session.rollback()
    assert db.session.scalar(select(ApplicationDocument.id)) is None
    assert set(Path(app.config["DOCUMENTS_DIR"]).iterdir()) == kept


def test_a_file_over_the_limit_is_refused(app, client, assistant):
    app.config["DOCUMENT_MAX_BYTES"] = 1024
    try:
        login(client, assistant)
        application = _apply(client)
        response = _upload(client, application, PDF + b"0" * 2000)
        assert response.status_code == 302
        assert db.session.scalar(select(ApplicationDocument.id)) is None
        assert 'class="flash error"' in client.get(f"/applications/{application.id}").get_data(as_text=True)
    finally:
        app.config["DOCUMENT_MAX_BYTES"] = 5 * 1024 * 1024


def test_documents_are_attached_only_while_the_application_can_be_changed(app, client, assistant, family):
    application = factories.application(assistant, status=Status.submitted, assistant_town_id=assistant.town_id)
    with pytest.raises(InvalidInput, match="draft"):
        documents.attach(assistant, application, kind=DocumentKind.other, name="a.pdf", content=PDF)
    db.session.rollback()
    # A family attaches to its own draft; an assistant cannot attach to a family's application.
    draft = factories.application(family)
    assert factories.document(draft).uploaded_by_id == family.id
    login(client, assistant)
    assert client.post(f"/applications/{draft.id}/documents", data={}).status_code in (400, 404)


def test_only_those_who_see_the_application_open_its_documents_and_every_view_is_audited(
        app, client, assistant, bureau_staff, family, manager):
    application = factories.application(assistant, assistant_town_id=assistant.town_id)
    document = factories.document(application, content=PDF)
    for user, status in ((family, 404), (manager, 404), (bureau_staff, 200), (assistant, 200)):
        login(client, user)
        assert client.get(f"/documents/{document.id}").status_code == status, user.username
        post(client, "/logout")
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.document.view")).all()
    assert sorted(v.actor_id for v in views) == sorted([bureau_staff.id, assistant.id])


def test_a_document_whose_file_is_gone_says_so(app, client, assistant):
    application = factories.application(assistant, assistant_town_id=assistant.town_id)
    document = factories.document(application)
    (Path(app.config["DOCUMENTS_DIR"]) / document.path).unlink()
    login(client, assistant)
    response = client.get(f"/documents/{document.id}", follow_redirects=True)
    assert response.status_code == 200 and 'class="flash error"' in response.get_data(as_text=True)


def test_the_applicant_removes_a_document_attached_by_mistake(app, client, assistant, town):
    application = factories.application(assistant, assistant_town_id=town.id)
    document = factories.document(application)
    stored = Path(app.config["DOCUMENTS_DIR"]) / document.path
    login(client, assistant)
    assert post(client, f"/documents/{document.id}/remove").status_code == 302
    assert db.session.get(ApplicationDocument, document.id) is None and not stored.exists()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.document.remove"))
    assert event.before["kind"] == "disability_certificate" and event.actor_id == assistant.id


def test_a_document_of_a_submitted_application_stays(app, client, assistant, town, bureau_staff):
    application = factories.application(assistant, assistant_town_id=town.id)
    document = factories.document(application)
    application.status = Status.submitted
    db.session.commit()
    login(client, assistant)
    post(client, f"/documents/{document.id}/remove")
    assert db.session.get(ApplicationDocument, document.id) is not None
    post(client, "/logout")
    login(client, bureau_staff)
    assert post(client, f"/documents/{document.id}/remove").status_code == 403
