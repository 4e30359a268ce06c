"""Aggregate reads kept between requests, valid until the data changes.

The dashboard and the facility list add up every bed of the city; at a province's scale that
is a scan of hundreds of thousands of rows, too slow to repeat on every page view. Memos keep
results in this process:

- `@cached` keeps a function's result until the change counter moves. The counter is one row,
  bumped at the commit of every transaction that changes anything through the ORM (session events, so
  no service can forget it; bulk loads call `bump()` themselves). `@revised` is `@cached` for a
  function handed its previous result and inputs, to keep the parts whose inputs did not change.
- `@rendered` and `@rendered_per_facility` keep a page's rendered fragment (HTML) in the reader's
  language until anything changes, or until one facility's figures do; the most recently used
  fragments are kept, up to FRAGMENT_CHARS characters in all (per process), and in Redis
  (FRAGMENT_STORE_URI) for every worker and app server.
- `@per_facility` keeps a per-facility aggregate (the bed and resident tallies) facility by
  facility, and re-reads only the facilities whose `figures_version` moved: the same session
  event sets the version of every facility whose beds, stays, holds or residents changed (or
  that is new) to the counter's new value, so "which facilities changed since I last looked" is
  one small query (`figures_version > seen`). A change in one home costs a re-read of that
  home, not of the city; `derived` keeps a value computed from each facility's rows the same way.

A committed bump is seen by every process at its next request (the counter is read once per
request and transaction), so app servers never serve figures older than the last change
committed before the request began, and nothing is kept that another process would
need. A session that has written and not yet committed bypasses every memo, so uncommitted
(possibly rolled-back) data is never stored.
"""

import hashlib
import json
import threading
import time
from collections import OrderedDict
from datetime import datetime
from functools import wraps

import redis
from flask import current_app, g, has_app_context, has_request_context
from flask_babel import get_locale
from flask_login import current_user
from itsdangerous import BadSignature, Signer
from markupsafe import Markup
from sqlalchemy import BigInteger, case, event, func, null, select, union_all, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from eldercare.models import Base

WROTE = "eldercare.wrote"  # this transaction has written: the memos are bypassed until it ends
BUMPED = "eldercare.bumped"  # ... and has already moved the change counter
TOUCHED = "eldercare.touched"  # the facilities whose figures_version moves at commit
CREATED = "eldercare.created"  # new facilities (no id before their flush): their version is set at commit too
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
    query = update(Facility).values(figures_version=counter_subquery())
    if facility_ids is not None:
        query = query.where(Facility.id.in_(facility_ids))
    session_or_connection.execute(query)


def start_timeline(session_or_connection) -> None:
    """Move the change counter past any value it may have had before: to the time in microseconds
    when that is higher (one change a microsecond is never reached). A new database, or one restored
    from a backup (whose counter is behind the values its abandoned copy went on to use), then never
    meets a version that meant other data in a fragment kept in Redis (`_SharedFragments`)."""
    now = time.time_ns() // 1000
    session_or_connection.execute(update(ChangeCounter).where(ChangeCounter.id == 1).values(
        value=case((ChangeCounter.value < now, now), else_=ChangeCounter.value)))


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
        session.info.setdefault(CREATED, []).extend(o for o in session.new if isinstance(o, _Tracked.model))


@event.listens_for(Session, "before_commit")
def _bump_at_commit(session):
    session.flush()  # commit flushes after this event: flush first so every change is noted
    if not session.info.get(WROTE):
        return
    if not session.info.pop(BUMPED, False):
        bump(session)
    touched = session.info.pop(TOUCHED, set()) | {o.id for o in session.info.pop(CREATED, ()) if o.id is not None}
    facility_ids = sorted(touched)
    if facility_ids:
        Facility = _Tracked.model
        session.execute(update(Facility).where(Facility.id.in_(facility_ids))
                        .values(figures_version=counter_subquery()))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session):
    for key in (WROTE, BUMPED, TOUCHED, CREATED):
        session.info.pop(key, None)
    if has_app_context():
        g.pop(VERSION, None)  # a transaction ended (perhaps with a change): read the counter again


def counter_subquery():
    """The change counter as a column of another query, as this transaction sees it: the version a
    commit gives the facilities it changed (after its own bump), and what the user's loader reads
    with the account (`remember_counter`), so a page's memos cost no statement of their own."""
    return select(ChangeCounter.value).where(ChangeCounter.id == 1).scalar_subquery()


def remember_counter(session, value) -> None:
    """The counter read by this request's first statement (see `counter_subquery`)."""
    if has_app_context() and value is not None and not session.info.get(WROTE):
        g.setdefault(VERSION, value)


