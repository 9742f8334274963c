"""Permissions in one place: (user, action, dossier) -> allowed? Used by the web,
the API and the services alike (docs/architecture.md §2)."""
from __future__ import annotations

from ..domain.errors import DomainError
from ..domain.status import DossierAction as A
from ..domain.status import DossierStatus, Role
from ..domain.workflow import ROLE_ACTIONS, TRANSITIONS, allowed_actions
from ..models import Agency, Dossier, HandoffLeg, User
from .admin.agencies import in_subtree
from .errors import Forbidden

# Desk actions are scoped to the receiving desk; the rest to the staff of the agency
# that holds the dossier now (``holds``).
DESK_ACTIONS = frozenset(
    {A.SUBMIT_ONLINE, A.RECEIVE, A.REFUSE, A.TRANSFER, A.RETURN_RESULT, A.WITHDRAW}
)


def can_view(user: User, dossier: Dossier) -> bool:
    if not user.active:
        return False
    if user.role == Role.ADMIN:
        return True
    mine = user.agency
    if in_subtree(mine, dossier.receiving_agency) or in_subtree(mine, dossier.current_agency):
        return True
    return any(in_subtree(mine, leg.to_agency) or in_subtree(mine, leg.from_agency) for leg in dossier.legs)


def holds(user: User, dossier: Dossier) -> bool:
    """Is ``user`` staff of the agency that holds ``dossier`` now? The hand-over (a
    row of the process control slip, form 06 of Circular 01/2018) is addressed to ONE
    agency and its acknowledgement is the legal proof of who holds the dossier, so an
    ancestor in the agency tree — e.g. the commune People's Committee above its police,
    which may also be the sender of the leg — does not hold it. The one exception is an
    officer of a unit inside the holder whom the holder's head assigned (``_assign``
    only accepts officers of the holder's subtree)."""
    if user.agency_id == dossier.current_agency_id:
        return True
    return dossier.assignee_id == user.id and in_subtree(dossier.current_agency, user.agency)


def can(user: User, action: A, dossier: Dossier | None, *, agency: Agency | None = None) -> bool:
    """May ``user`` take ``action`` on ``dossier`` (or, for a new dossier, at ``agency``)?"""
    if not user.active or action not in ROLE_ACTIONS[Role(user.role)]:
        return False
    if dossier is None:
        return agency is not None and in_subtree(user.agency, agency)
    if action in DESK_ACTIONS:
        return in_subtree(user.agency, dossier.receiving_agency)
    if action in (A.REQUEST_SUPPLEMENT, A.PROVIDE_SUPPLEMENT, A.CONFIRM_PAYMENT) and user.role == Role.CLERK:
        # At the desk: a supplement asked for at reception, or the citizen bringing
        # the missing papers / the payment receipt to the counter.
        return in_subtree(user.agency, dossier.receiving_agency)
    # Acknowledging, handing back and every other processing action: the holder's staff
    # only (the sender of a leg sees it as waiting, see ``holds``).
    if not holds(user, dossier):
        return False
    if user.role == Role.OFFICER and action != A.ACKNOWLEDGE:
        # Officers act on what is assigned to them (or not yet assigned to anyone).
        return dossier.assignee_id in (None, user.id)
    return True


def can_reissue_secret(user: User, dossier: Dossier) -> bool:
    """A new look-up secret opens the applicant's data to whoever holds it: the receiving
    desk (which prints the receipt) and the holder's staff only — not every agency that
    once took part in a hand-off (those may still view the dossier)."""
    if not user.active or user.role == Role.ADMIN:
        return False
    return user.agency_id == dossier.receiving_agency_id or holds(user, dossier)


def check(user: User, action: A, dossier: Dossier | None, *, agency: Agency | None = None) -> None:
    if not can(user, action, dossier, agency=agency):
        raise Forbidden("Bạn không có quyền thực hiện thao tác này với hồ sơ này.")


# What a dossier waiting for its receiver's acknowledgement still allows: the
# acknowledgement itself, and what the desk or the system do whoever holds it.
WHILE_WAITING = frozenset({A.ACKNOWLEDGE, A.WITHDRAW, A.REPLAN, A.ASSIGN, A.APOLOGISE})
# Actions whose "now" depends on the hand-off legs (the others never read them, so a
# worklist asking about apologies does not load every dossier's legs).
_LEG_FACTS = frozenset({A.ACKNOWLEDGE, A.HAND_OFF, A.HAND_BACK, A.COMPLETE, A.STOP, A.REQUEST_SUPPLEMENT,
                        A.REQUEST_PAYMENT})


def waiting_leg(dossier: Dossier) -> HandoffLeg | None:
    """The hand-off leg sent but not yet acknowledged by its receiver, if any."""
    return next((leg for leg in dossier.legs if leg.acknowledged_at is None), None)


def applies_now(action: A, dossier: Dossier) -> bool:
    """The facts of the dossier that make an otherwise allowed action pointless now (the
    services refuse these too): nothing waiting to be acknowledged; a hand-off still waiting
    for its receiver blocks everything but its acknowledgement (``WHILE_WAITING``);
    hand-offs follow a liên thông chain; an apology and new date only once (Decree 61/2018
    art. 19 as amended). Leg facts are read only for the actions that need them."""
    if action == A.APOLOGISE:
        return dossier.promised_due_at is None
    if action not in _LEG_FACTS:
        return True
    pending = waiting_leg(dossier) is not None
    if action == A.ACKNOWLEDGE:
        return pending
    if pending:
        return False
    if action == A.HAND_OFF:
        return dossier.procedure.is_lien_thong
    if action == A.HAND_BACK:
        return dossier.procedure.is_lien_thong and len(dossier.legs) >= 2
    return True


def check_waiting(action: A, dossier: Dossier) -> None:
    """The services' side of ``applies_now`` for a leg waiting for its receiver."""
    leg = waiting_leg(dossier) if action in _LEG_FACTS else None
    if action == A.ACKNOWLEDGE and leg is None:
        raise DomainError("Không có lượt chuyển liên thông nào đang chờ xác nhận.")
    if leg is not None and action not in WHILE_WAITING:
        raise DomainError(f"Hồ sơ đang chờ {leg.to_agency.name} xác nhận đã nhận; "
                          "chưa thể thực hiện thao tác này.")


def can_take(user: User, action: A, dossier: Dossier) -> bool:
    """May ``user`` take ``action`` on ``dossier`` now: the transition table for its status,
    the role and scope (``can``) and the dossier's facts (``applies_now``)."""
    status = DossierStatus(dossier.status)
    return (
        (status, action) in TRANSITIONS
        and can(user, action, dossier)
        and applies_now(action, dossier)
    )


def actions_for(user: User, dossier: Dossier) -> list[A]:
    """Every action ``user`` can take on ``dossier`` now, in the table's order."""
    if user.role == Role.ADMIN:
        return []
    return [a for a in allowed_actions(DossierStatus(dossier.status), Role(user.role))
            if can(user, a, dossier) and applies_now(a, dossier)]
