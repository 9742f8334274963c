"""The storage interface on both back-ends: a directory and an S3-compatible server (moto's server
mode, started on 127.0.0.1 by the test)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from onestop.integrations.storage import LocalStorage, S3Storage, storage_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("moto")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Storage:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    store = storage_for({"STORAGE_URL": "s3://onestop-test/prov", "STORAGE_S3_ENDPOINT": s3_endpoint,
                         "STORAGE_S3_REGION": "us-east-1"})
    assert isinstance(store, S3Storage)
    try:
        store.client.create_bucket(Bucket="onestop-test")
    except store.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return store


def _roundtrip(store) -> None:  # type: ignore[no-untyped-def]
    key = "files/2026/03/" + "a" * 32
    store.put(key, b"%PDF-1.7 hello", "application/pdf")
    assert store.get(key) == b"%PDF-1.7 hello"
    listed = {o.key: o for o in store.list("files")}
    assert key in listed and listed[key].size == 14
    assert abs(listed[key].modified_at - datetime.now(UTC)) < timedelta(minutes=5)
    store.delete(key)
    with pytest.raises(KeyError):
        store.get(key)
    assert key not in {o.key for o in store.list("files")}


def test_local_directory_roundtrip(tmp_path):
    _roundtrip(LocalStorage(tmp_path))


def test_s3_roundtrip(s3):
    _roundtrip(s3)
    # The prefix is the province's part of a shared bucket.
    s3.put("files/2026/03/bbb", b"\x89PNG\r\n\x1a\n", "image/png")
    keys = [o["Key"] for o in s3.client.list_objects_v2(Bucket="onestop-test")["Contents"]]
    assert "prov/files/2026/03/bbb" in keys
    s3.delete("files/2026/03/bbb")


@pytest.mark.parametrize("key", ["../x", "files/../../etc/passwd", "/etc/passwd", "files/a/../../b",
                                 "files\\x", "files/a b", "files"])
def test_keys_that_could_escape_are_refused(tmp_path, key):
    store = LocalStorage(tmp_path / "root")
    with pytest.raises(ValueError):
        store.put(key, b"%PDF-", "application/pdf")
    assert not (tmp_path / "etc").exists()


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        storage_for({"STORAGE_URL": "ftp://x/y"})