def _version(session) -> int:
    """The change counter, read once per request (or job) and transaction: a page asking several
    memoised functions costs one small query, not one per function."""
    version = g.get(VERSION) if has_app_context() else None
    if version is None and has_request_context():
        current_user._get_current_object()  # a logged-in reader's account is read with the counter
        version = g.get(VERSION)
    if version is None:
        version = session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1))
        if has_app_context():
            g.setdefault(VERSION, version)
    return version


_store: dict = {}
_lock = threading.Lock()


def cached(fn):
    """Memoise `fn(*args)` (args hashable, result treated as read-only) until the next change."""
    return _memoised(fn, lambda args, _previous: (fn(*args), None))


def revised(fn):
    """`@cached` for `fn(*args, previous=...)` -> (result, inputs): when the counter moved, `fn` is
    handed its last (result, inputs) for the same args (None the first time, or inside a
    transaction that wrote), so it can keep every part of the result whose inputs are unchanged
    and adjust its sums for the rest. Callers get the result."""
    return _memoised(fn, lambda args, previous: fn(*args, previous=previous))


def _memoised(fn, run):
    """`run(args, previous) -> (result, inputs)` kept per database and args until the counter
    moves; a transaction that wrote runs it afresh (previous None) and stores nothing."""

    @wraps(fn)
    def wrapper(*args):
        from eldercare.extensions import db

        session = db.session
        if session.info.get(WROTE):
            return run(args, None)[0]
        version = _version(session)
        key = (str(session.get_bind().url), fn.__module__, fn.__qualname__, args)
        with _lock:
            hit = _store.get(key)
        if hit is not None and hit[0] == version:
            return hit[1][0]
        revision = run(args, hit[1] if hit is not None else None)
        with _lock:
            _store[key] = (version, revision)
        return revision[0]

    return wrapper


_versions: dict = {}  # url -> (counter, {facility id: figures_version}) complete up to that counter


def facility_versions() -> dict[int, int]:
    """Every facility's figures_version, read again only for the facilities changed since the
    counter last moved: the same dict object while nothing changed, so memos compare identities.

    Why this never misses a change: versions are counter values, given at commit while the
    counter row is locked, so every transaction with a value up to the counter read at the start
    of this request has committed before that read, and the query after it sees its facilities.
    A facility counted but unknown (or known but gone: tests empty the tables) reads them all."""
    from eldercare.extensions import db

    Facility = _Tracked.model
    session = db.session
    if session.info.get(WROTE):
        return dict(session.execute(select(Facility.id, Facility.figures_version)).all())
    url = str(session.get_bind().url)
    counter = _version(session)
    with _lock:
        seen = _versions.get(url)
    if seen is not None and seen[0] == counter:
        return seen[1]
    # One statement: the facilities changed since, and how many there are (a row without an id).
    rows = session.execute(union_all(
        select(Facility.id, Facility.figures_version).where(Facility.figures_version > (seen[0] if seen else -1)),
        select(null(), func.count()).select_from(Facility))).all()
    changed = [row for row in rows if row[0] is not None]
    versions = seen[1] if seen and not changed else {**(seen[1] if seen else {}), **dict(changed)}
    if len(versions) != next(n for fid, n in rows if fid is None):
        versions = dict(session.execute(select(Facility.id, Facility.figures_version)).all())
    with _lock:
        _versions[url] = (counter, versions)
    return versions


