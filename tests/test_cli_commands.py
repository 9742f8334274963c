"""`flask onestop create-user | import-agencies | import-procedures` (README.md): one unit of work
each — committed when it succeeds, rolled back with the refusal on stderr and exit status 2."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from onestop.models import Procedure, User


def run(app, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=["onestop", *args], input=stdin)


def test_create_user_commits_and_a_refusal_writes_nothing(app, session) -> None:
    ok = run(app, "create-user", "cli_clerk", "--role", "clerk", "--agency", "000.01.31.H25",
             "--password-stdin", stdin="mot-mat-khau-dai-du\n")
    assert ok.exit_code == 0, ok.output
    assert session.scalar(select(User).where(User.username == "cli_clerk")) is not None
    bad = run(app, "create-user", "cli_other", "--role", "clerk", "--agency", "999.99.99.H99",
              "--password-stdin", stdin="mot-mat-khau-dai-du\n")
    assert bad.exit_code == 2
    assert "Lỗi:" in bad.stderr
    assert session.scalar(select(User).where(User.username == "cli_other")) is None


def test_import_procedures_reports_bad_rows_and_writes_nothing(app, session, tmp_path: Path) -> None:
    path = tmp_path / "procedures.csv"
    path.write_text("code,name,field,level,limit,unit\n"
                    "9.000011,Thủ tục thử,Hộ tịch,xa,3,working_days\n"
                    "9-12,Thủ tục sai mã,Hộ tịch,xa,3,working_days\n", encoding="utf-8")
    bad = run(app, "import-procedures", str(path))
    assert bad.exit_code == 2
    assert "dòng 3" in bad.stderr
    assert session.scalar(select(Procedure).where(Procedure.code == "9.000011")) is None
    path.write_text("code,name,field,level,limit,unit\n9.000011,Thủ tục thử,Hộ tịch,xa,3,working_days\n",
                    encoding="utf-8")
    ok = run(app, "import-procedures", str(path))
    assert ok.exit_code == 0, ok.output
    assert "1 mới" in ok.output
    assert session.scalar(select(Procedure).where(Procedure.code == "9.000011")) is not None
