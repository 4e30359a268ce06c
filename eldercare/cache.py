"""Aggregate reads kept between requests, valid until the data changes.

The dashboard and the facility list add up every bed of the city; at a province's scale that
is a scan of hundreds of thousands of rows, too slow to repeat on every page view. Two kinds of
memo keep results in this process:

- `@cached` keeps a function's result until the change counter moves. The counter is one row,
  bumped at the commit of every transaction that changes anything through the ORM (session events, so
  no service can forget it; bulk loads call `bump()` themselves).
- `@per_facility` keeps a per-facility aggregate (the bed and resident tallies) facility by
  facility, and re-reads only the facilities whose `figures_version` moved: the same session
  event bumps the version of every facility whose beds, stays, holds or residents changed. A
  change in one home costs a re-read of that home, not of the city.

A committed bump is seen by every process at its next request (the counter is read once per
request and transaction), so app servers never serve figures older than the last change
committed before the request began, and nothing is kept that another process would
need. A session that has written and not yet committed bypasses both memos, so uncommitted
(possibly rolled-back) data is never stored.
"""

import threading
from functools import wraps

from flask import g, has_app_context
from sqlalchemy import BigInteger, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from eldercare.models import Base

WROTE = "eldercare.wrote"  # this transaction has written: the memos are bypassed until it ends
BUMPED = "eldercare.bumped"  # ... and has already moved the change counter
TOUCHED = "eldercare.touched"  # the facilities whose figures_version moves at commit
VERSION = "eldercare_change_counter"  # in flask.g: the counter as read in this request and transaction


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class _Tracked:
    """The model whose rows carry a `figures_version` (and `id`, `created_at`), and the functions
    naming the rows a set of changed objects touches. The domains register them (`track`), so
    this module knows no domain."""

    model = None
    touched_by: list = []

    @staticmethod
    def touched(session, objects) -> set:
        return set().union(*(touched(session, objects) for touched in _Tracked.touched_by))


def track(model, touched) -> None:
    """Register `touched(session, objects)`, naming the rows of `model` that changed objects
    touch; several domains register one each (beds and stays; caregivers' rosters)."""
    _Tracked.model = model
    if touched not in _Tracked.touched_by:
        _Tracked.touched_by.append(touched)


def changed(session_or_connection, facility_ids=None) -> None:
    """Declare a change made outside the ORM (a bulk load): every cached figure is read afresh,
    the per-facility tallies of `facility_ids` (default: all) too."""
    Facility = _Tracked.model

    bump(session_or_connection)
    query = update(Facility).values(figures_version=Facility.figures_version + 1)
    if facility_ids is not None:
        query = query.where(Facility.id.in_(facility_ids))
    session_or_connection.execute(query)


def bump(session_or_connection) -> None:
    session_or_connection.execute(
        update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value + 1)
    )
    session_or_connection.info[WROTE] = True
    session_or_connection.info[BUMPED] = True


@event.listens_for(Session, "before_flush")
def _note_change(session, _flush_context, _instances):
    """Remember that this transaction writes, and which facilities' tallies it touches. The
    counter and the versions are bumped at commit, not here: their rows are then locked last, in
    one order (counter, then facilities by id), whatever rows the transaction locked before, so
    two transactions never wait on each other in a cycle."""
    changed = session.new | session.dirty | session.deleted
    if not changed:
        return
    session.info[WROTE] = True
    if _Tracked.model is not None:
        session.info.setdefault(TOUCHED, set()).update(_Tracked.touched(session, changed))


@event.listens_for(Session, "before_commit")
def _bump_at_commit(session):
    session.flush()  # commit flushes after this event: flush first so every change is noted
    if not session.info.get(WROTE):
        return
    if not session.info.pop(BUMPED, False):
        bump(session)
    facility_ids = sorted(session.info.pop(TOUCHED, ()))
    if facility_ids:
        Facility = _Tracked.model
        session.execute(update(Facility).where(Facility.id.in_(facility_ids))
                        .values(figures_version=Facility.figures_version + 1))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session):
    for key in (WROTE, BUMPED, TOUCHED):
        session.info.pop(key, None)
    if has_app_context():
        g.pop(VERSION, None)  # a transaction ended (perhaps with a change): read the counter again


def _version(session) -> int:
    """The change counter, read once per request (or job) and transaction: a page asking several
    memoised functions costs one small query, not one per function."""
    version = g.get(VERSION) if has_app_context() else None
    if version is None:
        version = session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1))
        if has_app_context():
            g.setdefault(VERSION, version)
    return version


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
        version = _version(session)
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


def per_facility(fn):
    """Memoise `fn(facility_ids)` -> rows whose first column is a facility id, facility by
    facility: only facilities whose figures_version (or identity) changed are read again.
    `fn(None)` must return the rows of every facility."""
    stores: dict[str, dict] = {}

    @wraps(fn)
    def wrapper():
        from eldercare.extensions import db

        Facility = _Tracked.model
        session = db.session
        if session.info.get(WROTE):
            return tuple(fn(None))
        url = str(session.get_bind().url)
        # Versions only grow and facilities are not deleted, so this triple moves whenever any
        # facility's version does, or a facility is added: one small query when nothing changed.
        fingerprint = tuple(session.execute(select(
            func.count(), func.sum(Facility.figures_version), func.max(Facility.created_at))).one())
        with _lock:
            merged = stores.get((url, "merged"))
        if merged is not None and merged[0] == fingerprint:
            return merged[1]
        # created_at tells a new facility from an old one that had the same id
        stamps = {row.id: (row.figures_version, row.created_at) for row in session.execute(
            select(Facility.id, Facility.figures_version, Facility.created_at))}
        with _lock:
            known = dict(stores.get(url, {}))
        stale = [fid for fid, stamp in stamps.items() if fid not in known or known[fid][0] != stamp]
        if stale:
            everything = len(stale) * 2 > len(stamps)
            rows: dict[int, list] = {fid: [] for fid in (stamps if everything else stale)}
            for row in fn(None if everything else tuple(stale)):
                rows.setdefault(row[0], []).append(row)
            for fid, group in rows.items():
                if fid in stamps:
                    known[fid] = (stamps[fid], tuple(group))
        known = {fid: known[fid] for fid in stamps}
        result = tuple(row for fid in stamps for row in known[fid][1])
        with _lock:
            stores[url] = known
            stores[(url, "merged")] = (fingerprint, result)
        return result

    return wrapper
