"""Fixtures: one schema per test session, made by the migrations (never create_all), and
every table emptied between tests. The same suite runs on SQLite (default) and on
PostgreSQL when TEST_DATABASE_URL is set."""

import os
import re
import threading
from datetime import date

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from eldercare import create_app
from eldercare.auth.models import Role
from eldercare.cache import ChangeCounter, bump
from eldercare.extensions import db as _db
from eldercare.extensions import limiter
from eldercare.facilities.models import FacilityType, Stay
from eldercare.placements.models import Status
from tests import factories


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


class Client(FlaskClient):
    """Each request starts with an empty `g`, as it would in its own application context.

    Tests keep one application context open for the factories, and Flask reuses it for
    the client's requests; without this, per-request caches kept in `g` (the CSRF token,
    the logged-in user) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url,
                     DOCUMENTS_DIR=str(tmp_path_factory.mktemp("documents")))
    app.test_client_class = Client
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        _db.session.remove()
    return app


def _empty_tables():
    """Empty every table but the change counter, which moves on so no cached figure survives; ids
    start again at 1 (PostgreSQL: DELETE and the sequences set back, in a tenth of TRUNCATE's 130 ms,
    which every test paid)."""
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name != ChangeCounter.__tablename__]
    with _db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            sequences = conn.execute(text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()")).scalars().all()
            if sequences:
                conn.execute(text("SELECT " + ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)))
        bump(conn)  # facility rows are gone: their tallies go with them


@pytest.fixture
def app(_app):
    with _app.app_context():
        limiter.reset()
        yield _app
        _db.session.rollback()
        _db.session.remove()
        for thread in threading.enumerate():  # a report ordered from a page ends before its job's row goes
            if thread.name.startswith("report-job-"):
                thread.join(timeout=120)
        _empty_tables()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def town(db):
    return factories.town()


@pytest.fixture
def facility(db, town):
    return factories.facility(town)


@pytest.fixture
def bureau_admin(db):
    return factories.user("admin1", Role.bureau_admin)


@pytest.fixture
def bureau_staff(db):
    return factories.user("staff1", Role.bureau_staff)


@pytest.fixture
def manager(db, facility):
    return factories.user("manager1", Role.facility_manager, facilities=[facility])


@pytest.fixture
def family(db):
    return factories.user("family1", Role.family)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client) -> str:
    """The token a browser would find on the page it is on (login page, or home once logged in)."""
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    return CSRF_META.search(page).group(1)


def login(client, user, password=factories.PASSWORD):
    response = client.post("/login", data={"username": user.username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, url, data=None, **kwargs):
    """POST a form the way a browser does, with the CSRF token of the current session."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def field_markup(page: str, name: str) -> str:
    """The markup of the form field whose input is named `name` (from its div to the next field)."""
    fields = [f'<div class="field{chunk}' for chunk in re.split(r'<div class="field', page)[1:]
              if f'name="{name}"' in chunk]
    assert len(fields) == 1, f"no field {name}"
    return fields[0]


@pytest.fixture
def world(app, db, facility, town):
    """Every record the routes' URLs need, committed, and one user per role."""
    meal_point = factories.facility(town, name="助餐点", type=FacilityType.meal_point)
    bed = factories.bed(facility, code="FREE-1")
    offered = factories.bed(facility, code="OFFER-1")
    resident = factories.elder(name="住户")
    resident_bed = factories.bed(facility, code="R-1")
    db.session.add(Stay(elder_id=resident.id, bed_id=resident_bed.id, start_on=date(2024, 1, 1)))
    users = {
        "bureau_admin": factories.user("bureau_admin", Role.bureau_admin),
        "bureau_staff": factories.user("bureau_staff", Role.bureau_staff),
        "manager": factories.user("manager", Role.facility_manager, facilities=[facility, meal_point]),
        "family": factories.user("family", Role.family),
        "assistant": factories.user("assistant", Role.town_assistant, town=town),
    }
    application = factories.application(users["family"], offered_bed=offered, status=Status.accepted)
    ids = {"facility": facility.id, "bed": bed.id, "meal_point": meal_point.id, "town": town.id,
           "application": application.id, "resident_bed": resident_bed.id,
           "account": factories.user("another_manager", Role.facility_manager).id,
           "case": factories.identity_case(resident).id,
           "assistant_account": factories.user("another_assistant", Role.town_assistant, town=town).id,
           "document": factories.document(application).id}
    ids["caregiver"], ids["certificate"] = factories.caregiver_with_certificate(facility)
    ids["report"], ids["report_job"] = factories.report_and_job(facility)
    db.session.commit()
    return users, ids
