"""The eldercare application factory."""

import os

from babel import localedata
from flask import Flask, has_request_context, render_template, request, session
from flask_babel import force_locale, format_date, format_datetime, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import configure_mappers
from werkzeug.exceptions import BadRequest, Conflict

from config import BASE_DIR, CONFIGS


def create_app(config=None, **overrides) -> Flask:
    """Build the app. `config` is a name from config.CONFIGS (default: ELDERCARE_CONFIG or
    production, which needs SECRET_KEY and DATABASE_URL) or a Config class; keyword overrides
    win over both."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    from eldercare.templating import PlainDataEnvironment

    app.jinja_environment = PlainDataEnvironment  # before anything builds app.jinja_env
    config = config or os.environ.get("ELDERCARE_CONFIG", "production")
    config_class = CONFIGS[config] if isinstance(config, str) else config
    app.config.from_object(config_class())
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    _cache_compiled_templates(app)

    from eldercare import catalogs, headers
    from eldercare.routing import register_converters

    catalogs.compile_if_stale(app)
    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    headers.register(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    from eldercare import ops

    ops.init_app(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys, let readers work beside a writer (WAL), and make a
    second writer wait for the lock instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def select_locale():
    """The API reads no session: the language asked for (?lang=), else the token owner's (stored on
    the account), else the client's (Accept-Language). A page is in the logged-in person's language,
    else the one the visitor picked (the session keeps the account's too, from the login on)."""
    from flask import current_app

    from eldercare.auth.sessions import LANGUAGE

    lang = None
    if has_request_context() and request.path.startswith("/api/"):
        lang = (request.args.get("lang") or _account_language()
                or request.accept_languages.best_match(current_app.config["LANGUAGES"]))
    elif has_request_context():
        lang = _account_language() or session.get(LANGUAGE)
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _account_language() -> str | None:
    """The logged-in account's language as it was loaded, never a query: after a commit the account
    is expired, and a message flashed then is translated as the response is sent, where a database
    just gone down would make a 500 of what the outage's handler answers with a 503."""
    from flask_login import current_user
    from sqlalchemy import inspect as sa_inspect

    state = sa_inspect(current_user._get_current_object(), raiseerr=False)
    return state.dict.get("locale") if state is not None else None


def register_extensions(app: Flask) -> None:
    from eldercare.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    if app.config["PRODUCTION"] and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.logger.warning("RATELIMIT_STORAGE_URI is memory://: login and registration limits are counted per "
                           "process; set it to redis://... so every worker and app server counts together.")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    from eldercare.auth.sessions import load_user

    login_manager.user_loader(load_user)

    # Import every model so Flask-Migrate sees the whole schema.
    from eldercare import audit, cache, notifications  # noqa: F401
    from eldercare.caregivers import models as _caregivers  # noqa: F401
    from eldercare.dashboard import models as _dashboard  # noqa: F401
    from eldercare.facilities import models as _facilities  # noqa: F401
    from eldercare.placements import documents as _documents  # noqa: F401
    from eldercare.placements import models as _placements  # noqa: F401
    from eldercare.reports import models as _reports  # noqa: F401
    from eldercare.residents import models as _residents  # noqa: F401

    # The mappers are set up now, once for the process (a mistake in them stops the start), not by
    # whichever first request or report queries (0.1 s of it, paid by a monthly report in a new process).
    configure_mappers()
    # So are each language's locale data (Babel's CLDR files) and translations (the compiled catalog),
    # both kept for the process: not by the first page or report that formats a number or a date or
    # translates a word (0.025 and 0.004 CPU-s for zh, paid by a monthly report in a new process).
    with app.app_context():
        for code in app.config["LANGUAGES"]:
            localedata.load(code)
            with force_locale(code):
                get_translations()


def register_blueprints(app: Flask) -> None:
    from eldercare.auth.routes import bp as auth_bp
    from eldercare.caregivers.routes import bp as caregivers_bp
    from eldercare.dashboard.routes import bp as dashboard_bp
    from eldercare.facilities.assignments import bp as assignments_bp
    from eldercare.facilities.bed_files import bp as bed_files_bp
    from eldercare.facilities.registry_routes import bp as registry_bp
    from eldercare.facilities.routes import bp as facilities_bp
    from eldercare.placements.document_routes import bp as documents_bp
    from eldercare.placements.routes import bp as placements_bp
    from eldercare.reports.routes import bp as reports_bp
    from eldercare.residents.routes import bp as residents_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(facilities_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(placements_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(residents_bp)
    app.register_blueprint(caregivers_bp)
    app.register_blueprint(bed_files_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(registry_bp)

    from eldercare.api import init_app as init_api

    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    from eldercare.api import problem_for
    from eldercare.extensions import db

    messages = {
        400: _l("The request could not be understood."),
        403: _l("You do not have access to this page."),
        404: _l("This page does not exist."),
        405: _l("This action is not allowed here."),
        409: _l("This clashed with another change made at the same moment (a second click, perhaps); nothing was "
                "saved. Go back and reload the page to see what is recorded."),
        429: _l("Too many attempts. Please wait a few minutes and try again."),
        500: _l("Something went wrong on our side. Nothing was saved; please try again."),
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        db.session.rollback()
        if request.path.startswith("/api/"):
            return problem_for(error)  # problem+json, never a page
        return render_template("errors/error.html", code=code, message=messages.get(code, messages[500])), code

    for code in messages:
        app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        message = _l("This form has expired or was not sent from this site. Please reload the page and try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(DataError)
    def refused_by_the_database(error):
        """A value the database cannot hold (a number past its column, text too long) that got past
        the forms: a bad request with nothing saved, logged so the form can be fixed."""
        app.logger.warning("value refused by the database: %s", type(error.orig).__name__)
        return render_error(BadRequest())

    @app.errorhandler(IntegrityError)
    def clashed_in_the_database(error):
        """A unique key the services' own checks could not see coming: the same thing saved by two
        requests at the same moment (two clicks, two tabs), the second refused by the database. A
        conflict with nothing saved, said in the reader's language, instead of a 500."""
        app.logger.warning("refused by the database's keys: %s", type(error.orig).__name__)
        return render_error(Conflict(description=str(messages[409])))


def _cache_compiled_templates(app: Flask) -> None:
    """Templates compiled once for every process, on disk under instance/ (Jinja's bytecode cache:
    written atomically, keyed by the template's name and checked against its source, so an edited
    template is compiled again). A new process (an app server's worker, the monthly reports'
    job) otherwise compiles each template it renders first: about 0.1 CPU-s for the occupancy
    report's. Left off, with a warning, where that folder cannot be written."""
    from jinja2 import FileSystemBytecodeCache

    folder = os.path.join(app.instance_path, "compiled-templates")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        pass
    if os.access(folder, os.W_OK):
        app.jinja_options = {**app.jinja_options, "bytecode_cache": FileSystemBytecodeCache(folder)}
    else:
        app.logger.warning("%s cannot be written: templates are compiled again in every process", folder)


def register_template_helpers(app: Flask) -> None:
    from eldercare import catalogs, labels
    from eldercare.auth import policy
    from eldercare.identity import mask_id_number
    from eldercare.routing import link_pattern
    from eldercare.timekeeping import local_minute

    app.jinja_env.globals.update(
        labels=labels, policy=policy, languages=app.config["LANGUAGES"], get_locale=get_locale,
        format_date=format_date, format_datetime=format_datetime, link_pattern=link_pattern,
        local_minute=local_minute,
    )

    app.jinja_env.filters["masked"] = mask_id_number
    # A flashed message as text, to be escaped like any other: a translated message is marked safe
    # by Flask-Babel (its lazy string has __html__) and comes back from the session as Markup, so
    # a name typed into a form ("<u>王</u>") would reach the page as markup.
    app.jinja_env.filters["as_text"] = str
    app.context_processor(catalogs.template_gettext)


def register_commands(app: Flask) -> None:
    from eldercare.cli import register

    register(app)
