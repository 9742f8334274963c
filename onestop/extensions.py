"""Flask extensions, unbound; ``create_app`` binds them."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from config import configured_workers

from .database.base import Base


class _SQLAlchemy(SQLAlchemy):
    if TYPE_CHECKING:
        # The scoped session proxies a Session; services are typed against Session.
        from sqlalchemy.orm import Session

        session: Session  # type: ignore[assignment]


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


# limits' schemes whose counters live in the worker's own memory.
IN_PROCESS_SCHEMES = frozenset({"memory", "async+memory"})


def rate_limit_refusal(*, env_name: str, storage_uri: str, workers: int) -> str | None:
    """Why this configuration must not start, or ``None``: in production, more than one worker
    over an in-process rate-limit store. In-process counters are per process, so with N workers
    an attacker gets N times every limit — the look-up's per-address budget and the per-code
    phone-last-4 lock alike (web/public/guard.py keeps both in this store). Checked when the
    limiter is bound to the app and again by gunicorn.conf.py against gunicorn's real worker
    count; docs/operations.md §3, docs/security.md "Citizens' look-up and limits"."""
    scheme = (storage_uri or "memory://").split("://", 1)[0].strip().lower()
    if env_name != "production" or scheme not in IN_PROCESS_SCHEMES or workers == 1:
        return None
    return (f"Refusing to start: {workers} workers with the in-process rate-limit store {storage_uri!r} "
            "would each count on their own, giving a guesser that many times the look-up limit and the "
            "phone-last-4 lock. Set ONESTOP_RATELIMIT_STORAGE_URI=redis://<host>:6379/0 (one store shared "
            "by every worker and host), or run exactly one worker (ONESTOP_WORKERS=1). "
            "See docs/operations.md, section 3.")


class _Limiter(Limiter):
    """Flask-Limiter, refusing at bind time a production app whose workers would each count on
    their own (:func:`rate_limit_refusal`)."""

    def init_app(self, app: Flask) -> None:
        workers = app.config.get("WORKERS") or configured_workers(os.environ)
        problem = rate_limit_refusal(env_name=str(app.config.get("ENV_NAME") or ""), workers=int(workers),
                                     storage_uri=str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://"))
        if problem:
            raise RuntimeError(problem)
        super().init_app(app)


limiter = _Limiter(key_func=get_remote_address, default_limits=[])
