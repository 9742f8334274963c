"""Shared helpers for the HTTP benchmarks: start/stop gunicorn, drive load over loopback.

Load is driven by ``wrk`` when installed (fixed duration, Lua script rotating through a list
of request paths) and otherwise by a bounded Python generator (threads + http.client, a fixed
number of requests, keep-alive). Both stop by themselves.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """``gunicorn -w N`` serving ``app_spec`` on a free loopback port, as a context manager."""

    def __init__(self, app_spec: str, env: dict[str, str], workers: int = 2, threads: int = 1,
                 chdir: str = ROOT, args: Sequence[str] = ()) -> None:
        """``args``: more gunicorn options (e.g. ``--access-logfile``, ``-c gunicorn.conf.py``)."""
        self.port = free_port()
        exe = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.cmd = [exe, *args, "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{self.port}",
                    "--log-level", "warning", "--chdir", chdir, app_spec]
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(self.cmd, env=self.env, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by this gunicorn's processes (Linux /proc): the
        cost per request that does not depend on what else the machine is running."""
        assert self.proc is not None
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # after the command: state, ppid, pgrp, …; utime and stime are fields 14 and 15 of stat
            if int(fields[2]) == self.proc.pid:  # our own process group (start_new_session)
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group only
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0  # CPU per request of the serving processes, when the caller measured it

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def python_load(port: int, paths: Sequence[str], *, method: str = "GET", body: bytes | None = None,
                headers: dict[str, str] | None = None, total: int = 2000, concurrency: int = 8,
                ok_status: int = 200, bodies: Sequence[str] = ()) -> LoadResult:
    """Exactly ``total`` requests from ``concurrency`` keep-alive connections."""
    lock = threading.Lock()
    counter = iter(range(total))
    lat: list[float] = []
    bad = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        errors = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t = time.perf_counter()
            try:
                b = bodies[i % len(bodies)].encode() if bodies else body
                conn.request(method, paths[i % len(paths)], body=b, headers=headers or {})
                resp = conn.getresponse()
                resp.read()
                if resp.status != ok_status:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t)
        conn.close()
        with lock:
            lat.extend(mine)
            bad[0] += errors

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    el = time.perf_counter() - t0
    lat.sort()
    return LoadResult("python", total, el, total - bad[0], bad[0],
                      statistics.median(lat) * 1000 if lat else 0.0,
                      lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0)


_LUA = """
local paths = {%s}
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  local body = nil
  if #bodies > 0 then body = bodies[(i %% #bodies) + 1] end
  return wrk.format(%s, paths[(i %% #paths) + 1], %s, body)
end
local bad = 0
response = function(status, headers, body)
  if status ~= %d then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"p50\\": %%f, \\"p99\\": %%f, \\"n\\": %%d, \\"bad\\": %%d}\\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def wrk_load(port: int, paths: Sequence[str], *, method: str = "GET", body: str | None = None,
             headers: dict[str, str] | None = None, seconds: int = 10, concurrency: int = 8,
             ok_status: int = 200, bodies: Sequence[str] = ()) -> LoadResult:
    def lua_str(s: str) -> str:
        return json.dumps(s)  # a JSON string literal is a valid Lua string literal for ASCII

    lua_headers = "{" + ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in (headers or {}).items()) + "}"
    all_bodies = list(bodies) or ([body] if body is not None else [])
    script = _LUA % (", ".join(lua_str(p) for p in paths), ", ".join(lua_str(b) for b in all_bodies),
                     lua_str(method), lua_headers, ok_status)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
        path = fh.name
    try:
        out = subprocess.run(["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--latency",
                              "-s", path, f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                             check=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(path)
    m = re.search(r"JSON (\{.*\})", out)
    if m is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    data = json.loads(m.group(1))
    dur = re.search(r"requests in ([\d.]+)(m?s)", out)
    secs = float(dur.group(1)) / (1000 if dur and dur.group(2) == "ms" else 1) if dur else float(seconds)
    return LoadResult("wrk", int(data["n"]), secs, int(data["n"]) - int(data["bad"]), int(data["bad"]),
                      float(data["p50"]), float(data["p99"]))


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, sep, *body])
