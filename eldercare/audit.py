"""The audit trail: who did what, when, with the record before and after.

Every service that changes data calls `record()` in the same transaction as the change, so
an action and its audit event are committed or rolled back together. Sensitive values
(full ID numbers, health details) never go into an event: callers pass masked values.
"""

from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eldercare.extensions import db
from eldercare.models import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    # The request that made the change (its X-Request-ID, as in the request log); None from a command or a job.
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)


def record(actor, action: str, entity, *, facility_id=None, before=None, after=None) -> AuditEvent:
    """`entity` is a model instance, or a table name for a change to a whole table's settings."""
    whole_table = isinstance(entity, str)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=entity if whole_table else entity.__tablename__,
        entity_id=None if whole_table else entity.id,
        facility_id=facility_id,
        before=before,
        after=after,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event)
    return event
