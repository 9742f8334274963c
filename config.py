"""Configuration classes: defaults only.

Secrets and URLs come from ``ONESTOP_*`` environment variables, read by
``onestop.create_app`` at factory time (never at import time), so that tests and
several web nodes can build apps with different settings in one process.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{BASE_DIR / 'instance' / 'onestop.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    TIMEZONE = "Asia/Ho_Chi_Minh"
    # Office hours by default (docs/domain.md §5); each agency may override.
    OFFICE_HOURS = "07:30-11:30,13:30-17:00"
    # Years for which the working calendar is precomputed; a date outside is an error. The last
    # year is computed from today: 31/12 of (this year + CALENDAR_YEARS_AHEAD), at least 5
    # (onestop/domain/calendar.py calendar_years; docs/operations.md).
    CALENDAR_FIRST_YEAR = 2015
    CALENDAR_YEARS_AHEAD = 6
    # A calendar edit committed in one process is in force in every other at most this many
    # seconds later: each process reads the calendar generation at most once per interval
    # (onestop/services/admin/calendars.py; docs/operations.md §10).
    CALENDAR_CHECK_SECONDS = 2.0
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    WTF_CSRF_TIME_LIMIT = None  # a clerk's form may stay open for a whole shift
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True in ProductionConfig (behind HTTPS)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # One process: limits' in-process counters. Several workers or hosts: a shared store,
    # ONESTOP_RATELIMIT_STORAGE_URI=redis://host:6379/0 — production refuses to start several
    # workers without one (onestop/extensions.py, docs/operations.md §3).
    RATELIMIT_STORAGE_URI = "memory://"
    # gunicorn workers per host (ONESTOP_WORKERS); None: configured_workers() below, the count
    # gunicorn.conf.py gives gunicorn.
    WORKERS: int | None = None
    ENV_NAME = "development"
    # X-RateLimit-* tell a guesser nothing it needs; 429 carries Retry-After
    RATELIMIT_HEADERS_ENABLED = False
    LOOKUP_RATE_LIMIT = "30 per minute;300 per hour"
    # Wrong phone-last-4 attempts accepted per dossier code (then only the secret works that day).
    LOOKUP_PHONE4_FAILURES = "10 per day"
    # PAKN a citizen may file per dossier per local day (why 3: onestop/services/public/feedback.py).
    FEEDBACK_PER_DOSSIER_PER_DAY = 3
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_LOCKOUT_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_FROM = "onestop@localhost"
    SMTP_STARTTLS = False
    # Citizens' SMS and Zalo messages (docs/integration.md, "Messaging"): off unless the provider's
    # URL is set; messages on an unconfigured channel stay queued.
    SMS_GATEWAY_URL = ""
    SMS_GATEWAY_TOKEN = ""
    SMS_BRANDNAME = "MOTCUA"
    ZALO_ZNS_URL = ""  # e.g. https://business.openapi.zalo.me
    ZALO_ZNS_ACCESS_TOKEN = ""
    # Connection pool per web process (PostgreSQL); None = SQLAlchemy's default.
    DB_POOL_SIZE: int | None = None
    DB_MAX_OVERFLOW: int | None = None
    DB_POOL_RECYCLE: int | None = None
    # Number of trusted reverse proxies in front of the app (0 = none).
    PROXY_FIX_HOPS = 0
    SCHEDULER_LOCK_FILE = str(BASE_DIR / "instance" / "scheduler.lock")
    SCHEDULER_STANDBY_RETRY_SECONDS = 5  # a standby retries the lock this often
    SCHEDULER_CATCH_UP = True  # after downtime, missed runs coalesce into one catch-up run
    OUTBOX_MAX_ATTEMPTS = 8  # then the message is marked failed
    OUTBOX_BACKOFF_SECONDS = 60  # first retry delay, doubling, capped at 6 h
    # The national portal (DVCQG, docs/integration.md): sync is off unless URL and unit code are set.
    DVCQG_URL = ""  # e.g. http://127.0.0.1:8089/dvcqg (the local fake: flask onestop fake-portal)
    DVCQG_USERNAME = ""
    DVCQG_PASSWORD = ""
    DVCQG_UNIT_CODE = ""  # the province's identifier, e.g. 000.00.00.H25
    DVCQG_TIMEOUT_SECONDS = 20
    DVCQG_MAX_ATTEMPTS = 8  # refusals by the portal, then dead-lettered (a portal that is down never is)
    DVCQG_BACKOFF_SECONDS = 60  # first retry delay, doubling (30 min cap while the portal is down)
    DVCQG_BACKOFF_CAP_SECONDS = 1800
    DVCQG_LEASE_SECONDS = 300  # a claimed batch not finished by then (sender killed) is sent again
    DVCQG_BATCH_DOSSIERS = 200
    # Dossier files (docs/operations.md, "Dossier files"): a directory by default; several web hosts
    # need STORAGE_URL=s3://bucket/prefix (with the STORAGE_S3_* endpoint settings). Files are PDF,
    # JPEG or PNG of at most FILE_MAX_BYTES; the upload route alone accepts a body that large.
    STORAGE_URL = ""
    STORAGE_DIR = str(BASE_DIR / "instance" / "files")
    STORAGE_S3_ENDPOINT = ""
    STORAGE_S3_REGION = ""
    STORAGE_S3_ACCESS_KEY = ""
    STORAGE_S3_SECRET_KEY = ""
    FILE_MAX_BYTES = 10 * 1024 * 1024
    FILE_ORPHAN_GRACE_HOURS = 24  # a stored object with no row after this long is deleted (jobs: files)
    # Upload/request bodies: a dossier form is a few kB; 2 MB leaves room for
    # catalogue imports while refusing absurd bodies early (413).
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    DEMO = False
    # Form 06 reads closed days from the roll-up (jobs: rollup; docs/operations.md, "The report roll-up").
    REPORTS_ROLLUP = True
    # Heavy reads (reports, exports, the index) from a PostgreSQL read replica; "" = the main database
    # (docs/operations.md, "The reports replica").
    REPORTS_DATABASE_URL = ""


class DevelopmentConfig(Config):
    DEBUG = False
    DEMO = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"
    # Every unit of work reads the generation (tests that prove the interval set it themselves).
    CALENDAR_CHECK_SECONDS = 0.0
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    ENV_NAME = "production"
    # No default: the receipt's QR must point at the province's real public address
    # (ONESTOP_PUBLIC_BASE_URL); create_app refuses to start without it.
    PUBLIC_BASE_URL = ""
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # One worker only; several need ONESTOP_RATELIMIT_STORAGE_URI=redis://… (onestop/extensions.py).
    RATELIMIT_STORAGE_URI = "memory://"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def configured_workers(environ: Mapping[str, str]) -> int:
    """gunicorn workers per host: ONESTOP_WORKERS, else WEB_CONCURRENCY (gunicorn's own
    variable), else 1 (gunicorn's own default). gunicorn.conf.py starts this many, and the app
    checks the same number against its rate-limit store (onestop/extensions.py)."""
    for name in ("ONESTOP_WORKERS", "WEB_CONCURRENCY"):
        value = (environ.get(name) or "").strip()
        if value:
            return int(value)
    return 1


def env_overrides(environ: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    """Map ONESTOP_* variables onto config keys (ONESTOP_DATABASE_URL is the URL)."""
    out: dict[str, object] = {}
    for key, value in environ.items():
        if not key.startswith("ONESTOP_") or key in ("ONESTOP_ENV", "ONESTOP_TEST_DATABASE_URL"):
            continue
        name = key[len("ONESTOP_"):]
        if name == "DATABASE_URL":
            out["SQLALCHEMY_DATABASE_URI"] = value
            continue
        if value.lower() in ("true", "false"):
            out[name] = value.lower() == "true"
        elif value.isdigit():
            out[name] = int(value)
        else:
            out[name] = value
    return out
