"""Permissions in one place: (user, action, dossier) -> allowed? Used by the web,
the API and the services alike (DESIGN.md §2)."""
from __future__ import annotations

from ..domain.status import DossierAction as A
from ..domain.status import DossierStatus, Role
from ..domain.workflow import ROLE_ACTIONS, TRANSITIONS, allowed_actions
from ..models import Agency, Dossier, User
from .agencies import in_subtree
from .errors import Forbidden

# Desk actions are scoped to the receiving desk; the rest to the agency that
# holds the dossier now.
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
    if not in_subtree(user.agency, dossier.current_agency):
        return False
    if user.role == Role.OFFICER and action != A.ACKNOWLEDGE:
        # Officers act on what is assigned to them (or not yet assigned to anyone).
        return dossier.assignee_id in (None, user.id)
    return True


def check(user: User, action: A, dossier: Dossier | None, *, agency: Agency | None = None) -> None:
    if not can(user, action, dossier, agency=agency):
        raise Forbidden("Bạn không có quyền thực hiện thao tác này với hồ sơ này.")


def applies_now(action: A, dossier: Dossier) -> bool:
    """The facts of the dossier that make an otherwise allowed action pointless now (the
    services refuse these too): nothing waiting to be acknowledged; a hand-off still waiting
    for its receiver blocks handing on, back or completing; hand-offs follow a liên thông
    chain; an apology and new date only once (Decree 61/2018 art. 19 as amended). Leg facts
    are read only for the actions that need them (worklists ask about apologies only)."""
    if action == A.APOLOGISE:
        return dossier.promised_due_at is None
    if action not in (A.ACKNOWLEDGE, A.HAND_OFF, A.HAND_BACK, A.COMPLETE):
        return True
    pending = any(leg.acknowledged_at is None for leg in dossier.legs)
    if action == A.ACKNOWLEDGE:
        return pending
    if pending:
        return False
    if action == A.HAND_OFF:
        return dossier.procedure.is_lien_thong
    if action == A.HAND_BACK:
        return dossier.procedure.is_lien_thong and len(dossier.legs) >= 2
    return True


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
