"""Configuration classes, read from the environment.

`create_app()` picks the class named by ELDERCARE_CONFIG (development, test, production);
development is the default.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'eldercare.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REPORTS_DIR = os.environ.get("REPORTS_DIR", str(BASE_DIR / "reports"))
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = {"zh": "简体中文", "en": "English"}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Failed logins per user name and address before the form is locked for a while.
    # memory:// is per process; in production point it at a shared store (redis://...).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per 15 minutes")

    # How long a bed offered to an applicant is held for them.
    OFFER_HOURS = int(os.environ.get("OFFER_HOURS", "72"))

    # A facility whose beds have not changed for this many days is flagged as stale.
    STALE_AFTER_DAYS = int(os.environ.get("STALE_AFTER_DAYS", "14"))

    # In-service training hours a caregiver should have each year (a cited local rule: 20).
    CAREGIVER_MIN_TRAINING_HOURS = int(os.environ.get("CAREGIVER_MIN_TRAINING_HOURS", "20"))

    # Refuse the demo seed outside development and test.
    ALLOW_DEMO_SEED = True


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    ALLOW_DEMO_SEED = False

    def __init__(self):
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production configuration needs {', '.join(missing)} in the environment")
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}
