"""The 766 file and sync facts kept on the dossier by database triggers (migration h19f1): after any
mix of writes to dossier_files and dvcqg_outbox — through the file service or directly, inserts,
approvals, refusals, reclassifications, moved upload times, deletions, syncs sent and purged — each
dossier's first counting component, result file, reused document, national-store document and
accepted sync equal what its rows say, on both engines; and the 766 lists read them."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from onestop.models import Dossier
from onestop.models.dvcqg import DvcqgOutbox
from onestop.models.files import DossierFile
from onestop.services.reporting.index766 import index766
from tests.factories import agency, receive
from tests.times import MONDAY

FACTS = ("first_component_at", "first_result_file_at", "first_reused_at", "first_national_at",
         "first_synced_at")


def _expected(session, dossier_id: int) -> tuple:
    files = [f for f in session.scalars(select(DossierFile).where(DossierFile.dossier_id == dossier_id))
             if f.approval_state != 3]
    syncs = session.scalars(select(DvcqgOutbox).where(DvcqgOutbox.dossier_id == dossier_id))
    sent = [o.sent_at for o in syncs if o.kind == "event" and o.state == "sent"]

    def first(rows):
        return min((f.uploaded_at for f in rows), default=None)

    return (first([f for f in files if f.kind == "component"]),
            first([f for f in files if f.kind == "result"]),
            first([f for f in files if f.kind == "component" and f.digitisation_state in (2, 3)]),
            first([f for f in files if f.from_national_store]),
            min(sent, default=None))


def _stored(session, dossier_id: int) -> tuple:
    # Read the row itself, not the session's copy: the triggers wrote it.
    return tuple(session.execute(select(*(getattr(Dossier, c) for c in FACTS))
                                 .where(Dossier.id == dossier_id)).one())


def _file(d: Dossier, rng: random.Random, at: datetime) -> DossierFile:
    return DossierFile(dossier_id=d.id, kind=rng.choice(("component", "component", "result")),
                       component_no=1, title="x", storage_key=f"files/t/{rng.random()}", filename="x.pdf",
                       content_type="application/pdf", size_bytes=10, sha256="h",
                       digitisation_state=rng.choice((1, 1, 2, 3)), from_national_store=rng.random() < 0.3,
                       uploaded_at=at, approval_state=rng.choice((1, 2, 2, 3)))


def _outbox(d: Dossier, rng: random.Random, at: datetime) -> DvcqgOutbox:
    sent = rng.random() < 0.6
    return DvcqgOutbox(dossier_id=d.id, kind=rng.choice(("event", "event", "rating")),
                       version=rng.randrange(10**6), state="sent" if sent else "pending", attempts=1,
                       created_at=at, next_attempt_at=at, sent_at=at if sent else None, last_error="")


def test_the_facts_follow_every_write_to_files_and_syncs(session):
    rng = random.Random(1919)
    dossiers = [receive(session, now=MONDAY + timedelta(hours=i), id_number=f"0010977{i:05d}").dossier
                for i in range(6)]
    session.flush()
    files: list[DossierFile] = []
    syncs: list[DvcqgOutbox] = []
    checked = set()
    for step in range(60):
        at = MONDAY + timedelta(hours=rng.randrange(200))
        d = rng.choice(dossiers)
        roll = rng.random()
        if roll < 0.3 or not files:
            files.append(_file(d, rng, at))
            session.add(files[-1])
        elif roll < 0.5:
            f = rng.choice(files)
            setattr(f, *rng.choice((("approval_state", rng.choice((1, 2, 3))), ("uploaded_at", at),
                                    ("digitisation_state", rng.choice((1, 2, 3))),
                                    ("from_national_store", rng.random() < 0.5),
                                    ("kind", rng.choice(("component", "result"))))))
        elif roll < 0.6:
            session.delete(files.pop(rng.randrange(len(files))))
        elif roll < 0.8 or not syncs:
            syncs.append(_outbox(d, rng, at))
            session.add(syncs[-1])
        elif roll < 0.9:
            o = rng.choice(syncs)
            o.state, o.sent_at = ("sent", at) if o.state != "sent" else ("dead", None)
        else:
            session.delete(syncs.pop(rng.randrange(len(syncs))))
        session.flush()
        for one in dossiers:
            stored, expected = _stored(session, one.id), _expected(session, one.id)
            assert stored == expected, (step, one.id)
            checked.add(tuple(x is None for x in expected))
    assert len(checked) > 4  # the facts were seen both set and unset, in several mixes


def test_a_fee_dossier_not_paid_online_is_listed_as_pulling_36_down(session):
    # Finding: a dossier of a procedure with a fee and no online payment (payment_channel NULL) was
    # counted in 3.6's denominator but never listed among the dossiers pulling it down.
    commune = agency(session, "000.00.31.H25")
    paid = receive(session, now=MONDAY, procedure_code="1.001022").dossier
    unpaid = [receive(session, now=MONDAY + timedelta(hours=i), procedure_code="1.001022",
                      id_number=f"00109009999{i}").dossier for i in (1, 2)]
    paid.payment_channel = 1
    session.flush()
    result = index766(session, commune, "2026-03", now=datetime(2026, 3, 20, 3, tzinfo=UTC), trend=False)
    ind = next(i for i in result.indicators if i.criterion.measure == "online_payment_rate")
    assert (ind.criterion.numerator, ind.criterion.denominator) == (1, 3)  # below the 50 % for full marks
    assert ind.dossiers == [d.code for d in unpaid]
