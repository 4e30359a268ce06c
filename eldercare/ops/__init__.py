"""What running the app in production needs beside the domains: health checks, the request
log and request ids, a 503 while the database is unreachable, the proxy's headers, backups."""

from flask import request
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

RETRY_AFTER_SECONDS = 5
# libpq's settings for every PostgreSQL connection (app, scheduler, CLI), unless DATABASE_URL sets
# them: give up a connection attempt that gets no answer after 5 s (a server that hangs, or a host
# gone in a failover: the default waits for the kernel, over 2 minutes, holding the request), and
# find a connection whose server vanished without closing it within about a minute (TCP keepalive
# probes, unacknowledged writes) instead of waiting on it for a quarter of an hour.
POSTGRES_CONNECTION = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                       "keepalives_count": 3, "tcp_user_timeout": 30_000}


def _postgres_timeouts(dialect, _record, _cargs, cparams) -> None:
    if dialect.name == "postgresql":
        for name, value in POSTGRES_CONNECTION.items():
            cparams.setdefault(name, value)


# A request's transaction that only read is ended with COMMIT, not ROLLBACK: the same for the
# data, but psycopg forgets every prepared statement at a ROLLBACK, so PostgreSQL would parse and
# plan each page's statements afresh on every request (0.37 against 0.11 ms of its CPU for the
# account's statement). Anything but a SELECT on the connection counts as a write, and a write or
# an unflushed change still ends in a rollback.
_CONNECTION, _WROTE = "eldercare.connection", "eldercare.wrote"


def _began(session, _transaction, connection) -> None:
    session.info[_CONNECTION] = connection
    connection.info[_WROTE] = False


def _note_write(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info[_WROTE] = True


def _only_read(session) -> bool:
    connection = session.info.get(_CONNECTION)
    transaction = session.get_transaction()
    return (connection is not None and transaction is not None and transaction.is_active
            and transaction.nested is False and not connection.info.get(_WROTE, True)
            and not (session.new or session.dirty or session.deleted))


def is_disconnect(error: Exception) -> bool:
    """The database is unreachable or went away (restart, failover, full pool): not a bug."""
    if isinstance(error, PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def init_app(app) -> None:
    from eldercare.extensions import db
    from eldercare.ops import backup, health, requestlog

    if not event.contains(Engine, "do_connect", _postgres_timeouts):
        event.listen(Engine, "do_connect", _postgres_timeouts)
        event.listen(Engine, "before_cursor_execute", _note_write)
        event.listen(db.session, "after_begin", _began)
    requestlog.register(app)
    app.register_blueprint(health.bp)
    app.cli.add_command(backup.backup_group)
    if app.config.get("PROXY_COUNT"):
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.teardown_appcontext
    def release_session(error):
        """End the request's session first (Flask-SQLAlchemy's own teardown then finds nothing to do):
        a rollback on a connection the server has just closed (a restart) raises, and would turn
        an answered request into gunicorn's bare 500. Such a connection is dropped instead. A
        transaction that only read is committed (see _only_read)."""
        try:
            if db.session.registry.has():
                session = db.session()
                if error is None and _only_read(session):
                    session.commit()
                session.info.pop(_CONNECTION, None)
            db.session.remove()
        except DBAPIError as error:
            if not is_disconnect(error):
                raise
            app.logger.warning("database connection lost at the end of a request; dropped")
            db.session.registry().invalidate()
            db.session.registry.clear()

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error):
        if not is_disconnect(error):
            raise error  # a real bug: the ordinary 500
        app.logger.warning("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; the pool replaces it
            db.session.registry().invalidate()
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            from eldercare.api.problems import problem

            return problem(503, ServiceUnavailable.description, headers=headers)
        # Rendered without the context processors (they read the user and the bell from the database),
        # in the browser's language: the app's choice may read the account's, from the database.
        with force_locale(request.accept_languages.best_match(app.config["LANGUAGES"])
                          or app.config["BABEL_DEFAULT_LOCALE"]):
            return app.jinja_env.get_template("ops/unavailable.html").render(), 503, headers
