"""What running the app in production needs beside the domains: health checks, the request
log and request ids, a 503 while the database is unreachable, the proxy's headers, backups."""

from flask import request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.middleware.proxy_fix import ProxyFix

RETRY_AFTER_SECONDS = 5


def is_disconnect(error: Exception) -> bool:
    """The database is unreachable or went away (restart, failover, full pool): not a bug."""
    if isinstance(error, PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def init_app(app) -> None:
    from eldercare.extensions import db
    from eldercare.ops import backup, health, requestlog

    requestlog.register(app)
    app.register_blueprint(health.bp)
    app.cli.add_command(backup.backup_group)
    if app.config.get("PROXY_COUNT"):
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.teardown_appcontext
    def release_session(_error):
        """End the request's session first (Flask-SQLAlchemy's own teardown then finds nothing to do):
        a rollback on a connection the server has just closed (a restart) raises, and would turn
        an answered request into gunicorn's bare 500. Such a connection is dropped instead."""
        try:
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
        # Rendered without the context processors: they read the user and the bell from the database.
        return app.jinja_env.get_template("ops/unavailable.html").render(), 503, headers
