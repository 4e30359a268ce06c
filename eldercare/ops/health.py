"""Health checks for a load balancer or an orchestrator, without login and cheap.

GET /healthz: the process answers (no database, nothing else).
GET /readyz: the database answers, its schema is at the migrations' head, and the shared
Redis answers when RATELIMIT_STORAGE_URI names one. 200 when all hold, else 503; the answer
names each check and its state only, never a version, a revision, an address or a path.
"""

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from eldercare.extensions import db

bp = Blueprint("ops", __name__)


@cache
def migrations_head(directory: str) -> str:
    """The head revision of the migrations shipped with this code (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head()


@cache
def _redis_client(uri: str):
    import redis

    return redis.Redis.from_url(uri, socket_connect_timeout=1, socket_timeout=1)


def _answer(checks: dict, ok: bool):
    response = jsonify(status="ok" if ok else "unavailable", checks=checks)
    response.status_code = 200 if ok else 503
    if not ok:
        response.headers["Retry-After"] = "5"
    return response


@bp.get("/healthz")
def healthz():
    return _answer({}, True)


@bp.get("/readyz")
def readyz():
    checks = {}
    try:
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        checks["database"] = "ok"
        head = migrations_head(str(Path(current_app.extensions["migrate"].directory)))
        checks["migrations"] = "ok" if current == head else "pending"
    except Exception:  # noqa: BLE001 - any failure to read means not ready; the log says which
        current_app.logger.warning("readyz: the database did not answer", exc_info=True)
        checks["database"] = "down"
        checks["migrations"] = "unknown"
    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith(("redis://", "rediss://")):
        try:
            _redis_client(uri).ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            current_app.logger.warning("readyz: Redis did not answer", exc_info=True)
            checks["redis"] = "down"
    return _answer(checks, all(state == "ok" for state in checks.values()))
