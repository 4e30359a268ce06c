"""The migrations build the schema the models describe (`flask db check`), and every one of them
can be undone: upgrade, check, downgrade to base, upgrade again, check again. On the database
the suite runs on (SQLite, or PostgreSQL in a schema of its own)."""

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

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


def test_upgrade_check_downgrade_to_base_and_upgrade_again(fresh_database):
    url, engine_options = fresh_database
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, f"flask db {' '.join(args)}:\n{result.output}"
        return result.output

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
