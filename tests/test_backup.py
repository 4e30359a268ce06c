"""Backups: make data, back up, restore into a new empty database and folder, compare every
table row by row; a non-empty database or reports folder is refused and left as it was."""

import tarfile
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from eldercare.audit import AuditEvent
from eldercare.auth.models import Role
from eldercare.facilities import services
from eldercare.ops import backup
from tests import factories


@pytest.fixture
def empty_database(db):
    """A new database of the same kind as the suite's: a new SQLite file, or a new PostgreSQL database."""
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite":
        path = make_url(str(url)).database
        yield url.set(database=f"{path}.restore-{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)
        return
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _make_data(app, db, tmp_path):
    town = factories.town()
    facility = factories.facility(town)
    manager = factories.user("manager1", Role.facility_manager, facilities=[facility])
    room = factories.room(facility)
    beds = [factories.bed(facility, room=room) for _ in range(3)]
    elder = factories.elder()
    services.admit(manager, beds[0], elder, on=date(2026, 1, 5))
    db.session.commit()
    reports = tmp_path / "reports"
    (reports / "2026" / "01").mkdir(parents=True)
    (reports / "2026" / "01" / "city.pdf").write_bytes(b"%PDF-1.7 occupancy report\n")
    app.config["REPORTS_DIR"] = str(reports)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "a1b2.png").write_bytes(b"\x89PNG certificate")
    app.config["DOCUMENTS_DIR"] = str(documents)
    return reports


def _all_rows(url) -> dict:
    engine = create_engine(url)
    from eldercare.extensions import db

    try:
        with engine.connect() as conn:
            tables = {}
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                tables[table.name] = [tuple(row) for row in conn.execute(select(table).order_by(*order))]
            tables["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
            return tables
    finally:
        engine.dispose()


def test_backup_and_restore_into_an_empty_database_keep_every_row(app, db, tmp_path, empty_database, runner):
    reports = _make_data(app, db, tmp_path)
    source = db.engine.url.render_as_string(hide_password=False)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert events > 0
    out = tmp_path / "backups" / "b.tar.gz"
    result = runner.invoke(args=["backup", "create", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with tarfile.open(out) as archive:
        names = archive.getnames()
    assert {"manifest.json", "reports/2026/01/city.pdf", "documents/a1b2.png"} <= set(names)
    assert not list(out.parent.glob(".*partial"))

    restored_reports, restored_documents = tmp_path / "restored-reports", tmp_path / "restored-documents"
    restored_at = time.time_ns() // 1000
    manifest = backup.restore(out, empty_database, {"reports": restored_reports, "documents": restored_documents})
    assert manifest["database"] == db.engine.dialect.name
    before, after = _all_rows(source), _all_rows(empty_database)
    assert set(before) == set(after)
    for table in before.keys() - {"change_counter"}:
        assert after[table] == before[table], table
    # ... but the change counter moves past any value the original went on to use after the backup
    assert after["change_counter"][0][1] >= restored_at > before["change_counter"][0][1]
    assert sum(len(rows) for rows in after.values()) > 10
    assert (restored_reports / "2026" / "01" / "city.pdf").read_bytes() == (reports / "2026/01/city.pdf").read_bytes()
    assert (restored_documents / "a1b2.png").read_bytes() == b"\x89PNG certificate"

    # the restored database goes on: new rows get new ids (sequences restored too)
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        top = conn.scalar(text("SELECT max(id) FROM audit_event"))
        conn.execute(text("INSERT INTO audit_event (at, action, entity_type) VALUES (CURRENT_TIMESTAMP, 'x', 'y')"))
        assert conn.scalar(text("SELECT max(id) FROM audit_event")) == top + 1
    engine.dispose()


def test_restore_refuses_a_database_or_folder_that_is_not_empty(app, db, tmp_path, runner, empty_database):
    _make_data(app, db, tmp_path)
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(args=["backup", "create", "--out", str(out)]).exit_code == 0
    counts = {name: len(rows) for name, rows in _all_rows(db.engine.url.render_as_string(hide_password=False)).items()}

    result = runner.invoke(args=["backup", "restore", str(out)])  # into the app's own database: not empty
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert counts == {name: len(rows) for name, rows in
                      _all_rows(db.engine.url.render_as_string(hide_password=False)).items()}

    full = tmp_path / "full-reports"
    full.mkdir()
    (full / "kept.pdf").write_bytes(b"x")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(out, empty_database, {"reports": tmp_path / "empty", "documents": full})
    assert [p.name for p in full.iterdir()] == ["kept.pdf"]

    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(full / "kept.pdf", "kept.pdf")
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.restore(bogus, empty_database, {"reports": tmp_path / "nothing-here"})
