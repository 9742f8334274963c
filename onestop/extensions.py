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


class _Limiter(Limiter):
    """Flask-Limiter, refusing at bind time a production app whose workers would each count on
    their own (onestop/ratelimit.py, :func:`~onestop.ratelimit.refusal`)."""

    def init_app(self, app: Flask) -> None:
        from config import configured_workers

        from .ratelimit import refusal

        workers = app.config.get("WORKERS") or configured_workers(os.environ)
        problem = refusal(env_name=str(app.config.get("ENV_NAME") or ""), workers=int(workers),
                          storage_uri=str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://"))
        if problem:
            raise RuntimeError(problem)
        super().init_app(app)


limiter = _Limiter(key_func=get_remote_address, default_limits=[])
