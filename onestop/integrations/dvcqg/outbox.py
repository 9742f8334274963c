"""The outbox of what the national portal must see (docs/architecture.md §2, docs/integration.md §Outbox).

Enqueue: ``enqueue_for_event`` is called where a dossier event is appended (services/dossiers/actions.py),
``enqueue_rating`` where a rating is stored — in the SAME transaction, so a change and its queue
row commit or roll back together. A row names the change (dossier, kind, version = the event's
``seq``); the message itself is built when sent, from the data as it is then (``build at send
time``): the record always carries the dossier's current state, a catch-up after a long outage sends
each dossier's record once with all its missing progress rows, and nothing in the queue can go stale.

Send (``send_pending``): dossiers whose pending rows are all due are claimed oldest first — the
claim pushes ``next_attempt_at`` out by a lease and is committed before any HTTP call, so a sender
killed mid-batch (kill -9) leaves its rows pending and they are sent again after the lease
(at-least-once; the portal's update operation and its de-duplication of identical progress rows
make a re-send harmless). Per dossier the order is kept: all its pending rows go together, record
first, then the progress rows in ``seq`` order, then the rating.
"""
from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from ...models import Dossier, DossierEvent, Rating
from ...models.dvcqg import DvcqgAttempt, DvcqgOutbox
from ...services.errors import NotFound
from ...services.sql import rows_affected
from . import mapping
from .client import RECORD_CHUNK, PortalClient, PortalRejected, PortalUnavailable, chunks

log = logging.getLogger(__name__)
Ob = DvcqgOutbox  # the table's short name in SQL-heavy code
_ROWCOUNT = {"preserve_rowcount": True}  # INSERT … SELECT counts on psycopg too


def sync_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Sync is off unless the portal's URL and the unit code are set (ONESTOP_DVCQG_*)."""
    if config is None:
        if not has_app_context():
            return False
        config = current_app.config
    return bool(config.get("DVCQG_URL")) and bool(config.get("DVCQG_UNIT_CODE"))


def enqueue_for_event(session: Session, dossier: Dossier, event: DossierEvent) -> None:
    """Queue the event for the portal in the caller's transaction; nothing when sync is off."""
    if not sync_enabled():
        return
    session.add(DvcqgOutbox(dossier_id=dossier.id, kind="event", version=event.seq, state="pending",
                            attempts=0, created_at=event.at, next_attempt_at=event.at, last_error=""))


def enqueue_rating(session: Session, rating: Rating) -> None:
    if not sync_enabled():
        return
    session.add(DvcqgOutbox(dossier_id=rating.dossier_id, kind="rating", version=1, state="pending",
                            attempts=0, created_at=rating.created_at, next_attempt_at=rating.created_at,
                            last_error=""))


def enqueue_since(session: Session, since: datetime, now: datetime) -> int:
    """Backfill: queue every event at or after ``since`` not queued yet (turning sync on over an
    existing database, or after an operator's repair). One INSERT … SELECT."""
    E = DossierEvent
    query = (select(E.dossier_id, literal("event"), E.seq, literal("pending"), literal(0), E.at, E.at,
                    literal(""))
             .where(E.at >= since,
                    ~exists().where(and_(Ob.dossier_id == E.dossier_id, Ob.kind == "event",
                                         Ob.version == E.seq))))
    cols = ["dossier_id", "kind", "version", "state", "attempts", "created_at", "next_attempt_at",
            "last_error"]
    n = rows_affected(session.execute(insert(Ob).from_select(cols, query), execution_options=_ROWCOUNT))
    rq = (select(Rating.dossier_id, literal("rating"), literal(1), literal("pending"), literal(0),
                 Rating.created_at, Rating.created_at, literal(""))
          .where(Rating.created_at >= since,
                 ~exists().where(and_(Ob.dossier_id == Rating.dossier_id, Ob.kind == "rating"))))
    return n + rows_affected(session.execute(insert(Ob).from_select(cols, rq), execution_options=_ROWCOUNT))


def backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


@dataclass
class SyncResult:
    dossiers: int = 0
    sent: int = 0  # outbox rows
    retried: int = 0
    dead: int = 0
    unavailable: str = ""  # the transport error that stopped the run, if any
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"dossiers": self.dossiers, "sent": self.sent, "retried": self.retried, "dead": self.dead,
                "unavailable": self.unavailable}


@dataclass
class _Claimed:
    rows: list[Any]
    by_dossier: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))


