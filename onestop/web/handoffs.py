"""Liên thông hand-offs between agencies (docs/domain.md §2.3): what waits for MY
agency's acknowledgement (its leg clock starts then), and what my agency sent
that the receiver has not acknowledged yet.

"My agency" is the user's own agency (not its subtree): a leg is addressed to
one agency, and a parent (e.g. a commune People's Committee above its police)
should not see its children's deliveries as its own — nor act on them: only the
holder's staff acknowledge, hand back or act (services.policy.holds).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from ..domain.status import DossierAction as A
from ..extensions import db
from ..services import policy
from ..services.dossiers import queries
from .auth import roles_required

bp = Blueprint("handoffs", __name__)


@bp.get("/handoffs")
@roles_required("officer", "head", "clerk")
def incoming() -> Any:
    waiting = queries.handoffs_waiting_for(db.session, current_user.agency)
    sent = queries.handoffs_sent_unacknowledged(db.session, current_user.agency)
    can_ack = {lg.id: policy.can_take(current_user, A.ACKNOWLEDGE, lg.dossier) for lg in waiting}
    return render_template("handoffs/incoming.html", waiting=waiting, sent=sent, can_ack=can_ack)
