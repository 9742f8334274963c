"""A calendar edit reaches every process (the calendar generation, onestop/services/admin/calendars.py):
two real processes on one committed database — checking at every unit of work, and once per
``CALENDAR_CHECK_SECONDS`` as production does (the edit then reaches the other process within that
bound) — then the per-unit check, the interval and the bump sites."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from config import Config
from onestop.extensions import db
from onestop.models import CalendarState
from onestop.services.admin import agencies, calendar_changes, calendars, imports
from tests.conftest import NOW
from tests.factories import agency, user

ROOT = Path(__file__).resolve().parents[2]
COMMUNE, CENTRE = "000.00.31.H25", "000.01.31.H25"  # the commune and its service centre (below it)
TIMEOUT = 120  # seconds: an upper bound for one answer (a loaded CI machine), never a wait when all is well


class Worker:
    """The other process, driven line by line; every read is bounded by TIMEOUT."""

    def __init__(self, url: str, check_seconds: float = 0.0) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.services.calendar_worker", url,
                                      str(check_seconds)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self._read() == "ready"

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def _read(self) -> str:
        try:
            return self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"the worker did not answer within {TIMEOUT} s") from None

    def ask(self, *words: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(words) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._read())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def worker(committed) -> Iterator[Worker]:
    w = Worker(committed.config["SQLALCHEMY_DATABASE_URI"])
    yield w
    w.close()


@pytest.fixture
def interval_worker(committed) -> Iterator[Worker]:
    """The other process with production's interval between two reads of the generation."""
    w = Worker(committed.config["SQLALCHEMY_DATABASE_URI"], Config.CALENDAR_CHECK_SECONDS)
    yield w
    w.close()


@pytest.fixture
def ticks(app_store) -> list[float]:
    """This process's store with production's interval, on a ticker the test moves."""
    now = [0.0]
    saved = app_store.check_seconds, app_store.ticker
    app_store.check_seconds, app_store.ticker = Config.CALENDAR_CHECK_SECONDS, lambda: now[0]
    app_store.clear()
    yield now
    app_store.check_seconds, app_store.ticker = saved
    app_store.clear()


@pytest.fixture
def app_store(request):
    app = request.getfixturevalue("committed" if "committed" in request.fixturenames else "app")
    return app.extensions["onestop.calendars"]


def _working(app, identifier: str, day: date) -> bool:
    with app.app_context():  # a new unit of work, as a request has
        return calendars.calendar_for(db.session, agency(db.session, identifier)).is_working_day(day)


def test_an_edit_in_one_process_reaches_the_other(committed, worker):
    app = committed
    monday, tuesday = date(2026, 5, 4), date(2026, 5, 5)
    first = worker.ask("working", CENTRE, monday.isoformat())
    assert first["working"] is True
    # The other process keeps what it built while nothing changes (a real cache, not a rebuild per unit).
    again = worker.ask("working", CENTRE, monday.isoformat())
    assert again == first
    assert _working(app, CENTRE, tuesday)

    # An admin closes the commune (an ancestor of the centre) in this process …
    with app.app_context():
        calendar_changes.add_calendar_exception(
            db.session, on=monday, working=False, note="Lũ quét", agency=agency(db.session, COMMUNE),
            actor=user(db.session, "t_admin"), now=NOW)
        db.session.commit()
    # … and the other process's very next unit of work sees it.
    after = worker.ask("working", CENTRE, monday.isoformat())
    assert after["working"] is False
    assert after["builds"] > first["builds"]

    # The other way: the other process closes Tuesday; this process, which built the calendar
    # already, sees it at its next unit of work.
    assert worker.ask("close", COMMUNE, tuesday.isoformat()) == {"ok": True}
    assert not _working(app, CENTRE, tuesday)
    assert not _working(app, CENTRE, monday)


def test_office_hours_edit_reaches_the_other_process(committed, worker):
    app = committed
    assert worker.ask("working", CENTRE, "2026-05-04")["hours"] == "07:30-11:30,13:30-17:00"
    with app.app_context():
        centre, admin = agency(db.session, CENTRE), user(db.session, "t_admin")
        args = {"name": centre.name, "short_name": centre.short_name,
                "parent_identifier": COMMUNE, "valid_to": centre.valid_to, "successor_identifier": "",
                "actor": admin, "now": NOW}
        before = centre.office_hours
        agencies.update_agency(db.session, centre, office_hours="07:00-11:00,13:00-16:30", **args)
        db.session.commit()
    try:
        assert worker.ask("working", CENTRE, "2026-05-04")["hours"] == "07:00-11:00,13:00-16:30"
    finally:
        with app.app_context():
            centre = agency(db.session, CENTRE)
            agencies.update_agency(db.session, centre, office_hours=before, **{
                **args, "actor": user(db.session, "t_admin")})
            db.session.commit()


def test_with_the_interval_an_edit_reaches_the_other_process_within_it(committed, interval_worker, ticks):
    app, worker, bound = committed, interval_worker, Config.CALENDAR_CHECK_SECONDS
    assert 0 < bound <= 5
    monday, tuesday = date(2026, 5, 4), date(2026, 5, 5)
    assert worker.ask("working", CENTRE, monday.isoformat())["working"] is True
    assert _working(app, CENTRE, tuesday)

    with app.app_context():
        calendar_changes.add_calendar_exception(
            db.session, on=monday, working=False, note="Lũ quét", agency=agency(db.session, COMMUNE),
            actor=user(db.session, "t_admin"), now=NOW)
        db.session.commit()
    # The process that made the edit has it at once: its commit ended the interval.
    assert not _working(app, CENTRE, monday)
    # The other one read the generation less than the interval ago: it keeps what it built …
    assert worker.ask("working", CENTRE, monday.isoformat())["working"] is True
    # … and has the edit once the interval has run.
    assert worker.ask("wait", str(bound)) == {"ok": True}
    assert worker.ask("working", CENTRE, monday.isoformat())["working"] is False

    # The other way round, on this process's interval.
    assert worker.ask("close", COMMUNE, tuesday.isoformat()) == {"ok": True}
    ticks[0] += bound / 2
    assert _working(app, CENTRE, tuesday)
    ticks[0] += bound / 2
    assert not _working(app, CENTRE, tuesday)