class _PerFacility:
    """The memo behind `@per_facility`: each facility's rows with the version they were read at."""

    def __init__(self, fn):
        self.fn = fn
        self.stores: dict[str, dict] = {}  # url -> {"versions", "known", "rows", "merged"}
        wraps(fn)(self)

    def _fresh(self, facility_ids) -> dict[int, tuple]:
        """Read `facility_ids` (None: every facility) now, bypassing the memo."""
        rows: dict[int, list] = {fid: [] for fid in facility_ids or ()}
        for row in self.fn(None if facility_ids is None else tuple(facility_ids)):
            rows.setdefault(row[0], []).append(row)
        return {fid: tuple(group) for fid, group in rows.items()}

    def _refresh(self, facility_ids=None) -> dict:
        """The store, with the rows of `facility_ids` (None: every facility) brought up to date."""
        from eldercare.extensions import db

        url = str(db.session.get_bind().url)
        versions = facility_versions()
        with _lock:
            store = self.stores.get(url) or {"versions": None, "known": {}, "rows": {}}
        if facility_ids is None and store["versions"] is versions:
            return store
        known, rows = store["known"], store["rows"]
        gone = known.keys() - versions.keys()
        wanted = versions if facility_ids is None else [fid for fid in facility_ids if fid in versions]
        stale = [fid for fid in wanted if known.get(fid) != versions[fid]]
        if stale or gone:
            everything = len(stale) * 2 > len(versions)
            fresh = self._fresh(None if everything else stale) if stale else {}
            known = {fid: v for fid, v in known.items() if fid not in gone}
            rows = {fid: group for fid, group in rows.items() if fid not in gone}
            for fid in versions if everything else stale:
                known[fid] = versions[fid]
                rows[fid] = fresh.get(fid, ())
        elif facility_ids is not None:
            return store
        store = {"versions": versions if facility_ids is None else None, "known": known, "rows": rows,
                 "merged": store.get("merged") if rows is store["rows"] else None}
        with _lock:
            self.stores[url] = store
        return store

    def __call__(self) -> tuple:
        """Every facility's rows (by facility id)."""
        from eldercare.extensions import db

        if db.session.info.get(WROTE):
            return tuple(row for _, group in sorted(self._fresh(None).items()) for row in group)
        store = self._refresh()
        if store["merged"] is None:  # one thread or two may fill it, with the same rows
            store["merged"] = tuple(row for fid in sorted(store["rows"]) for row in store["rows"][fid])
        return store["merged"]

    def by_facility(self) -> dict[int, tuple]:
        """{facility id: its rows} for every facility (those without rows too): the same dict,
        and the same tuple for each facility whose rows did not change, until something changes."""
        from eldercare.extensions import db

        if db.session.info.get(WROTE):
            fresh = self._fresh(None)
            return {fid: fresh.get(fid, ()) for fid in facility_versions()}
        return self._refresh()["rows"]

    def of(self, facility_ids) -> dict[int, tuple]:
        """{facility id: its rows} for these facilities only, re-reading only those of them that
        changed (a page of a list reads its page, not the city)."""
        from eldercare.extensions import db

        facility_ids = list(facility_ids)
        if db.session.info.get(WROTE):
            fresh = self._fresh(facility_ids)
            return {fid: fresh.get(fid, ()) for fid in facility_ids}
        rows = self._refresh(facility_ids)["rows"]
        return {fid: rows.get(fid, ()) for fid in facility_ids}


def per_facility(fn):
    """Memoise `fn(facility_ids)` -> rows whose first column is a facility id, facility by
    facility: only facilities whose figures_version changed are read again. `fn(None)` must
    return the rows of every facility. Calling the memo gives every facility's rows;
    `.by_facility()` and `.of(ids)` give them grouped by facility."""
    return _PerFacility(fn)


def derived(source, fn):
    """{facility id: fn(rows)} over the per_facility `source`, for the facilities with rows;
    `fn` runs again only for the facilities whose rows changed. Results are read-only."""
    stores: dict[str, tuple] = {}

    def compute():
        from eldercare.extensions import db

        rows = source.by_facility()
        if db.session.info.get(WROTE):
            return {fid: fn(group) for fid, group in rows.items() if group}
        url = str(db.session.get_bind().url)
        with _lock:
            last = stores.get(url)
        if last is not None and last[0] is rows:
            return last[2]
        inputs, values = {}, {}
        before_inputs, before_values = (last[1], last[2]) if last is not None else ({}, {})
        for fid, group in rows.items():
            if group:
                inputs[fid] = group
                values[fid] = before_values[fid] if before_inputs.get(fid) is group else fn(group)
        with _lock:
            stores[url] = (rows, inputs, values)
        return values

    return compute


FRAGMENT_CHARS = 16_000_000  # per process: some 140 boards of 240 beds, up to 32 MB (two bytes a Chinese character)


class _Fragments:
    """Rendered fragments by key, with the version they were rendered at; the least recently used
    are dropped beyond FRAGMENT_CHARS characters."""

    def __init__(self):
        self.kept: OrderedDict = OrderedDict()  # key -> (version, value, size)
        self.size = 0

    def get(self, key, version):
        with _lock:
            hit = self.kept.get(key)
            if hit is None or hit[0] != version:
                return None
            self.kept.move_to_end(key)
            return hit[1]

    def put(self, key, version, value, size: int) -> None:
        with _lock:
            old = self.kept.pop(key, None)
            self.size += size - (old[2] if old else 0)
            self.kept[key] = (version, value, size)
            while self.size > FRAGMENT_CHARS and len(self.kept) > 1:
                self.size -= self.kept.popitem(last=False)[1][2]


_fragments = _Fragments()


