"""Service-level errors; views turn them into messages, the API into 4xx JSON."""
from __future__ import annotations

from ..domain.errors import DomainError


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