def claim(session: Session, now: datetime, *, limit: int, lease_seconds: int) -> list[Any]:
    """Claim the pending rows of up to ``limit`` dossiers whose pending rows are all due, oldest
    first. The UPDATE re-checks ``next_attempt_at <= now`` so two senders never claim one row."""
    due = (select(Ob.dossier_id).where(Ob.state == "pending").group_by(Ob.dossier_id)
           .having(func.max(Ob.next_attempt_at) <= now).order_by(func.min(Ob.id)).limit(limit))
    ids = list(session.scalars(due))
    if not ids:
        return []
    stmt = (update(Ob).where(Ob.state == "pending", Ob.dossier_id.in_(ids), Ob.next_attempt_at <= now)
            .values(next_attempt_at=now + timedelta(seconds=lease_seconds))
            .returning(Ob.id, Ob.dossier_id, Ob.kind, Ob.version, Ob.attempts))
    rows = list(session.execute(stmt))
    rows.sort(key=lambda r: (r.dossier_id, r.kind != "event", r.version))
    return rows


def _load(session: Session, dossier_ids: list[int]) -> dict[int, Dossier]:
    q = (select(Dossier).where(Dossier.id.in_(dossier_ids)).execution_options(populate_existing=True)
         .options(joinedload(Dossier.procedure), joinedload(Dossier.current_agency),
                  selectinload(Dossier.events).joinedload(DossierEvent.actor),
                  selectinload(Dossier.events).joinedload(DossierEvent.agency)))
    return {d.id: d for d in session.scalars(q).unique()}


def _files(session: Session, dossier_ids: list[int]) -> dict[int, list[Any]] | None:
    """The dossiers' stored files (components, results) where the tracker keeps files
    (``models/files.py``); None where it does not, so the file fields are omitted as unknown."""

    try:
        model: Any = importlib.import_module("onestop.models.files").DossierFile
    except (ImportError, AttributeError):
        return None
    out: dict[int, list[Any]] = {i: [] for i in dossier_ids}
    found: list[Any] = list(session.scalars(
        select(model).where(model.dossier_id.in_(dossier_ids)).order_by(model.id)))
    for f in found:
        out[f.dossier_id].append(f)
    return out


def current_record(session: Session, dossier: Dossier) -> dict[str, Any]:
    """The record the sender would build for ``dossier`` now (reconciliation, support)."""
    files = _files(session, [dossier.id])
    return mapping.dossier_record(dossier, None if files is None else files[dossier.id])


class _Batch:
    """One claimed batch on its way to the portal: per dossier, ok or the portal's message."""

    def __init__(self, client: PortalClient, dossiers: dict[int, Dossier], rows: list[Any],
                 known: set[int], ratings: dict[int, Rating],
                 files: dict[int, list[Any]] | None = None) -> None:
        self.client = client
        self.dossiers = dossiers
        self.rows = rows
        self.known = known
        self.ratings = ratings
        self.files = files
        self.failed: dict[int, str] = {}

    def _isolate(self, items: list[tuple[int, Any]], send: Callable[[list[Any]], None]) -> None:
        """Send ``items`` (dossier id, payload) together; if the portal refuses the group, send
        each dossier's part alone so one bad dossier does not hold back the others."""
        live = [(i, p) for i, p in items if i not in self.failed]
        if not live:
            return
        try:
            send([p for _, p in live])
            return
        except PortalRejected as exc:
            if len({i for i, _ in live}) == 1:
                self.failed[live[0][0]] = str(exc)
                return
        groups: dict[int, list[Any]] = defaultdict(list)
        for i, p in live:
            groups[i].append(p)
        for i, payloads in groups.items():
            try:
                send(payloads)
            except PortalRejected as exc:
                self.failed[i] = str(exc)

    def prepare(self) -> None:
        """Build every message of the batch from the database (before any HTTP call, so the caller
        can end its transaction: on SQLite a job's transaction holds the write lock)."""
        with_events = sorted({r.dossier_id for r in self.rows if r.kind == "event"})
        for d_id in with_events:
            if d_id not in self.dossiers:
                self.failed[d_id] = "hồ sơ không còn trong cơ sở dữ liệu"
        self.records = {
            d_id: mapping.dossier_record(self.dossiers[d_id],
                                         None if self.files is None else self.files[d_id])
            for d_id in with_events if d_id not in self.failed}
        self.progress: list[tuple[int, dict[str, Any]]] = []
        for r in self.rows:
            if r.kind != "event" or r.dossier_id in self.failed:
                continue
            d = self.dossiers[r.dossier_id]
            ev = next((e for e in d.events if e.seq == r.version), None)
            if ev is not None:
                self.progress.append((d.id, mapping.progress_row(d, ev)))
        for r in self.rows:
            if r.kind == "rating" and (r.dossier_id not in self.ratings or r.dossier_id not in self.dossiers):
                self.failed[r.dossier_id] = "không còn đánh giá của hồ sơ"
        self.rating_items = [
            (r.dossier_id, mapping.rating_record(self.dossiers[r.dossier_id], self.ratings[r.dossier_id]))
            for r in self.rows if r.kind == "rating" and r.dossier_id not in self.failed]

    def send(self) -> None:
        """Per dossier in order: the record, then its progress rows, then its rating."""
        for updating in (False, True):
            ids = [i for i in self.records if (i in self.known) == updating]
            push = self.client.push_records_updating if updating else self.client.push_records_new
            for part in chunks(ids, RECORD_CHUNK):
                self._isolate([(i, self.records[i]) for i in part], push)
        # Chunks of 10 rows; a dossier whose record was refused sends no rows (_isolate skips it).
        for part in chunks(self.progress, 10):
            self._isolate(list(part), self.client.push_progress)
        for part in chunks(self.rating_items, RECORD_CHUNK):
            self._isolate(list(part), self.client.push_ratings)


