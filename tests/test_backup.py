"""`flask onestop backup` / `restore` (docs/operations.md §6): a consistent copy that can be put back."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from onestop.cli.ops import pg_dump_command
from onestop.extensions import db
from onestop.models import Agency, Dossier
from tests.factories import receive
from tests.times import MONDAY


def _dossiers(app: Flask) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count(Dossier.id)))
        db.session.remove()
        return int(n or 0)


def _receive_one(app: Flask) -> str:
    with app.app_context():
        code = receive(db.session, now=MONDAY).dossier.code
        db.session.commit()
        db.session.remove()
        return code


def test_backup_then_restore_puts_the_data_back(committed: Flask, tmp_path: Path) -> None:
    if committed.config["ENGINE_KIND"] != "sqlite":
        pytest.skip("restore is SQLite-only; PostgreSQL restores with pg_restore (tested below)")
    runner = committed.test_cli_runner()
    first = _receive_one(committed)
    out = tmp_path / "b" / "onestop.db"
    res = runner.invoke(args=["onestop", "backup", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and "Đã sao lưu" in res.output
    with sqlite3.connect(out) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in c.execute("SELECT code FROM dossiers")] == [first]
    _receive_one(committed)
    assert _dossiers(committed) == 2

    refused = runner.invoke(args=["onestop", "restore", str(out)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert _dossiers(committed) == 2

    res = runner.invoke(args=["onestop", "restore", str(out), "--yes"])
    assert res.exit_code == 0, res.output
    assert _dossiers(committed) == 1
    with committed.app_context():
        assert db.session.scalar(select(Dossier.code)) == first
        assert db.session.scalar(select(func.count(Agency.id))) > 0
        db.session.remove()


def test_backup_default_name_is_timestamped_under_instance_backups(
        committed: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if committed.config["ENGINE_KIND"] != "sqlite":
        pytest.skip("SQLite file naming")
    monkeypatch.setattr(committed, "instance_path", str(tmp_path))
    res = committed.test_cli_runner().invoke(args=["onestop", "backup"])
    assert res.exit_code == 0, res.output
    files = list((tmp_path / "backups").glob("onestop-*.db"))
    assert len(files) == 1
    assert len(files[0].stem) == len("onestop-YYYYmmdd-HHMMSS")


def test_restore_refuses_a_file_that_is_not_a_backup(committed: Flask, tmp_path: Path) -> None:
    if committed.config["ENGINE_KIND"] != "sqlite":
        pytest.skip("SQLite restore")
    bogus = tmp_path / "x.db"
    bogus.write_bytes(b"not a database at all" * 100)
    res = committed.test_cli_runner().invoke(args=["onestop", "restore", str(bogus), "--yes"])
    assert res.exit_code != 0
    assert "không phải" in res.output


def test_postgresql_backup_is_a_pg_dump_that_pg_restore_can_read(committed: Flask, tmp_path: Path) -> None:
    if committed.config["ENGINE_KIND"] != "postgresql":
        pytest.skip("PostgreSQL only")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    code = _receive_one(committed)
    out = tmp_path / "onestop.dump"
    res = committed.test_cli_runner().invoke(args=["onestop", "backup", "--out", str(out)])
    assert res.exit_code == 0, res.output
    listing = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True, text=True, check=True)
    assert "TABLE DATA public dossiers" in listing.stdout
    data = subprocess.run(["pg_restore", "--data-only", "--table=dossiers", "--file=-", str(out)],
                          capture_output=True, text=True, check=True)
    assert code in data.stdout


def test_postgresql_backup_without_pg_dump_is_a_clear_error(
        committed: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    if committed.config["ENGINE_KIND"] != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr("onestop.cli.ops.shutil.which", lambda _name: None)
    res = committed.test_cli_runner().invoke(args=["onestop", "backup"])
    assert res.exit_code != 0
    assert "pg_dump" in res.output


def test_pg_dump_gets_the_url_parameters_and_the_password_only_by_environment() -> None:
    from sqlalchemy.engine import make_url

    cmd, env = pg_dump_command(make_url("postgresql+psycopg://clerk:s3cret@db.local:6432/onestop"),
                               Path("/tmp/x.dump"))
    assert cmd[:2] == ["pg_dump", "--format=custom"]
    assert ["--host", "db.local"] == cmd[cmd.index("--host"):cmd.index("--host") + 2]
    assert "6432" in cmd and "clerk" in cmd and cmd[-1] == "onestop"
    assert "s3cret" not in " ".join(cmd) and env["PGPASSWORD"] == "s3cret"
