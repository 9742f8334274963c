"""SQLAlchemy 2.0 typed models: data and invariants, no flows, no commits."""
from __future__ import annotations

from .agency import AGENCY_KINDS, AGENCY_LEVELS, Agency, AgencyName
from .calendar import CalendarExceptionRow, CalendarState, TetConfirmation
from .citizen import Feedback, Rating
from .dossier import CodeSequence, Dossier, DossierEvent, HandoffLeg, PauseInterval
from .dvcqg import DvcqgAttempt, DvcqgIntake, DvcqgOutbox  # noqa: F401  (the national portal, models/dvcqg.py)
from .estimate import ProcedureEstimate  # noqa: F401  (the nightly estimate, models/estimate.py)
from .files import DossierFile  # noqa: F401  (dossier files, models/files.py)
from .metrics import JobRun, MetricSnapshot, ReportSnapshot, ScoringRuleRow
from .notification import Notification, OutboxMessage
from .procedure import Procedure, ProcedureStep
from .rollup import ReportRollupDay, ReportRollupOpen, ReportRollupState  # noqa: F401  (the Form 06 roll-up, models/rollup.py)
from .user import ApiToken, AuditLog, User

__all__ = [
    "AGENCY_KINDS", "AGENCY_LEVELS", "Agency", "AgencyName", "ApiToken", "AuditLog",
    "CalendarExceptionRow", "CalendarState", "CodeSequence", "Dossier", "DossierEvent", "Feedback",
    "HandoffLeg",
    "JobRun", "MetricSnapshot", "Notification", "OutboxMessage", "PauseInterval", "Procedure",
    "ProcedureStep", "Rating", "ReportSnapshot", "ScoringRuleRow", "TetConfirmation", "User",
]