def send_pending(session: Session, client: PortalClient, now: datetime, *, batch_dossiers: int = 200,
                 max_batches: int | None = None, max_attempts: int = 8, base_backoff_seconds: int = 60,
                 backoff_cap_seconds: int = 1800, lease_seconds: int = 300,
                 checkpoint: Callable[[], None] | None = None) -> SyncResult:
    """Send what is due, batch after batch, until the queue is empty, the portal is unreachable
    (then every row of the batch is retried later and the run stops), or ``max_batches``.
    ``checkpoint`` (the job passes ``session.commit``) makes the claim and each outcome durable."""
    result = SyncResult()
    while max_batches is None or result.batches < max_batches:
        rows = claim(session, now, limit=batch_dossiers, lease_seconds=lease_seconds)
        if not rows:
            break
        result.batches += 1
        if checkpoint is not None:
            checkpoint()
        ids = sorted({r.dossier_id for r in rows})
        result.dossiers += len(ids)
        dossiers = _load(session, ids)
        known = set(session.scalars(select(Ob.dossier_id).where(
            Ob.dossier_id.in_(ids), Ob.kind == "event", Ob.state == "sent").distinct()))
        ratings = {r.dossier_id: r for r in session.scalars(select(Rating).where(Rating.dossier_id.in_(ids)))}
        batch = _Batch(client, dossiers, rows, known, ratings, _files(session, ids))
        batch.prepare()
        if checkpoint is not None:
            checkpoint()  # no transaction (nor SQLite write lock) held while waiting for the portal
        unavailable = ""
        try:
            batch.send()
        except PortalUnavailable as exc:
            unavailable = str(exc)
        _record(session, rows, batch.failed, unavailable, now, result, max_attempts=max_attempts,
                base=base_backoff_seconds, cap=backoff_cap_seconds)
        if checkpoint is not None:
            checkpoint()
            session.expunge_all()  # memory stays flat over a long catch-up
        if unavailable:
            result.unavailable = unavailable
            break
    return result


def _record(session: Session, rows: list[Any], failed: dict[int, str], unavailable: str, now: datetime,
            result: SyncResult, *, max_attempts: int, base: int, cap: int) -> None:
    """Write each row's outcome and its attempt-log line."""
    ok_ids = [r.id for r in rows if not unavailable and r.dossier_id not in failed]
    log_rows: list[dict[str, Any]] = []
    if ok_ids:
        session.execute(update(Ob).where(Ob.id.in_(ok_ids))
                        .values(state="sent", sent_at=now, attempts=Ob.attempts + 1, last_error=""))
        result.sent += len(ok_ids)
        log_rows += [{"outbox_id": i, "at": now, "ok": True, "message": ""} for i in ok_ids]
    by_error: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        if unavailable:
            by_error[f"Cổng không trả lời: {unavailable}"].append(r)
        elif r.dossier_id in failed:
            by_error[failed[r.dossier_id]].append(r)
    for message, group in by_error.items():
        ids = [r.id for r in group]
        attempts = max(r.attempts for r in group) + 1
        if unavailable:
            # The portal is down, not refusing: never dead-letter, back off (capped) and catch up.
            values: dict[str, Any] = {"next_attempt_at": now + backoff(attempts, base, cap)}
            result.retried += len(ids)
        else:
            dead = Ob.attempts + 1 >= max_attempts
            values = {"state": case((dead, "dead"), else_="pending"),
                      "next_attempt_at": now + backoff(attempts, base, 6 * 3600)}
        session.execute(update(Ob).where(Ob.id.in_(ids))
                        .values(attempts=Ob.attempts + 1, last_error=message[:2000], **values))
        if not unavailable:
            n_dead = sum(1 for r in group if r.attempts + 1 >= max_attempts)
            result.dead += n_dead
            result.retried += len(ids) - n_dead
            log.warning("DVCQG refused %d change(s): %s", len(ids), message)
        log_rows += [{"outbox_id": i, "at": now, "ok": False, "message": message[:2000]} for i in ids]
    if log_rows:
        session.execute(insert(DvcqgAttempt), log_rows)
    session.flush()