# ---------------------------------------------------------------- in one process


def _generation(session) -> tuple[int, str]:
    row = session.execute(select(CalendarState.generation, CalendarState.stamp)).one()
    return int(row[0]), str(row[1])


def test_the_store_is_the_apps_and_the_generation_is_read_once_per_unit(app, session):
    store = app.extensions["onestop.calendars"]
    assert calendars.store_of(session) is store
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "calendar_state" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        centre = agency(session, CENTRE)
        for _ in range(5):
            calendars.calendar_for(session, centre)
        assert len(statements) <= 1  # once per unit (0 if this transaction already checked)
        session.commit()  # a new unit of work: checked again, once
        statements.clear()
        for _ in range(5):
            calendars.calendar_for(session, centre)
        assert len(statements) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert store.generation == _generation(session)


def test_with_the_interval_the_generation_is_read_once_per_interval(app, session, ticks):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "calendar_state" in statement:
            statements.append(statement)

    centre = agency(session, CENTRE)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):  # five units of work inside one interval: one read
            session.commit()
            calendars.calendar_for(session, centre)
        assert len(statements) == 1
        ticks[0] += Config.CALENDAR_CHECK_SECONDS
        session.commit()
        calendars.calendar_for(session, centre)
        assert len(statements) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_editing_session_sees_its_own_edit_before_commit(session):
    centre = agency(session, CENTRE)
    assert calendars.calendar_for(session, centre).is_working_day(date(2026, 6, 1))
    calendars.add_exception(session, on=date(2026, 6, 1), working=False, note="Bão", agency=None,
                            actor_id=None, now=NOW)
    assert not calendars.calendar_for(session, centre).is_working_day(date(2026, 6, 1))


@pytest.mark.parametrize("edit", ["add", "delete", "hours", "parent", "import"])
def test_every_calendar_edit_bumps_the_generation(session, edit):
    admin, centre = user(session, "t_admin"), agency(session, CENTRE)
    row, _ = calendar_changes.add_calendar_exception(session, on=date(2026, 6, 2), working=False, note="x",
                                                     agency=None, actor=admin, now=NOW)
    before = _generation(session)
    args = {"name": centre.name, "short_name": centre.short_name, "parent_identifier": COMMUNE,
            "office_hours": centre.office_hours, "valid_to": centre.valid_to, "successor_identifier": "",
            "actor": admin, "now": NOW}
    if edit == "add":
        calendar_changes.add_calendar_exception(session, on=date(2026, 6, 3), working=False, note="y",
                                                agency=centre, actor=admin, now=NOW)
    elif edit == "delete":
        calendar_changes.delete_calendar_exception(session, row.id, actor=admin, now=NOW)
    elif edit == "hours":
        agencies.update_agency(session, centre, **{**args, "office_hours": "08:00-12:00,13:00-17:00"})
    elif edit == "parent":
        agencies.update_agency(session, centre, **{**args, "parent_identifier": "000.00.32.H25"})
    else:
        imports.import_agencies(session, [{
            "identifier": CENTRE, "name": centre.name, "short_name": centre.short_name, "level": centre.level,
            "kind": centre.kind, "parent_identifier": COMMUNE, "office_hours": "08:00-12:00,13:00-17:00"}])
    after = _generation(session)
    assert after[0] == before[0] + 1 and after[1] != before[1]


def test_the_calendar_range_follows_the_clock(app, session):
    store = app.extensions["onestop.calendars"]
    clock = store.clock
    try:
        store.clock = lambda: datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
        session.commit()
        assert calendars.covered_years(session) == range(2015, 2033)
        store.clock = lambda: datetime(2031, 1, 2, 3, 0, tzinfo=UTC)  # the process runs into 2031
        session.commit()  # next unit of work
        assert calendars.covered_years(session) == range(2015, 2038)
        cal = calendars.calendar_for(session, None)
        assert cal.is_working_day(date(2036, 12, 30))
    finally:
        store.clock = clock
        store.clear()


def test_a_job_run_checks_the_generation_once_and_adopts_an_edit(committed):
    """The scheduler is another app (its own store): its next job run sees an edit made elsewhere."""
    from jobs import run_job
    from tests.conftest import build_app

    app = committed
    scheduler = build_app(app.config["SQLALCHEMY_DATABASE_URI"])
    store = scheduler.extensions["onestop.calendars"]
    run_job(scheduler, "calendar_check", NOW)
    seen = store.generation
    with app.app_context():
        calendar_changes.add_calendar_exception(
            db.session, on=date(2026, 5, 4), working=False, note="Lũ quét", agency=None,
            actor=user(db.session, "t_admin"), now=NOW)
        db.session.commit()
        current = _generation(db.session)
    assert seen != current
    run_job(scheduler, "calendar_check", NOW)
    assert store.generation == current
    with scheduler.app_context():
        assert not calendars.calendar_for(db.session, None).is_working_day(date(2026, 5, 4))
        db.session.remove()
        db.engines[None].dispose()
