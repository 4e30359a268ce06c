"""The migrations build the schema the models describe (`flask db check`), and every one of them
can be undone: upgrade, check, downgrade to base, upgrade again, check again. On the database
the suite runs on (SQLite, or PostgreSQL in a schema of its own)."""

import uuid

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from eldercare import create_app


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """A URL and engine options for an empty database beside the suite's."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}", {}
        return
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield database_url, {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def migrating(fresh_database):
    """An app on the empty database, and `run(*args)` for `flask db ...` that fails the test on an error."""
    url, engine_options = fresh_database
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, f"flask db {' '.join(args)}:\n{result.output}"
        return result.output

    return app, run


def _a_user(conn, role: str) -> None:
    """User 1, as the user table stands in the revisions these tests start from (0013 and later)."""
    conn.execute(text("INSERT INTO \"user\" (id, username, password_hash, role, full_name, active, session_generation, "
                      "created_at) VALUES (1, 'u', 'x', :role, 'u', true, 0, '2026-01-01 00:00:00')"), {"role": role})


def test_upgrade_check_downgrade_to_base_and_upgrade_again(migrating):
    app, run = migrating
    with app.app_context():
        from eldercare.extensions import db

        run("upgrade")
        run("check")
        run("downgrade", "base")
        db.engine.dispose()
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        run("upgrade")
        run("check")
        db.engine.dispose()


def test_messages_written_before_0014_are_kept_as_text_and_back(migrating):
    """0014 keeps messages as a text's key and values: an older sentence stays readable as it was,
    and going back writes a kept message as its English sentence."""
    app, run = migrating
    with app.app_context():
        from eldercare.extensions import db
        from eldercare.notifications import Notification
        from eldercare.reports.models import ReportJob

        run("upgrade", "0013")
        with db.engine.begin() as conn:
            _a_user(conn, "family")
            conn.execute(text("INSERT INTO notification (id, user_id, text, created_at) VALUES "
                              "(1, 1, '旧消息：已通过', '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO report_job (id, kind, scope, period, language, scheduled, status, "
                              "progress, message, created_at) VALUES (1, 'occupancy', 'city', '2026-10', 'zh', "
                              "false, 'failed', 0, '报表未能生成', '2026-01-01 00:00:00')"))
        run("upgrade")
        db.session.remove()
        assert db.session.get(Notification, 1).text == "旧消息：已通过"
        assert db.session.get(ReportJob, 1).message_text == "报表未能生成"
        db.session.get(ReportJob, 1).message = {"msgid": "Bed %(code)s", "values": {"code": "101-1"}}
        db.session.commit()
        db.session.remove()
        run("downgrade", "0013")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT text FROM notification")).scalar() == "旧消息：已通过"
            assert conn.execute(text("SELECT message FROM report_job")).scalar() == "Bed 101-1"
        db.engine.dispose()


def test_orders_made_twice_before_0019_keep_the_later_one(migrating):
    """0019 lets one job at a time be made for a user's order: of two already there, the earlier
    ends as interrupted (as a job nobody makes any more does) and the later goes on."""
    app, run = migrating
    with app.app_context():
        from eldercare.extensions import db
        from eldercare.reports.models import JobStatus, ReportJob

        run("upgrade", "0018")
        with db.engine.begin() as conn:
            _a_user(conn, "bureau_staff")
            for job_id, status in ((1, "running"), (2, "queued"), (3, "done")):
                conn.execute(text("INSERT INTO report_job (id, kind, scope, period, language, scheduled, status, "
                                  "progress, message, requested_by_id, created_at, alive_at) VALUES (:id, "
                                  "'occupancy', 'city', '2026-10', 'zh', false, :status, 0, '\"\"', 1, "
                                  "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"), {"id": job_id, "status": status})
        run("upgrade")
        db.session.remove()
        jobs = {job.id: job for job in db.session.scalars(select(ReportJob))}
        assert [jobs[i].status for i in (1, 2, 3)] == [JobStatus.failed, JobStatus.queued, JobStatus.done]
        assert jobs[1].message_text == "报告生成中途被中断，未能完成，请重新生成。" and jobs[1].finished_at is not None
        db.session.remove()
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO report_job (kind, scope, period, language, scheduled, status, progress, "
                              "message, requested_by_id, created_at, alive_at) VALUES ('occupancy', 'city', "
                              "'2026-10', 'zh', false, 'running', 0, '\"\"', 1, '2026-01-01 00:00:00', "
                              "'2026-01-01 00:00:00')"))
        db.engine.dispose()
