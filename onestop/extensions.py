"""Flask extensions, unbound; ``create_app`` binds them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .dbbase import Base


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
limiter = Limiter(key_func=get_remote_address, default_limits=[])