class _SharedFragments:
    """Fragments kept in Redis (FRAGMENT_STORE_URI) for every worker and app server, so a page is
    rendered once for all of them, not once in each. Values are signed with the app's key (what
    Redis holds is served as HTML), expire after SHARED_FOR seconds and are read only at their
    version. Redis unreachable: each worker keeps its own (a warning in the log), and tries again
    after DOWN_FOR seconds."""

    SHARED_FOR = 3600
    DOWN_FOR = 30

    def __init__(self):
        self.clients: dict = {}
        self.down_until = 0.0

    def _client(self):
        uri = current_app.config.get("FRAGMENT_STORE_URI")
        if not uri or time.monotonic() < self.down_until:
            return None
        if uri not in self.clients:
            self.clients[uri] = redis.Redis.from_url(uri, socket_timeout=0.25, socket_connect_timeout=0.25)
        return self.clients[uri]

    @staticmethod
    def _name(key, version) -> str:
        return "eldercare:fragment:" + hashlib.sha256(repr((key, version)).encode()).hexdigest()

    @staticmethod
    def _signer():
        return Signer(current_app.secret_key, salt="eldercare.fragment")

    def _call(self, fn):
        client = self._client()
        if client is None:
            return None
        try:
            return fn(client)
        except redis.RedisError as error:  # the store is down or slow: render here instead
            self.down_until = time.monotonic() + self.DOWN_FOR
            current_app.logger.warning("fragment store unreachable (%s): pages are rendered in each worker for %d s",
                                       type(error).__name__, self.DOWN_FOR)
            return None

    def get(self, key, version):
        raw = self._call(lambda client: client.get(self._name(key, version)))
        if raw is None:
            return None
        try:
            data = json.loads(self._signer().unsign(raw))
        except BadSignature:  # not signed with our key, or damaged: never served
            return None
        html = Markup(data[0])
        if len(data) == 1:
            return html
        return (html, *(datetime.fromisoformat(v) if isinstance(v, str) else v for v in data[1:]))

    def put(self, key, version, value) -> None:
        if self._client() is None:
            return
        items = [value] if isinstance(value, str) else list(value)
        data = [str(items[0]), *(v.isoformat() if isinstance(v, datetime) else v for v in items[1:])]
        signed = self._signer().sign(json.dumps(data, ensure_ascii=False))
        self._call(lambda client: client.set(self._name(key, version), signed, ex=self.SHARED_FOR))


_shared = _SharedFragments()


# A form's CSRF token is the reader's: a fragment is rendered with a mark in its place (Flask-WTF
# keeps the request's signed token in g under the field's name, and reads it from there), and the
# mark is replaced by the reader's token each time the fragment is served. The mark is made from
# the app's key, so every worker and app server sharing fragments (and only they) knows it.
def _csrf_mark() -> str:
    return "csrf-mark-" + hashlib.sha256(f"{current_app.secret_key}:csrf-mark".encode()).hexdigest()[:24]


def _with_marked_csrf(fn, args):
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    before = g.pop(field, None)
    setattr(g, field, _csrf_mark())
    try:
        return fn(*args)
    finally:
        g.pop(field, None)
        if before is not None:
            setattr(g, field, before)


def _with_csrf(value):
    from flask_wtf.csrf import generate_csrf

    html, mark = value if isinstance(value, str) else value[0], _csrf_mark()
    if mark in html:
        html = html.replace(mark, generate_csrf())
        return html if isinstance(value, str) else (html, *value[1:])
    return value


def _fragment_memo(fn, version_of):
    """`fn(*args)` -> str, or a tuple of the str and datetimes (or None), kept per database,
    args and language until `version_of(args)` changes. The fragment must depend on its args and the
    data only: never the reader (pass what it needs as args); forms in it get the reader's CSRF token."""

    @wraps(fn)
    def wrapper(*args):
        from eldercare.extensions import db

        session = db.session
        if session.info.get(WROTE):
            return fn(*args)
        key = (str(session.get_bind().url), fn.__module__, fn.__qualname__, str(get_locale()), args)
        version = version_of(args)
        value = _fragments.get(key, version)
        if value is None:
            value = _shared.get(key, version)
            if value is None:
                value = _with_marked_csrf(fn, args)
                _shared.put(key, version, value)
            _fragments.put(key, version, value, len(value if isinstance(value, str) else value[0]))
        return _with_csrf(value)

    return wrapper


def rendered(fn):
    """Keep the fragment `fn(*args)` renders until anything changes in the database."""
    from eldercare.extensions import db

    return _fragment_memo(fn, lambda _args: _version(db.session))


def rendered_per_facility(fn):
    """Keep the fragment `fn(facility_id, *args)` renders until that facility's figures_version
    moves (its beds, rooms, stays, holds or residents change): a change in another home keeps it."""
    return _fragment_memo(fn, lambda args: facility_versions().get(args[0]))

