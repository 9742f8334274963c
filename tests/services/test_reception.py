from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onestop.domain.status import DossierStatus
from onestop.services.dossiers.actions import apply_action
from onestop.services.dossiers.inputs import AssignInput, CompleteInput
from onestop.services.errors import ValidationFailed
from tests.factories import receive, user

# Thursday 12/02/2026 10:00 in Hà Nội = 03:00 UTC (docs/domain.md §5 worked example).
THU = datetime(2026, 2, 12, 3, 0, tzinfo=UTC)


def test_receiving_allocates_code_and_statutory_due(session):
    res = receive(session, now=THU, procedure_code="1.004884")  # 5 working days
    d = res.dossier
    assert d.code == "000.01.31.H25-260212-0001"
    assert d.status == DossierStatus.RECEIVED
    assert d.due_at == datetime(2026, 2, 26, 10, 0, tzinfo=UTC)  # 17:00 +07:00
    assert len(res.secret) >= 8
    assert [e.action for e in d.events] == ["receive"]


def test_codes_are_consecutive_per_agency_and_day(session):
    codes = [receive(session, now=THU).dossier.code for _ in range(3)]
    assert [c[-4:] for c in codes] == ["0001", "0002", "0003"]
    other = receive(session, now=THU, clerk="t_clerk_other").dossier.code
    assert other.endswith("-260212-0001")


def test_bad_applicant_is_refused_with_field_messages_and_nothing_written(session):
    from onestop.models import Dossier

    with pytest.raises(ValidationFailed) as exc:
        receive(session, now=THU, id_number="12345", phone="12345")
    assert set(exc.value.errors) >= {"applicant_id_number", "applicant_phone"}
    assert session.query(Dossier).count() == 0


def test_full_cycle_through_the_one_writer(session):
    d = receive(session, now=THU).dossier
    later = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    apply_action(session, d, "transfer", actor=user(session, "t_clerk"), now=later)
    assert d.current_agency.identifier == "000.00.31.H25"
    apply_action(session, d, "assign",
                 AssignInput(officer_id=user(session, "t_officer").id),
                 actor=user(session, "t_head"), now=later)
    apply_action(session, d, "complete",
                 CompleteInput(result="Đã cấp"), actor=user(session, "t_officer"), now=later)
    assert d.status == DossierStatus.RESULT_READY and d.finished_at == later
    apply_action(session, d, "return_result", actor=user(session, "t_clerk"), now=later)
    assert d.status == DossierStatus.RETURNED
    assert [e.action for e in d.events] == ["receive", "transfer", "assign", "complete", "return_result"]
