"""Operator commands for data safety (docs/operations.md §6): ``onestop backup`` and ``onestop restore``.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot page by page while clerks keep working (WAL readers are not blocked).
* PostgreSQL: ``pg_dump --format=custom`` with the URL's parameters (restore with
  ``pg_restore``, docs/operations.md). The password goes through ``PGPASSWORD`` so it
  never appears in the process list.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.engine import URL, make_url

from ..extensions import db


def register(group: AppGroup) -> None:
    group.add_command(backup_cmd)
    group.add_command(restore_cmd)


def _fail(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)


def _db_url() -> URL:
    return make_url(str(current_app.config["SQLALCHEMY_DATABASE_URI"]))


def _sqlite_path(url: URL) -> Path | None:
    if url.database in (None, "", ":memory:") or str(url.database).startswith("file:"):
        return None
    return Path(str(url.database))


def _default_out(suffix: str) -> Path:
    # The file name carries the local time of the deployment (the operators' clock).
    stamp = datetime.now(ZoneInfo(str(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))))
    folder = Path(current_app.instance_path) / "backups"
    base = folder / f"onestop-{stamp:%Y%m%d-%H%M%S}"
    out = base.with_suffix(suffix)
    n = 1
    while out.exists():  # two backups in the same second
        out = Path(f"{base}-{n}{suffix}")
        n += 1
    return out


def backup_sqlite(src: Path, out: Path) -> None:
    """Consistent online copy of a live SQLite database (WAL included)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target, pages=1024)
            # The copy is a self-contained file, not a WAL database needing a -wal sidecar.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    os.replace(tmp, out)


def pg_dump_command(url: URL, out: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump invocation for ``url`` (custom format: compressed, selective pg_restore)."""
    cmd = ["pg_dump", "--format=custom", "--no-owner", "--file", str(out)]
    if url.host:
        cmd += ["--host", url.host]
    if url.port:
        cmd += ["--port", str(url.port)]
    if url.username:
        cmd += ["--username", url.username]
    cmd += ["--dbname", str(url.database or "")]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    sslmode = url.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return cmd, env


@click.command("backup")
@with_appcontext
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Output file (default instance/backups/onestop-YYYYmmdd-HHMMSS.db or .dump)")
def backup_cmd(out_path: str | None) -> None:
    """Back up the database (SQLite: online backup API; PostgreSQL: pg_dump -Fc)."""
    url = _db_url()
    if url.get_backend_name() == "sqlite":
        src = _sqlite_path(url)
        if src is None or not src.exists():
            _fail(f"Không tìm thấy tệp cơ sở dữ liệu SQLite: {url.database!r}.")
            return
        out = Path(out_path) if out_path else _default_out(".db")
        try:
            backup_sqlite(src, out)
        except sqlite3.Error as exc:
            _fail(f"Sao lưu SQLite thất bại: {exc}")
            return
        click.echo(f"Đã sao lưu: {out} ({out.stat().st_size:,} byte)")
        return
    if url.get_backend_name() == "postgresql":
        if shutil.which("pg_dump") is None:
            _fail("Không tìm thấy pg_dump trong PATH — cài gói postgresql-client cùng phiên bản với máy "
                  "chủ (xem docs/operations.md). (pg_dump not found on PATH.)")
            return
        out = Path(out_path) if out_path else _default_out(".dump")
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd, env = pg_dump_command(url, out)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            _fail(f"pg_dump thất bại (mã {proc.returncode}): {proc.stderr.strip()}")
            return
        click.echo(f"Đã sao lưu: {out} ({out.stat().st_size:,} byte) — khôi phục bằng pg_restore "
                   "(docs/operations.md)")
        return
    _fail(f"Chưa hỗ trợ sao lưu cơ sở dữ liệu '{url.get_backend_name()}'.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced")
def restore_cmd(path: str, yes: bool) -> None:
    """Restore a SQLite backup over the current database (stop the web app and scheduler first)."""
    url = _db_url()
    if url.get_backend_name() != "sqlite":
        _fail("Khôi phục PostgreSQL dùng pg_restore (xem docs/operations.md): "
              "pg_restore --clean --if-exists --no-owner -d <db> <tệp .dump>.")
        return
    dst = _sqlite_path(url)
    src = Path(path)
    if dst is None:
        _fail("Cơ sở dữ liệu hiện tại không phải là tệp SQLite.")
        return
    if not src.is_file():
        _fail(f"Không tìm thấy tệp sao lưu: {src}")
        return
    try:
        check = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            has_version = check.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()[0]
        finally:
            check.close()
    except sqlite3.Error as exc:
        _fail(f"Tệp {src} không phải là bản sao lưu SQLite hợp lệ: {exc}")
        return
    if ok != "ok" or not has_version:
        _fail(f"Tệp {src} không phải là bản sao lưu onestop hợp lệ (integrity_check: {ok}).")
        return
    if not yes:
        _fail(f"Khôi phục sẽ GHI ĐÈ toàn bộ dữ liệu hiện tại ({dst}). Dừng ứng dụng web và bộ lập lịch, "
              "rồi chạy lại với --yes.")
        return

    # Drop our pooled connections; the backup API then replaces every page under a write lock.
    db.session.remove()  # type: ignore[attr-defined]  # the scoped session
    db.engine.dispose()
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dst, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    db.engine.dispose()
    click.echo(f"Đã khôi phục {dst} từ {src}. Chạy `flask --app onestop db upgrade` nếu bản sao lưu cũ hơn "
               "phiên bản hiện tại.")
