"""Production plumbing: health checks, the request log and request ids, 503 while the database
is unreachable, backups (tests/test_backup.py)."""

import functools
import io
import json
import logging
import os
import re
from contextlib import nullcontext
from datetime import date

import pytest
from flask import g
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from eldercare.audit import AuditEvent
from eldercare.facilities.models import Stay, Town, TownKind
from eldercare.ops import requestlog
from tests import factories
from tests.conftest import login, post

# GB 11643: 6 digits of region, 8 of birth date, 3 of sequence, a check digit or X.
ID_NUMBER_SHAPE = re.compile(r"(?<![0-9])[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
                             r"[0-9]{3}[0-9Xx](?![0-9])")


@pytest.fixture
def log_lines(app):
    """Everything the app's loggers write during the test, as the production handler formats it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(requestlog.JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("eldercare", "flask-limiter", "werkzeug", "sqlalchemy")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [line for line in out.getvalue().splitlines() if line]
    for logger in loggers:
        logger.removeHandler(handler)


def test_healthz_answers_without_login_or_database(client, monkeypatch):
    monkeypatch.setattr(Session, "execute", _unreachable)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {}}
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_database_and_migrations_and_leaks_nothing(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    body = response.get_data(as_text=True)
    assert not re.search(r"\d{4}|/|postgres|sqlite", body)  # no revision, version, path or address
    assert "Set-Cookie" not in response.headers


def test_readyz_says_pending_when_migrations_are_behind(client, db):
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"database": "ok", "migrations": "pending"}
        assert response.headers["Retry-After"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()


def test_readyz_checks_redis_when_configured(app, client):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1"  # nothing listens there
    try:
        response = client.get("/readyz")
    finally:
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "down"
    assert "127.0.0.1" not in response.get_data(as_text=True)


def _unreachable(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_database_down_is_503_with_retry_after_not_500(client, monkeypatch):
    monkeypatch.setattr(Session, "execute", _unreachable)
    page = client.get("/open-beds")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "503" in page.get_data(as_text=True)
    api = client.get("/api/v1/open-beds")
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "5"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"] == "down"


def test_database_down_is_503_for_a_logged_in_user_too(client, db, manager, monkeypatch):
    """The page for a logged-in user reads nothing from the database either (no bell, no user)."""
    login(client, manager)
    manager_id = manager.id
    client.get("/")
    user = g.get("_login_user")
    monkeypatch.setattr(Session, "execute", _unreachable)
    monkeypatch.setattr(Session, "get", _unreachable)
    for url in ("/", "/open-beds", "/dashboard"):
        page = client.get(url)
        assert page.status_code == 503, url
        assert page.headers["Retry-After"] == "5"
    # the request log names the user of an expired object (rolled back) without asking the database
    db.session.expire(user)
    assert requestlog._user_id(user) == manager_id
    # the database goes away after the user was loaded: the rollback expires the user, the log line
    # still names them, and the answer is a 503
    monkeypatch.undo()
    real_execute = Session.execute
    calls = []

    def first_only(self, *args, **kwargs):
        calls.append(1)
        return real_execute(self, *args, **kwargs) if len(calls) == 1 else _unreachable()

    db.session.remove()
    monkeypatch.setattr(Session, "execute", first_only)
    assert client.get("/open-beds").status_code == 503


def test_a_connection_lost_at_the_end_of_a_request_is_dropped_not_a_500(client, monkeypatch):
    from sqlalchemy.orm import scoped_session

    real_remove = scoped_session.remove
    calls = []

    def lost(self):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        return real_remove(self)

    monkeypatch.setattr(scoped_session, "remove", lost)
    with client.application.app_context():  # a context of its own, popped (torn down) at the end
        assert client.get("/healthz").status_code == 200
    assert calls


@pytest.fixture
def endings(db):
    """How each transaction on the database ended: "commit" or "rollback", in order."""
    seen = []
    listeners = {name: functools.partial(lambda name, *_args: seen.append(name), name)
                 for name in ("commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(db.engine, name, listener)


def _towns(db) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(Town.name)).scalars())


def test_a_request_that_only_read_ends_in_commit(app, client, db, endings):
    """PostgreSQL's prepared statements survive a COMMIT (psycopg forgets them at a ROLLBACK)."""
    with app.app_context():  # a context of its own, torn down at the end as a request's is
        assert client.get("/open-beds").status_code == 200
    assert endings == ["commit"]


