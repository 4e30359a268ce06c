"""One JSON line per request on the `eldercare.request` logger, and a request id.

Each request gets an id (the caller's X-Request-ID when it is a plain token, e.g. one set by
nginx, else a new one), echoed in the X-Request-ID response header and stored on the audit
events the request writes. The line holds the method, the route's template (never the path
itself, which may hold an ID number, nor the query string), the status, the time taken, the
user id and the request id: nothing a person typed, no cookie, no token.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import g, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import NoInspectionAvailable

LOGGER = logging.getLogger("eldercare.request")
HEADER = "X-Request-ID"
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class JsonFormatter(logging.Formatter):
    """A record whose message is a dict becomes that dict as one JSON line, with time and level;
    any other record becomes {"time", "level", "logger", "message"} (and the exception's text)."""

    def format(self, record: logging.LogRecord) -> str:
        # The process id tells a gunicorn worker's lines from another's (how each recovered from an outage).
        line = {"time": f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}",
                "level": record.levelname.lower(),
                "logger": record.name, "pid": record.process}
        if isinstance(record.msg, dict):
            line.update(record.msg)
        else:
            line["message"] = record.getMessage()
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def current_id() -> str | None:
    """The id of the request being served, or None outside a request (a CLI command, a job)."""
    return g.get("request_id")


def _start() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response):
    response.headers[HEADER] = g.get("request_id", "")
    rule = request.url_rule
    LOGGER.info({
        "request_id": g.get("request_id"),
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
        "user_id": _user_id(g.get("_login_user")),
    })
    return response


def _user_id(user) -> int | None:
    """The id of the user this request loaded (Flask-Login keeps it in g), from the ORM's identity
    key: never a query here, even when the object was expired by a rollback (database down)."""
    try:
        identity = sa_inspect(user).identity if user is not None else None
    except NoInspectionAvailable:  # the anonymous user
        return None
    return identity[0] if identity else None


def register(app) -> None:
    """Request ids and the per-request line; the app's loggers (and Flask-Limiter's warnings)
    write JSON lines on stderr, once per process."""
    if not LOGGER.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        for name in ("eldercare", "flask-limiter"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False
        app.logger.handlers[:] = [handler]
    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # first, so every later hook has the id
    app.after_request(_finish)
