"""The read side of residents: plain data for pages and (later) the API and reports."""

from sqlalchemy import select

from eldercare.extensions import db
from eldercare.identity import mask_id_number
from eldercare.residents.models import Assessment, IdentityCase


def assessments_of(elder_id: int, application_id: int | None = None) -> list[Assessment]:
    """The elder's latest assessments; with `application_id`, only those made for that application
    (what its family may see)."""
    query = select(Assessment).where(Assessment.elder_id == elder_id)
    if application_id is not None:
        query = query.where(Assessment.application_id == application_id)
    return list(db.session.scalars(query.order_by(Assessment.id.desc()).limit(10)))


def open_identity_cases() -> list[dict]:
    cases = db.session.scalars(select(IdentityCase).where(IdentityCase.resolved_at.is_(None))
                               .order_by(IdentityCase.raised_at))
    return [{"id": c.id, "record_name": c.elder.name, "claimed_name": c.claimed_name,
             "masked_id": mask_id_number(c.elder.id_number), "source": c.source.value, "source_id": c.source_id,
             "raised_by": c.raised_by.full_name if c.raised_by else "", "raised_at": c.raised_at} for c in cases]
