"""Locale and time zone selection; date/time filters (dd/mm/yyyy, Asia/Ho_Chi_Minh)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, session


def select_locale() -> str:
    """Vietnamese first; English when the user picked it (?lang=en, kept in the session)."""
    langs = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in langs:
        session["lang"] = wanted
        return str(wanted)
    stored = session.get("lang")
    if stored in langs:
        return str(stored)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return str(current_app.config["TIMEZONE"])


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(local_tz()).date()
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(local_tz()).strftime("%H:%M %d/%m/%Y")


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(local_tz()).strftime("%H:%M")
