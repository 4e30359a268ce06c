"""Aggregate reads kept between requests, valid until the data changes.

The dashboard and the facility list add up every bed of the city; at a province's scale that
is a scan of hundreds of thousands of rows, too slow to repeat on every page view. Their base
queries are wrapped in `@cached`, which keeps the result in this process until the change
counter moves.

The counter is one row in the database, bumped inside every transaction that changes
anything through the ORM (a session event, so no service can forget it; bulk loads call
`bump()` themselves). A committed bump is seen by every process at its next read, so app
servers never serve figures older than the last committed change, and nothing is kept that
another process would need. A session that has written and not yet committed bypasses the
cache, so uncommitted (possibly rolled-back) data is never stored in it.
"""

import threading
from functools import wraps

from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from eldercare.models import Base

WROTE = "eldercare.wrote"


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def bump(session_or_connection) -> None:
    session_or_connection.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1)
    )
    session_or_connection.info[WROTE] = True


@event.listens_for(Session, "before_flush")
def _bump_on_change(session, _flush_context, _instances):
    if not session.info.get(WROTE) and (session.new or session.dirty or session.deleted):
        bump(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session):
    session.info.pop(WROTE, None)


_store: dict = {}
_lock = threading.Lock()


def cached(fn):
    """Memoise `fn(*args)` (args hashable, result treated as read-only) until the next change."""

    @wraps(fn)
    def wrapper(*args):
        from eldercare.extensions import db

        session = db.session
        if session.info.get(WROTE):
            return fn(*args)
        version = session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1))
        key = (str(session.get_bind().url), fn.__module__, fn.__qualname__, args)
        with _lock:
            hit = _store.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        result = fn(*args)
        with _lock:
            _store[key] = (version, result)
        return result

    return wrapper
