"""The read side of residents: plain data for pages and (later) the API and reports."""

from sqlalchemy import select

from eldercare.extensions import db
from eldercare.residents.models import Assessment


def assessments_of(elder_id: int, application_id: int | None = None) -> list[Assessment]:
    """The elder's latest assessments; with `application_id`, only those made for that application
    (what its family may see)."""
    query = select(Assessment).where(Assessment.elder_id == elder_id)
    if application_id is not None:
        query = query.where(Assessment.application_id == application_id)
    return list(db.session.scalars(query.order_by(Assessment.id.desc()).limit(10)))
