"""Configuration classes, read from the environment.

`create_app()` picks the class named by ELDERCARE_CONFIG (development, test, production).
Production is the default: it refuses to start without a real SECRET_KEY and a DATABASE_URL.
Development must be named (`make run` does) and keeps a random key of its own in instance/.
"""

import os
import secrets
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# Keys that were ever written in this repository or its documentation, and placeholders.
PUBLIC_KEYS = frozenset({"dev-only-not-secret", "change-me", "changeme", "secret", "dev", "development",
                         "test", "...", "your-secret-key"})
MIN_SECRET_KEY_LENGTH = 32


def checked_secret_key(key: str | None) -> str:
    """The SECRET_KEY signs every session cookie: refuse one that is missing, public or short."""
    if not key:
        raise RuntimeError("SECRET_KEY is not set. Set it to a long random value, e.g. "
                           "python3 -c 'import secrets; print(secrets.token_hex(32))', "
                           "or set ELDERCARE_CONFIG=development on a development machine.")
    if key.strip().lower() in PUBLIC_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"SECRET_KEY is a known placeholder or shorter than {MIN_SECRET_KEY_LENGTH} "
                           "characters; set a long random value.")
    return key


def development_secret_key() -> str:
    """SECRET_KEY from the environment, else a random key made once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return checked_secret_key(os.environ["SECRET_KEY"])
    path = BASE_DIR / "instance" / "development-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it at the same moment
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    SECRET_KEY = None  # set by each configuration below; never a value written here
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'eldercare.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Behind nginx (or another proxy): how many proxies set X-Forwarded-For/-Proto/-Host; 0 trusts none.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    REPORTS_DIR = os.environ.get("REPORTS_DIR", str(BASE_DIR / "reports"))
    # Longer than making a report can take (seconds; the city's at --scale 10 takes about 5): a web
    # report job silent that long was interrupted with its app server, and a temporary file under
    # REPORTS_DIR that old was left by a process killed between writing and renaming it.
    REPORT_STALLED_AFTER = int(os.environ.get("REPORT_STALLED_AFTER", "300"))
    # Applications' supporting documents (certificates): outside the web root, served only
    # through the application's access check (placements/documents.py).
    DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR", str(BASE_DIR / "instance" / "documents"))
    DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(5 * 1024 * 1024)))
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = {"zh": "简体中文", "en": "English"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The cookie is sent again only when the session changes (its last activity is written once a
    # minute, eldercare/auth/sessions.py), not on every response: signing it costs every page.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_SECURE = False
    # A session ends after this many idle minutes, and in any case this many hours after the login.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = SESSION_MAX_HOURS * 3600
    WTF_CSRF_TIME_LIMIT = SESSION_MAX_HOURS * 3600

    # Throttles. memory:// is per process: in production point it at a shared store
    # (redis://...) so every worker and app server counts together.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "eldercare")
    # Redis down: fail open to per-process counting (each worker still throttles on its own),
    # with a warning in the log, rather than refusing every login (README: Running in production).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Rendered pages kept for every worker and app server (eldercare/cache.py): a Redis URL, by default
    # the throttles' store when that is Redis; empty: each worker keeps its own only.
    FRAGMENT_STORE_URI = os.environ.get("FRAGMENT_STORE_URI",
                                        RATELIMIT_STORAGE_URI if RATELIMIT_STORAGE_URI.startswith("redis") else "")
    LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per 15 minutes")  # failed logins per user name
    LOGIN_ADDRESS_LIMIT = os.environ.get("LOGIN_ADDRESS_LIMIT", "20 per 15 minutes")  # failed logins per address
    REGISTER_LIMIT = os.environ.get("REGISTER_LIMIT", "5 per hour")  # accounts opened per address
    PASSWORD_CHANGE_LIMIT = os.environ.get("PASSWORD_CHANGE_LIMIT", "5 per 15 minutes")  # per user

    # How long a bed offered to an applicant is held for them.
    OFFER_HOURS = int(os.environ.get("OFFER_HOURS", "72"))

    # A 公建民营 home serving tekun elders keeps at least this share of its beds for them.
    PUBLIC_PRIVATE_TEKUN_SHARE = float(os.environ.get("PUBLIC_PRIVATE_TEKUN_SHARE", "0.2"))

    # Applicants and residents are at least this old; no admission is dated before RECORDS_START.
    MIN_AGE = int(os.environ.get("MIN_AGE", "60"))
    RECORDS_START = date.fromisoformat(os.environ.get("RECORDS_START", "2000-01-01"))

    # A facility whose beds have not changed for this many days is flagged as stale.
    STALE_AFTER_DAYS = int(os.environ.get("STALE_AFTER_DAYS", "14"))

    # In-service training hours a caregiver should have each year (a cited local rule: 20).
    CAREGIVER_MIN_TRAINING_HOURS = int(os.environ.get("CAREGIVER_MIN_TRAINING_HOURS", "20"))

    # The JSON API (/api/v1): the longest a bearer token lasts (also the default), and the
    # largest request body it reads (larger ones get 413).
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "30"))
    API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(10 * 1024 * 1024)))

    # Refuse the demo seed outside development and test.
    ALLOW_DEMO_SEED = True
    PRODUCTION = False


class DevelopmentConfig(Config):
    DEBUG = False

    def __init__(self):
        self.SECRET_KEY = development_secret_key()


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-suite-key-that-signs-nothing-outside-the-tests"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    FRAGMENT_STORE_URI = ""


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    ALLOW_DEMO_SEED = False
    PRODUCTION = True

    def __init__(self):
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production configuration needs {', '.join(missing)} in the environment")
        self.SECRET_KEY = checked_secret_key(os.environ["SECRET_KEY"])
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
