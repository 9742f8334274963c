"""`flask --app onestop onestop due-date` (docs/architecture.md §3): first line the ISO due time."""
from __future__ import annotations

import pytest


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["onestop", "due-date", *args])


def test_worked_example_from_domain_md(app, session):
    res = run(app, "--limit", "5", "--unit", "working_days", "--received", "2026-02-12 10:00")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "2026-02-26T17:00:00+07:00"
    assert any("Tết Nguyên đán" in line for line in lines[1:])


def test_procedure_with_cutoff_counts_from_next_working_day(app, session):
    # 1.001193 birth registration: same day, 15:00 cut-off; Saturday 22/08/2026 is a working day.
    res = run(app, "--procedure", "1.001193", "--received", "2026-08-21 16:00")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "2026-08-22T17:00:00+07:00"


def test_agency_option_uses_its_calendar_and_local_exceptions(app, session):
    from datetime import date

    from onestop.services.admin.calendars import add_exception
    from tests.conftest import NOW
    from tests.factories import agency

    args = ["--procedure", "1.004884", "--received", "2026-04-29 09:00", "--agency", "000.01.31.H25"]
    res = run(app, *args)
    assert res.exit_code == 0, res.output
    # 30/4 and 1/5 are holidays, 2-3/5 a weekend: 5 working days after Wed 29/4 → Fri 08/05.
    assert res.output.splitlines()[0] == "2026-05-08T17:00:00+07:00"
    # The commune (an ancestor of its service centre) closes on Monday 04/05 (e.g. a flood).
    add_exception(session, on=date(2026, 5, 4), working=False, note="Lũ quét",
                  agency=agency(session, "000.00.31.H25"),
                  actor_id=None, now=NOW)
    res = run(app, *args)
    assert res.output.splitlines()[0] == "2026-05-11T17:00:00+07:00"
    assert "Lũ quét" in res.output


def test_calendar_reaches_at_least_five_years_past_today(app, session):
    # docs/domain.md §8: the range is computed from today, not a constant that runs out (it ended in 2030).
    res = run(app, "--limit", "15", "--unit", "working_days", "--received", "2030-12-20 09:00")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "2031-01-13T17:00:00+07:00"
    from datetime import date

    last = date.today().year + 5
    res = run(app, "--limit", "1", "--unit", "working_days", "--received", f"{last}-12-29 09:00")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--procedure", "9.999999", "--received", "2026-01-05 08:00"], "9.999999"),
        (["--agency", "000.00.99.X99", "--procedure", "1.001193", "--received", "2026-01-05 08:00"],
         "000.00.99.X99"),
        (["--limit", "5", "--unit", "working_days", "--received", "05/01/2026 08:00"], "YYYY-MM-DD HH:MM"),
        (["--limit", "-3", "--unit", "working_days", "--received", "2026-01-05 08:00"], "âm"),
        (["--limit", "5", "--unit", "working_days", "--received", "2099-01-06 08:00"], "2099"),
        (["--limit", "5", "--received", "2026-01-05 08:00"], "--unit"),
    ],
)
def test_bad_input_names_the_problem_and_exits_non_zero(app, session, args, fragment):
    res = run(app, *args)
    assert res.exit_code != 0
    assert fragment in res.output


def test_create_user_prints_token_alone_on_last_line(app, session):
    res = app.test_cli_runner().invoke(
        args=["onestop", "create-user", "cli_user", "--role", "clerk", "--agency", "000.01.31.H25",
              "--password-stdin", "--api-token"],
        input="a-long-password-1\n",
    )
    assert res.exit_code == 0, res.output
    token = res.output.strip().splitlines()[-1]
    assert token.startswith("os_") and " " not in token


def test_create_user_rejects_unknown_agency_and_writes_nothing(app, session):
    from onestop.models import User

    res = app.test_cli_runner().invoke(
        args=["onestop", "create-user", "cli_user2", "--role", "clerk", "--agency", "000.00.99.X99",
              "--password-stdin"],
        input="a-long-password-1\n",
    )
    assert res.exit_code != 0
    assert "000.00.99.X99" in res.output
    assert session.query(User).filter_by(username="cli_user2").count() == 0
