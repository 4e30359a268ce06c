"""Supporting documents of an application (a disability certificate, a 低保 certificate): a PDF
or a photo, attached by whoever may change the application (the family, or the town assistant
who applies on the elder's behalf) and removed by them while it can be changed, kept outside the
web root under DOCUMENTS_DIR and served only to those who may see the application, each view
audited.

The file's type is read from its first bytes, never from its name or the browser's word; the
name on disk is random, so nothing the uploader sends becomes a path.
"""

import enum
import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eldercare import audit
from eldercare.errors import DomainError, InvalidInput
from eldercare.extensions import db
from eldercare.models import Base, db_enum, utcnow
from eldercare.placements.models import Application, Status


class DocumentKind(enum.StrEnum):
    disability_certificate = "disability_certificate"  # 残疾人证
    dibao_certificate = "dibao_certificate"  # 低保证
    other = "other"


# The formats accepted, by their first bytes: (signature, media type, file extension).
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
# Documents are attached while the applicant may still change the application.
OPEN_FOR_DOCUMENTS = (Status.draft, Status.more_info)
MAX_DOCUMENTS = 10
MAX_NAME = 128


class ApplicationDocument(Base):
    __tablename__ = "application_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(db_enum(DocumentKind))
    name: Mapped[str] = mapped_column(String(MAX_NAME))  # the uploader's file name, shown only as text
    media_type: Mapped[str] = mapped_column(String(32))  # read from the content
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(64), unique=True)  # random, relative to DOCUMENTS_DIR
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application = relationship(Application)
    uploaded_by = relationship("User")


class DocumentMissing(DomainError):
    status = 410


def media_type_of(content: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a PDF, JPEG or PNG by its first bytes; None for anything else."""
    for signature, media_type, extension in SIGNATURES:
        if content.startswith(signature):
            return media_type, extension
    return None


def _directory() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


def _clean_name(name: str) -> str:
    """The uploader's file name as text to show: no directories, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:MAX_NAME] or "document"


def attach(actor, application: Application, *, kind: DocumentKind, name: str, content: bytes) -> ApplicationDocument:
    """Keep a supporting document for the application. The caller has checked that `actor` may
    change the application; the file is written first and removed again if the database refuses."""
    if application.status not in OPEN_FOR_DOCUMENTS:
        raise InvalidInput(_l("Documents are attached while the application is a draft or sent back for more "
                              "information."))
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    if not content:
        raise InvalidInput(_l("The file is empty."))
    if len(content) > limit:
        raise InvalidInput(_l("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)))
    found = media_type_of(content)
    if found is None:
        raise InvalidInput(_l("Only PDF, JPEG and PNG files are accepted; this file is none of them."))
    count = len(db.session.scalars(select(ApplicationDocument.id).where(
        ApplicationDocument.application_id == application.id)).all())
    if count >= MAX_DOCUMENTS:
        raise InvalidInput(_l("An application keeps at most %(n)s documents.", n=MAX_DOCUMENTS))
    media_type, extension = found
    relative = f"{secrets.token_hex(16)}.{extension}"
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / relative
    temporary = directory / f".{relative}.part"
    temporary.write_bytes(content)
    os.replace(temporary, target)
    try:
        document = ApplicationDocument(
            application_id=application.id, kind=kind, name=_clean_name(name), media_type=media_type,
            size=len(content), sha256=hashlib.sha256(content).hexdigest(), path=relative, uploaded_by_id=actor.id)
        db.session.add(document)
        db.session.flush()
        audit.record(actor, "application.document.attach", document,
                     after={"application_id": application.id, "kind": kind.value, "media_type": media_type,
                            "size": len(content), "sha256": document.sha256})
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return document


def remove(actor, document: ApplicationDocument) -> None:
    """Take back a document attached by mistake (the wrong person's certificate), while the
    application can still be changed: the record and the file go, the audit trail keeps what it was."""
    application = document.application
    if application.status not in OPEN_FOR_DOCUMENTS:
        raise InvalidInput(_l("Documents are removed while the application is a draft or sent back for more "
                              "information."))
    audit.record(actor, "application.document.remove", document,
                 before={"application_id": application.id, "kind": document.kind.value, "sha256": document.sha256})
    path = _directory() / document.path
    db.session.delete(document)
    db.session.flush()
    path.unlink(missing_ok=True)


def documents_of(application: Application) -> list[ApplicationDocument]:
    return list(db.session.scalars(select(ApplicationDocument).where(
        ApplicationDocument.application_id == application.id).order_by(ApplicationDocument.id)))


def open_document(actor, document: ApplicationDocument) -> tuple[Path, str]:
    """The file to send, for someone the caller has let see the application: every view audited."""
    path = _directory() / document.path
    if not path.is_file():
        raise DocumentMissing(_l("This document's file is missing; please ask the applicant to attach it again."))
    audit.record(actor, "application.document.view", document,
                 after={"application_id": document.application_id, "kind": document.kind.value})
    return path, document.media_type


def applications_of_town(town_id: int) -> list[Application]:
    """The applications a town's assistants made on elders' behalf, newest first."""
    return list(db.session.scalars(
        select(Application).where(Application.assistant_town_id == town_id).order_by(Application.id.desc())))
