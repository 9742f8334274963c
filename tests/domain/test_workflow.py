"""The transition table (docs/domain.md §2–§3), exhaustively: every (status, action) pair."""
from __future__ import annotations

import itertools

import pytest

from onestop.domain.status import (
    FINISHED,
    NATIONAL_CODES,
    OPEN,
    PAUSED,
    DossierAction,
    DossierStatus,
    Role,
)
from onestop.domain.workflow import ROLE_ACTIONS, TRANSITIONS, IllegalTransition, allowed_actions, next_status

S, A = DossierStatus, DossierAction

# The expected table, written out by hand from docs/domain.md §2 (None = creating the dossier).
EXPECTED: dict[tuple[DossierStatus | None, DossierAction], DossierStatus] = {
    (None, A.SUBMIT_ONLINE): S.NEW_ONLINE,
    (None, A.RECEIVE): S.RECEIVED,
    (None, A.REQUEST_SUPPLEMENT): S.INCOMPLETE,
    (None, A.REFUSE): S.REFUSED,
    (S.NEW_ONLINE, A.RECEIVE): S.RECEIVED,
    (S.NEW_ONLINE, A.REQUEST_SUPPLEMENT): S.INCOMPLETE,
    (S.NEW_ONLINE, A.REFUSE): S.REFUSED,
    (S.NEW_ONLINE, A.WITHDRAW): S.WITHDRAWN,
    (S.INCOMPLETE, A.RECEIVE): S.RECEIVED,
    (S.INCOMPLETE, A.REFUSE): S.REFUSED,
    (S.INCOMPLETE, A.WITHDRAW): S.WITHDRAWN,
    (S.RECEIVED, A.TRANSFER): S.PROCESSING,
    (S.RECEIVED, A.REQUEST_SUPPLEMENT): S.AWAITING_SUPPLEMENT,
    (S.RECEIVED, A.APOLOGISE): S.RECEIVED,
    (S.RECEIVED, A.REPLAN): S.RECEIVED,
    (S.RECEIVED, A.WITHDRAW): S.WITHDRAWN,
    (S.PROCESSING, A.ASSIGN): S.PROCESSING,
    (S.PROCESSING, A.HAND_OFF): S.PROCESSING,
    (S.PROCESSING, A.ACKNOWLEDGE): S.PROCESSING,
    (S.PROCESSING, A.HAND_BACK): S.PROCESSING,
    (S.PROCESSING, A.REQUEST_SUPPLEMENT): S.AWAITING_SUPPLEMENT,
    (S.PROCESSING, A.REQUEST_PAYMENT): S.AWAITING_PAYMENT,
    (S.PROCESSING, A.APOLOGISE): S.PROCESSING,
    (S.PROCESSING, A.REPLAN): S.PROCESSING,
    (S.PROCESSING, A.STOP): S.STOPPED,
    (S.PROCESSING, A.COMPLETE): S.RESULT_READY,
    (S.PROCESSING, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_SUPPLEMENT, A.PROVIDE_SUPPLEMENT): S.PROCESSING,
    (S.AWAITING_SUPPLEMENT, A.APOLOGISE): S.AWAITING_SUPPLEMENT,
    (S.AWAITING_SUPPLEMENT, A.REPLAN): S.AWAITING_SUPPLEMENT,
    (S.AWAITING_SUPPLEMENT, A.STOP): S.STOPPED,
    (S.AWAITING_SUPPLEMENT, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, A.CONFIRM_PAYMENT): S.PROCESSING,
    (S.AWAITING_PAYMENT, A.APOLOGISE): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.REPLAN): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.STOP): S.STOPPED,
    (S.AWAITING_PAYMENT, A.WITHDRAW): S.WITHDRAWN,
    (S.RESULT_READY, A.RETURN_RESULT): S.RETURNED,
}

ALL_PAIRS = list(itertools.product([None, *DossierStatus], DossierAction))


def test_the_table_is_exactly_the_expected_one():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: getattr(v, "value", str(v)))
def test_every_pair_either_moves_as_the_table_says_or_is_illegal(status, action):
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            next_status(status, action)


@pytest.mark.parametrize("status", sorted(FINISHED - {S.RESULT_READY}, key=str))
def test_finished_statuses_are_final(status):
    assert allowed_actions(status) == []


def test_a_ready_result_counts_as_finished_but_can_still_be_handed_over():
    # docs/domain.md §3: result ready is the finish time for the on-time rule; the return is logged after.
    assert S.RESULT_READY in FINISHED
    assert allowed_actions(S.RESULT_READY) == [A.RETURN_RESULT]


def test_every_open_status_can_still_end():
    # From every open status some path leads to a finished one (no dead ends).
    for start in OPEN:
        seen, todo = {start}, [start]
        while todo:
            s = todo.pop()
            for a in allowed_actions(s):
                t = TRANSITIONS[(s, a)]
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        assert seen & FINISHED, start


def test_every_status_maps_to_one_of_the_ten_national_codes():
    assert set(NATIONAL_CODES) == set(DossierStatus)
    assert set(NATIONAL_CODES.values()) == set(range(1, 11))
    assert S.INCOMPLETE.national_code == S.AWAITING_SUPPLEMENT.national_code == 5


def test_paused_statuses_are_exactly_the_waits_on_the_citizen():
    assert PAUSED == {S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT}


def test_admins_take_no_action_on_dossiers_and_only_heads_assign():
    assert ROLE_ACTIONS[Role.ADMIN] == frozenset()
    assert [r for r in Role if A.ASSIGN in ROLE_ACTIONS[r]] == [Role.HEAD]
    assert allowed_actions(S.PROCESSING, Role.CLERK) == [A.REQUEST_SUPPLEMENT, A.WITHDRAW]
    assert A.RECEIVE in allowed_actions(S.NEW_ONLINE, Role.CLERK)
