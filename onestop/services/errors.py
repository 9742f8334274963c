"""Service-level errors; views turn them into messages, the API into 4xx JSON.

A service says what went wrong in Vietnamese, the source language (docs/architecture.md §4), as a
:class:`Sentence`: the catalogue's msgid and its named values. It is a ``str`` (the Vietnamese
sentence), so logs, the JSON API and the tests read it as before, and the web layer says it in the
reader's language through the catalogue (onestop/web/sentences.py, ``error_text``) without the
service reading the request's language.
"""
from __future__ import annotations

from typing import Any

from ..domain.errors import DomainError


class Sentence(str):
    """A Vietnamese sentence that remembers its msgid and values, to be said again in another
    language by whoever knows the reader's."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Sentence:
        said = super().__new__(cls, msgid % values if values else msgid)
        said.msgid = msgid
        said.values = values
        return said


def N_(msgid: str, /, **values: Any) -> Sentence:
    """A sentence to say, marked for ``pybabel extract`` (``N_`` is one of its default keywords)."""
    return Sentence(msgid, **values)


class ServiceError(DomainError):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ValidationFailed(ServiceError):
    status_code = 422
    code = "validation_failed"

    def __init__(self, errors: dict[str, str]) -> None:
        """``errors``: a field's name → what is wrong with it (a :class:`Sentence` where the web
        layer should say it in the reader's language)."""
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class Conflict(ServiceError):
    """Someone else changed the dossier meanwhile (optimistic locking)."""

    status_code = 409
    code = "conflict"
