"""A second process for tests/services/test_calendar_generation.py: an onestop app on the same
database, answering one command per line, each in its own application context (a new session and
unit of work, as a web request or a job run has). Not a test module.

    working AGENCY YYYY-MM-DD   → {"working": bool, "hours": "...", "builds": n}
    close AGENCY YYYY-MM-DD     → adds a closure for AGENCY and commits → {"ok": true}
    wait SECONDS                → the store's monotonic ticker moves on SECONDS → {"ok": true}

    python -m tests.services.calendar_worker URL [CALENDAR_CHECK_SECONDS]
"""
from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime


def main(url: str, check_seconds: float = 0.0) -> None:
    from onestop import create_app
    from onestop.extensions import db
    from onestop.services.admin import calendars
    from onestop.services.admin.agencies import by_identifier

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                                 "CALENDAR_CHECK_SECONDS": check_seconds})
    store = app.extensions["onestop.calendars"]
    ticks = [0.0]  # the interval runs on this ticker: the test moves it, no sleeping
    store.ticker = lambda: ticks[0]
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "quit":
            break
        if cmd == "wait":
            ticks[0] += float(args[0])
            print(json.dumps({"ok": True}), flush=True)
            continue
        with app.app_context():
            agency = by_identifier(db.session, args[0])
            day = date.fromisoformat(args[1])
            if cmd == "working":
                cal = calendars.calendar_for(db.session, agency)
                out = {"working": cal.is_working_day(day), "hours": str(cal.hours), "builds": store.builds}
            elif cmd == "close":
                calendars.add_exception(db.session, on=day, working=False, note="Đóng cửa (tiến trình 2)",
                                        agency=agency, actor_id=None, now=datetime.now(UTC))
                db.session.commit()
                out = {"ok": True}
            else:
                out = {"error": cmd}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], *(float(a) for a in sys.argv[2:3]))
