"""The transition table (docs/domain.md §2–§3) and who may take which action.

``TRANSITIONS[(status, action)] -> status``. Creating a dossier is a transition
from ``None``. Actions that record a fact without moving the status (assign,
hand-offs, apology, replan) map a status onto itself.
"""
from __future__ import annotations

from .errors import DomainError
from .status import DossierAction as A
from .status import DossierStatus as S
from .status import Role

_T: dict[tuple[S | None, A], S] = {}


def _add(sources: tuple[S | None, ...], action: A, target: S | None) -> None:
    for s in sources:
        to = target if target is not None else s
        if to is None:
            raise ValueError(f"{action}: creating a dossier needs a target status")
        _add_one(s, action, to)


def _add_one(source: S | None, action: A, target: S) -> None:
    _T[(source, action)] = target


# Reception (Decree 61/2018 art. 18, Decree 118/2025): receive, ask for the
# missing items all at once, or refuse. An online registration starts as NEW_ONLINE.
_add((None,), A.SUBMIT_ONLINE, S.NEW_ONLINE)
_add((None, S.NEW_ONLINE, S.INCOMPLETE), A.RECEIVE, S.RECEIVED)
_add((None, S.NEW_ONLINE), A.REQUEST_SUPPLEMENT, S.INCOMPLETE)
_add((None, S.NEW_ONLINE, S.INCOMPLETE), A.REFUSE, S.REFUSED)
# Transfer to the competent department with the process control slip.
_add((S.RECEIVED,), A.TRANSFER, S.PROCESSING)
# Processing: assignment and liên thông hand-offs leave the status as it is.
for _a in (A.ASSIGN, A.HAND_OFF, A.ACKNOWLEDGE, A.HAND_BACK):
    _add((S.PROCESSING,), _a, None)
# One supplement request during processing pauses the clock (a second is allowed
# but counts as late, Decision 766 indicator 2.1).
_add((S.RECEIVED, S.PROCESSING), A.REQUEST_SUPPLEMENT, S.AWAITING_SUPPLEMENT)
_add((S.AWAITING_SUPPLEMENT,), A.PROVIDE_SUPPLEMENT, S.PROCESSING)
_add((S.PROCESSING,), A.REQUEST_PAYMENT, S.AWAITING_PAYMENT)
_add((S.AWAITING_PAYMENT,), A.CONFIRM_PAYMENT, S.PROCESSING)
# Apology and new date: no later than one working day before the deadline,
# while the dossier is still with the agencies.
_add((S.RECEIVED, S.PROCESSING, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT), A.APOLOGISE, None)
_add((S.RECEIVED, S.PROCESSING, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT), A.REPLAN, None)
_add((S.PROCESSING, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT), A.STOP, S.STOPPED)
_add((S.PROCESSING,), A.COMPLETE, S.RESULT_READY)
_add((S.RESULT_READY,), A.RETURN_RESULT, S.RETURNED)
_add(
    (S.NEW_ONLINE, S.INCOMPLETE, S.RECEIVED, S.PROCESSING, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT),
    A.WITHDRAW,
    S.WITHDRAWN,
)

TRANSITIONS: dict[tuple[S | None, A], S] = dict(_T)

# Who may take an action. Scope (own agency subtree, current holder) is checked
# by services.policy; this is only the role part.
ROLE_ACTIONS: dict[Role, frozenset[A]] = {
    Role.CLERK: frozenset(
        {A.SUBMIT_ONLINE, A.RECEIVE, A.REQUEST_SUPPLEMENT, A.REFUSE, A.TRANSFER,
         A.PROVIDE_SUPPLEMENT, A.CONFIRM_PAYMENT, A.RETURN_RESULT, A.WITHDRAW}
    ),
    Role.OFFICER: frozenset(
        {A.REQUEST_SUPPLEMENT, A.PROVIDE_SUPPLEMENT, A.REQUEST_PAYMENT, A.CONFIRM_PAYMENT,
         A.HAND_OFF, A.ACKNOWLEDGE, A.HAND_BACK, A.APOLOGISE, A.STOP, A.COMPLETE}
    ),
    Role.HEAD: frozenset(
        {A.ASSIGN, A.REQUEST_SUPPLEMENT, A.PROVIDE_SUPPLEMENT, A.REQUEST_PAYMENT,
         A.CONFIRM_PAYMENT, A.HAND_OFF, A.ACKNOWLEDGE, A.HAND_BACK, A.APOLOGISE, A.STOP,
         A.COMPLETE}
    ),
    # Admins run the system; they do not act on citizens' dossiers. REPLAN is
    # taken by the system when the calendar changes.
    Role.ADMIN: frozenset(),
}


class IllegalTransition(DomainError):
    def __init__(self, status: S | None, action: A) -> None:
        where = status.value if status else "(mới)"
        super().__init__(f"Không thể '{action.value}' khi hồ sơ ở trạng thái '{where}'.")
        self.status = status
        self.action = action


def next_status(status: S | None, action: A) -> S:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None


def allowed_actions(status: S | None, role: Role | None = None) -> list[A]:
    """Actions the table allows from ``status`` (and, if given, that ``role`` may take)."""
    acts = [a for (s, a) in TRANSITIONS if s == status]
    if role is not None:
        acts = [a for a in acts if a in ROLE_ACTIONS[role]]
    return sorted(set(acts), key=list(A).index)