def resend(session: Session, code: str, now: datetime) -> int:
    """Put a dossier's changes back in the queue: its dead rows, or (none dead) its latest row, so
    the current record and that progress row go again. Returns the rows re-queued."""
    d_id = session.scalar(select(Dossier.id).where(Dossier.code == code.strip().upper()))
    if d_id is None:
        raise NotFound(f"Không tìm thấy hồ sơ {code}.")
    dead = list(session.scalars(select(Ob.id).where(Ob.dossier_id == d_id, Ob.state == "dead")))
    ids = dead or list(session.scalars(select(Ob.id).where(Ob.dossier_id == d_id, Ob.kind == "event")
                                       .order_by(Ob.version.desc()).limit(1)))
    if not ids:
        n = enqueue_since_dossier(session, d_id)
        return n
    session.execute(update(Ob).where(Ob.id.in_(ids)).values(state="pending", sent_at=None, attempts=0,
                                                           next_attempt_at=now, last_error=""))
    return len(ids)


def enqueue_since_dossier(session: Session, dossier_id: int) -> int:
    """Queue every event of one dossier (it was never queued: sync was off at the time)."""
    E = DossierEvent
    query = (select(E.dossier_id, literal("event"), E.seq, literal("pending"), literal(0), E.at, E.at,
                    literal(""))
             .where(E.dossier_id == dossier_id,
                    ~exists().where(and_(Ob.dossier_id == E.dossier_id, Ob.kind == "event",
                                         Ob.version == E.seq))))
    cols = ["dossier_id", "kind", "version", "state", "attempts", "created_at", "next_attempt_at",
            "last_error"]
    return rows_affected(session.execute(insert(Ob).from_select(cols, query), execution_options=_ROWCOUNT))


def status_counts(session: Session) -> dict[str, int]:
    """Changes (outbox rows) synced, pending and failed (dead-lettered)."""
    counts = {state: int(n) for state,
              n in session.execute(select(Ob.state, func.count()).group_by(Ob.state))}
    return {"synced": int(counts.get("sent", 0)), "pending": int(counts.get("pending", 0)),
            "failed": int(counts.get("dead", 0))}


@dataclass
class DayState:
    day: Any
    handled: int
    synced: int
    pending: int
    failed: int

    @property
    def rate(self) -> float | None:
        """766 indicator 1.4 as the portal will see it: dossiers synced / dossiers handled."""
        return self.synced / self.handled if self.handled else None


def sync_by_day(session: Session, days: list[tuple[Any, datetime, datetime]]) -> list[DayState]:
    """Per local day: dossiers that changed (handled), of which every change of the day reached
    the portal (synced), some still queued or never queued (pending), some dead-lettered (failed)."""
    E = DossierEvent
    out: list[DayState] = []
    for day, start, end in days:
        per = (select(E.dossier_id,
                      func.max(case((Ob.state == "dead", 1), else_=0)).label("dead"),
                      func.max(case((Ob.state.is_(None), 1), (Ob.state != "sent", 1), else_=0)).label("open"))
               .select_from(E)
               .outerjoin(Ob, and_(Ob.dossier_id == E.dossier_id, Ob.kind == "event", Ob.version == E.seq))
               .where(E.at >= start, E.at < end).group_by(E.dossier_id).subquery())
        row: Any = session.execute(select(
            func.count(), func.coalesce(func.sum(per.c.dead), 0),
            func.coalesce(func.sum(per.c.open), 0))).one()
        handled, failed, not_sent = int(row[0]), int(row[1]), int(row[2])
        out.append(DayState(day=day, handled=handled, synced=handled - not_sent,
                            pending=not_sent - failed, failed=failed))
    return out


def failures(session: Session, limit: int = 100) -> list[Any]:
    """Changes the portal refused (dead) or that are waiting after an error, newest first."""
    return list(session.execute(
        select(Dossier.code, Ob.kind, Ob.version, Ob.state, Ob.attempts, Ob.last_error, Ob.next_attempt_at)
        .join(Dossier, Dossier.id == Ob.dossier_id)
        .where(Ob.last_error != "", Ob.state != "sent").order_by(Ob.state, Ob.id.desc()).limit(limit)))
