"""Domain errors.

Every error the pure domain layer raises derives from :class:`DomainError`, so the web layer can
turn any of them into a clear message (and the API into a 4xx JSON error) without knowing the
details. ``message`` is the human-readable text (Vietnamese first, English after where useful).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of all domain errors; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CalendarYearMissing(DomainError):
    """A date falls outside the years the working calendar was built for."""

    def __init__(self, year: int, message: str | None = None) -> None:
        self.year = year
        super().__init__(
            message
            or (
                f"Lịch làm việc năm {year} chưa có dữ liệu; quản trị viên cần bổ sung lịch năm {year}. "
                f"(The working calendar has no data for year {year}.)"
            )
        )


class InvalidDeadlineRule(DomainError):
    """A procedure's time limit cannot be interpreted (bad unit, negative, non-numeric)."""


class InvalidCode(DomainError):
    """A dossier code or agency identifier is malformed."""