@pytest.mark.parametrize("write", ["flushed", "pending", "core", "savepoint", "failed"])
def test_a_request_that_wrote_without_committing_is_rolled_back(app, db, endings, write):
    if write == "savepoint" and db.engine.dialect.name == "sqlite":
        pytest.skip("Python's sqlite3 begins a transaction only at a write: a savepoint taken before one "
                    "is committed by its release, whatever ends the request (docs/decisions.md)")
    with pytest.raises(ZeroDivisionError) if write == "failed" else nullcontext():
        with app.app_context():
            db.session.execute(select(Town.id))  # the transaction has begun with a read
            if write == "flushed":
                factories.town(name="丢弃镇")
            elif write == "pending":
                db.session.add(Town(name="丢弃镇", code="320682999", kind=TownKind.town))
            elif write == "core":
                db.session.execute(insert(Town).values(name="丢弃镇", code="320682999", kind=TownKind.town))
            elif write == "savepoint":
                with db.session.begin_nested():
                    factories.town(name="丢弃镇")
            else:
                factories.town(name="丢弃镇")
                1 / 0  # noqa: B018 - the request fails after its write
    assert "commit" not in endings and "rollback" in endings
    assert "丢弃镇" not in _towns(db)


def test_other_database_errors_stay_500(app, client, monkeypatch):
    from sqlalchemy.exc import ProgrammingError

    def broken(*_args, **_kwargs):
        raise ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(Session, "execute", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert client.get("/api/v1/open-beds").status_code == 500
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None


def test_request_id_echoed_logged_and_on_the_audit_event(client, db, facility, manager, log_lines):
    bed = factories.bed(facility)
    elder = factories.elder()
    db.session.commit()
    login(client, manager)
    response = post(client, f"/facilities/{facility.id}/admit",
                    data={"bed_id": bed.id, "name": elder.name, "id_number": elder.id_number,
                          "category": "general", "on": date.today().isoformat()},
                    headers={"X-Request-ID": "nginx-abc-123456"})
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == "nginx-abc-123456"
    assert db.session.scalar(select(Stay).where(Stay.bed_id == bed.id)) is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.request_id == "nginx-abc-123456")).all()
    assert events, "the admission's audit events carry the request id"
    lines = [json.loads(line) for line in log_lines()]
    admit = [line for line in lines if line.get("request_id") == "nginx-abc-123456"]
    assert len(admit) == 1
    assert admit[0] | {"time": None, "duration_ms": None} == {
        "time": None, "level": "info", "logger": "eldercare.request", "request_id": "nginx-abc-123456",
        "method": "POST", "route": "/facilities/<int:facility_id>/admit", "status": 302, "duration_ms": None,
        "user_id": manager.id, "pid": os.getpid()}
    assert admit[0]["duration_ms"] >= 0
    # a request id that is not a plain token is replaced by a new one
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-ID"])


def test_the_log_holds_no_id_number_password_cookie_or_token(client, db, facility, manager, log_lines):
    bed = factories.bed(facility)
    elder = factories.elder()
    db.session.commit()
    number = elder.id_number
    login(client, manager)
    cookie = client.get_cookie("session").value
    # an ID number in a form, a query string, a path that matches no route, and an API body
    post(client, f"/facilities/{facility.id}/admit", data={"bed_id": bed.id, "name": elder.name, "id_number": number,
                                                           "category": "general", "on": date.today().isoformat()})
    client.get(f"/open-beds?q={number}")
    client.get(f"/beds/{number}")
    client.get(f"/elders/{number}")
    token = client.post("/api/v1/tokens", json={"username": manager.username,
                                                "password": factories.PASSWORD}).get_json()["token"]
    client.post("/api/v1/elders", json={"name": "王秀英", "id_number": "11010519491231002X", "category": "dibao"},
                headers={"Authorization": f"Bearer {token}"})
    client.post("/login", data={"username": number, "password": "not-the-password-1"})
    logged = "\n".join(log_lines())
    assert logged.count('"logger": "eldercare.request"') >= 7
    assert not ID_NUMBER_SHAPE.search(logged), ID_NUMBER_SHAPE.search(logged)
    for secret in (factories.PASSWORD, "not-the-password-1", cookie, token, token[:16]):
        assert secret not in logged
    assert ID_NUMBER_SHAPE.search(number) and ID_NUMBER_SHAPE.search("11010519491231002X")  # the pattern works
