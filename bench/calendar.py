"""Benchmark: due-date computations per second and calendar construction time.

Run from the repository root: ``python bench/calendar.py [N]`` (N receipts per limit, default
200000). Single process, one core. Results go in docs/benchmarks.md, section "Calendar and due dates".
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time as _time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onestop.domain.calendar import WorkingCalendar
    from onestop.domain.deadlines import DeadlineRule


def _fix_path() -> None:
    """This file is named calendar.py: run as a script, its folder would shadow the standard library's
    `calendar` module (imported by `holidays`, `_strptime`, …). Drop the folder, add the repo root."""
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.getcwd()) == here:
        sys.path.pop(0)
    root = os.path.dirname(here)
    if root not in sys.path:
        sys.path.insert(0, root)


def _receipts(n: int, seed: int = 20260212) -> list[datetime]:
    """Random instants over 2024-01-01 … 2026-12-31 (UTC-aware, as read from the database)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(hours=7)
    span = int((datetime(2026, 12, 31, tzinfo=UTC) - start).total_seconds())
    return [start + timedelta(seconds=rng.randrange(span)) for _ in range(n)]


def _bench_rule(cal: WorkingCalendar, rule: DeadlineRule, receipts: list[datetime], repeat: int) -> float:
    from onestop.domain.deadlines import compute_due

    best = float("inf")
    for _ in range(repeat):
        t0 = _time.perf_counter()
        for r in receipts:
            compute_due(r, rule, cal, explain=False)
        best = min(best, _time.perf_counter() - t0)
    return len(receipts) / best


def main() -> None:
    _fix_path()
    from bench._machine import cpu_model
    from onestop.domain.calendar import WorkingCalendar, national_holidays
    from onestop.domain.deadlines import DeadlineRule, LimitUnit

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeat = 3

    # --- construction ---------------------------------------------------------------------------
    full: list[float] = []
    for _ in range(5):
        t0 = _time.perf_counter()
        WorkingCalendar.national(2015, 2035)
        full.append(_time.perf_counter() - t0)
    closed, working_weekend = national_holidays(2015, 2035)
    arrays: list[float] = []
    for _ in range(5):
        t0 = _time.perf_counter()
        WorkingCalendar(2015, 2035, closed, working_weekend)
        arrays.append(_time.perf_counter() - t0)
    cal = WorkingCalendar.national(2015, 2035)

    # --- due dates ------------------------------------------------------------------------------
    receipts = _receipts(n)
    rules = [
        ("1 working day", DeadlineRule(Decimal(1), LimitUnit.WORKING_DAYS)),
        ("5 working days", DeadlineRule(Decimal(5), LimitUnit.WORKING_DAYS)),
        ("30 working days", DeadlineRule(Decimal(30), LimitUnit.WORKING_DAYS)),
        ("40 working hours", DeadlineRule(Decimal(40), LimitUnit.WORKING_HOURS)),
        ("10 calendar days", DeadlineRule(Decimal(10), LimitUnit.CALENDAR_DAYS)),
    ]
    print(
        f"python {platform.python_version()} · {cpu_model()} · nproc {os.cpu_count()} · "
        f"N={n} receipts, best of {repeat}"
    )
    print()
    print("| calendar construction 2015–2035 | median | best |")
    print("|---|---:|---:|")
    med, best = statistics.median(full) * 1000, min(full) * 1000
    print(f"| national, first call (incl. `import holidays`) | {full[0] * 1000:.1f} ms | |")
    print(f"| national (holidays package + arrays) | {med:.1f} ms | {best:.1f} ms |")
    med, best = statistics.median(arrays) * 1000, min(arrays) * 1000
    print(f"| arrays only (holiday dicts given) | {med:.1f} ms | {best:.1f} ms |")
    print()
    print("| limit | due dates / s (explain=False) | µs / call |")
    print("|---|---:|---:|")
    for label, rule in rules:
        rate = _bench_rule(cal, rule, receipts, repeat)
        print(f"| {label} | {rate:,.0f} | {1e6 / rate:.2f} |")
    five = rules[1][1]
    local = [r.astimezone(cal.tz) for r in receipts]
    rate = _bench_rule(cal, five, local, repeat)
    print(f"| 5 working days, input in Asia/Ho_Chi_Minh (ZoneInfo) | {rate:,.0f} | {1e6 / rate:.2f} |")
    # The non-fixed-offset path (astimezone per call):
    dst = WorkingCalendar(2015, 2035, closed, working_weekend, tz="Europe/Paris")
    rate = _bench_rule(dst, five, receipts, repeat)
    print(f"| 5 working days, DST-zone calendar (Europe/Paris) | {rate:,.0f} | {1e6 / rate:.2f} |")
    few = receipts[: max(1, n // 20)]
    rate = _bench_trace(cal, five, few, repeat)
    print(f"| 5 working days, explain=True + the lines said (web/sentences.py, Flask-Babel) | {rate:,.0f} "
          f"| {1e6 / rate:.2f} |")


def _bench_trace(cal: WorkingCalendar, rule: DeadlineRule, receipts: list[datetime], repeat: int) -> float:
    """Due dates with their "why this date" lines per second: the trace built by the domain and said
    in Vietnamese through the catalogue, as the citizen page does."""
    from pathlib import Path

    from flask import Flask
    from flask_babel import Babel

    from onestop.domain.deadlines import compute_due
    from onestop.web.sentences import trace_lines

    app = Flask("bench")
    app.config.update(BABEL_DEFAULT_LOCALE="vi", BABEL_TRANSLATION_DIRECTORIES=str(
        Path(__file__).resolve().parent.parent / "onestop" / "translations"))
    Babel(app)
    best = float("inf")
    with app.test_request_context():
        for _ in range(repeat):
            t0 = _time.perf_counter()
            for r in receipts:
                trace_lines(compute_due(r, rule, cal, explain=True).steps)
            best = min(best, _time.perf_counter() - t0)
    return len(receipts) / best


if __name__ == "__main__":
    main()
