"""Bulk generator of a province-scale history (docs/benchmarks.md).

    python bench/generate.py --url sqlite:///instance/bench.db -n 1000000
    python bench/generate.py --url postgresql+psycopg://postgres@127.0.0.1/bench -n 100000

N dossiers (default 1,000,000) over 5 years, ~200 agencies (a province, its centre,
departments and ~58 communes with their centres and police), ~500 procedures with real
deadline shapes (same-day … 30 working days, working hours, calendar days, cut-off
15:00), all three channels, 3–8 events per dossier, ~10 % supplements (with the pause
rows), ~10 % late, ~2 % refused, ~1 % withdrawn, ~1 % stopped, and about 3 % still
open (recent dossiers plus an overdue backlog).

This is a *benchmark loader*, not the application's write path: rows are computed in
Python and loaded in bulk (SQLite ``executemany`` inside one transaction per chunk,
PostgreSQL ``COPY … FROM STDIN`` through psycopg). On PostgreSQL the chunks (``--chunk-days``
working days each, with their own random stream and id range) are shared between ``--workers``
forked processes, each with its own connection; the indexes that back no constraint are dropped
before the load and built once after it, the loader sessions skip the WAL flush per commit and, as
superuser, the per-row foreign-key triggers (the generated ids are consistent). Codes come from
``domain.codes.format_code`` with per-agency-and-day sequences (and ``code_sequences``
is filled so that real receptions continue the numbering); due times from
``domain.deadlines.compute_due`` on the national calendar (``explain=False``).
Every dossier shares one lookup secret (``--secret``, hashed with ``--secret-key``) so
the lookup benchmark can query any code. The database is migrated first
(``flask_migrate.upgrade`` in an app built with ``--url``).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# bench/calendar.py would shadow the standard library's `calendar` when run as a script.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != HERE]
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

BENCH_SECRET = "BENCH2345"
BENCH_KEY = "bench-secret-key"
PROVINCE = "G88"  # a letter+digits code no real seed uses, so bench agencies never clash

DOSSIER_COLS = (
    "id", "code", "lookup_secret_hash", "phone_last4_hash", "procedure_id", "receiving_agency_id",
    "current_agency_id", "assignee_id", "applicant_name", "applicant_search", "applicant_id_number",
    "applicant_phone", "applicant_email", "applicant_address", "channel", "documents", "note", "rule_set",
    "limit_value", "limit_unit", "submitted_at", "received_at", "clock_base_at", "clock_start_at", "due_at",
    "promised_due_at", "apology_reason", "status", "supplement_count", "finished_at", "returned_at",
    "result_note", "updated_at", "version",
)
EVENT_COLS = ("dossier_id", "seq", "at", "actor_id", "agency_id", "action", "from_status", "to_status",
              "note", "public", "payload")
PAUSE_COLS = ("dossier_id", "kind", "reason", "items", "started_at", "ended_at")


def progress(done: int, total: int, started: float, label: str) -> None:
    width = 30
    frac = done / total if total else 1.0
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    el = time.perf_counter() - started
    rate = done / el if el > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    sys.stderr.write(f"\r{label} [{bar}] {done:>9,}/{total:,} {frac:6.1%} {rate:9,.0f}/s ETA {eta:5.0f}s")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


# ---------------------------------------------------------------------------- reference data

def build_reference(conn: Any, rng: random.Random, n_agencies: int, n_procedures: int) -> dict[str, Any]:
    """Agencies, procedures and a few users per agency through SQLAlchemy Core (small)."""
    from sqlalchemy import func, insert, select

    from onestop.models import Agency, Procedure, ProcedureStep, User
    from onestop.services.admin.accounts import hash_password

    mine = Agency.identifier.like(f"%.{PROVINCE}")
    if conn.execute(select(func.count()).select_from(Agency).where(mine)).scalar():
        raise SystemExit(f"the database already holds bench agencies (*.{PROVINCE}); use a fresh database")
    next_id = (conn.execute(select(func.coalesce(func.max(Agency.id), 0))).scalar() or 0) + 1
    rows: list[dict[str, Any]] = []

    def add(ident: str, name: str, level: str, kind: str, parent: dict[str, Any] | None) -> dict[str, Any]:
        nonlocal next_id
        row = {"id": next_id, "identifier": ident, "name": name, "short_name": name[:120], "level": level,
               "kind": kind, "parent_id": parent["id"] if parent else None,
               "path": (parent["path"] if parent else "/") + f"{next_id}/", "demo_identifier": True,
               "valid_from": date(2020, 1, 1), "note": "bench"}
        next_id += 1
        rows.append(row)
        return row

    root = add(f"000.00.00.{PROVINCE}", "UBND tỉnh Bench", "province", "people_committee", None)
    centre = add(f"000.00.01.{PROVINCE}", "TTPVHCC tỉnh Bench", "centre", "service_centre", root)
    leads: list[dict[str, Any]] = []
    for i, kind in enumerate(["department"] * 20 + ["police", "social_insurance", "land_registry", "tax"]):
        leads.append(add(f"000.00.{i + 2:02d}.{PROVINCE}", f"Sở/ngành {i + 1}", "department", kind, root))
    communes: list[tuple[dict[str, Any], dict[str, Any]]] = []
    n_communes = max(1, (n_agencies - len(rows)) // 3)
    for j in range(n_communes):
        yy = 31 + j % 69
        v = j // 69
        ubnd = add(f"{v:03d}.00.{yy:02d}.{PROVINCE}", f"UBND xã {j + 1}", "commune", "people_committee", root)
        desk = add(f"{v:03d}.01.{yy:02d}.{PROVINCE}", f"TTPVHCC xã {j + 1}", "centre",
                   "commune_service_centre", ubnd)
        add(f"{v:03d}.02.{yy:02d}.{PROVINCE}", f"Công an xã {j + 1}", "unit", "commune_police", ubnd)
        communes.append((desk, ubnd))
    conn.execute(insert(Agency.__table__), rows)

    # Procedures: deadline shapes as in the national catalogue (most in working days).
    shapes = ([(Decimal(0), "working_days")] * 20 + [(Decimal(1), "working_days")] * 10
              + [(Decimal(n), "working_days") for n in (3, 5, 7, 10, 15, 20, 30) for _ in range(8)]
              + [(Decimal(8), "working_hours")] * 4 + [(Decimal(40), "working_hours")] * 2
              + [(Decimal(10), "calendar_days")] * 3 + [(Decimal(15), "calendar_days")] * 3)
    fields = ["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Kinh doanh", "Bảo trợ xã hội", "Cư trú",
              "Giáo dục", "Y tế", "Giao thông"]
    p_next = (conn.execute(select(func.coalesce(func.max(Procedure.id), 0))).scalar() or 0) + 1
    procs: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    n_prov = n_procedures // 5
    for k in range(n_procedures):
        limit, unit = rng.choice(shapes)
        provincial = k < n_prov
        p = {"id": p_next + k, "code": f"9.{k:06d}", "name": f"Thủ tục bench {k}",
             "name_search": f"thu tuc bench {k}",
             "field": rng.choice(fields), "level": "tinh" if provincial else "xa", "limit_value": limit,
             "limit_unit": unit, "cutoff": datetime.strptime("15:00", "%H:%M").time() if limit == 0 else None,
             "supplement_regime": "restart" if rng.random() < 0.1 else "pause",
             "online_level": rng.choice(["none", "mot_phan", "mot_phan", "toan_trinh"]),
             "documents": ["Tờ khai", "Giấy tờ tùy thân"], "receiving_kind": "service_centre" if provincial
             else "commune_service_centre", "lead_kind": "department" if provincial else "people_committee",
             "effective_from": date(2020, 1, 1), "active": True}
        procs.append(p)
        if rng.random() < 0.05:
            for seq, (kind, share) in enumerate([(p["lead_kind"], 40), ("commune_police", 30),
                                                 ("social_insurance", 30)], start=1):
                steps.append({"procedure_id": p["id"], "seq": seq, "agency_kind": kind,
                              "share_percent": Decimal(share)})
    conn.execute(insert(Procedure.__table__), procs)
    if steps:
        conn.execute(insert(ProcedureStep.__table__), steps)

    pw = hash_password("bench-password-123")
    now = datetime.now(UTC)
    u_next = (conn.execute(select(func.coalesce(func.max(User.id), 0))).scalar() or 0) + 1
    users: list[dict[str, Any]] = []
    staff: dict[int, dict[str, int]] = {}

    def user(agency: dict[str, Any], role: str) -> None:
        nonlocal u_next
        users.append({"id": u_next, "username": f"b{agency['id']}.{role}",
                      "full_name": f"{role} {agency['name']}",
                      "role": role, "agency_id": agency["id"], "password_hash": pw, "created_at": now,
                      "email": ""})
        staff.setdefault(agency["id"], {})[role] = u_next
        u_next += 1

    user(centre, "clerk")
    for lead in leads:
        user(lead, "head")
        user(lead, "officer")
    for desk, ubnd in communes:
        user(desk, "clerk")
        user(ubnd, "head")
        user(ubnd, "officer")
    conn.execute(insert(User.__table__), users)
    desks = [(centre, leads, [p for p in procs if p["level"] == "tinh"])]
    commune_procs = [p for p in procs if p["level"] == "xa"]
    desks += [(desk, [ubnd], commune_procs) for desk, ubnd in communes]
    return {"desks": desks, "staff": staff, "agencies": rows, "procedures": procs}


# ---------------------------------------------------------------------------- dossiers

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Bùi", "Đinh", "Quách", "Hà", "Vũ", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Hữu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Lan", "Linh", "Mai", "Nam", "Sơn", "Thảo", "Trang",
         "Tuấn", "Vân", "Yến"]


class Generator:
    def __init__(self, ref: dict[str, Any], cal: Any, rng: random.Random, end: datetime, years: int,
                 secret_hash: str, engine_kind: str, first_id: int) -> None:
        from onestop.domain.deadlines import DeadlineRule, LimitUnit
        from onestop.services.dossiers.applicant import fold

        self.ref, self.cal, self.rng, self.end = ref, cal, rng, end
        self.kind = engine_kind
        self.secret_hash = secret_hash
        self.next_id = first_id
        self.start = end - timedelta(days=round(365.25 * years))
        self.rules = {p["id"]: DeadlineRule(limit=Decimal(p["limit_value"]), unit=LimitUnit(p["limit_unit"]),
                                            cutoff=p["cutoff"]) for p in ref["procedures"]}
        self.names = []
        for _ in range(3000):
            n = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            self.names.append((n, fold(n)))
        self.desk_weights = [0.25] + [0.75 / max(1, len(ref["desks"]) - 1)] * (len(ref["desks"]) - 1)
        self.code_seq: dict[tuple[int, date], int] = {}
        self.mpd = cal.minutes_per_day

    def ts(self, t: datetime | None) -> Any:
        if t is None:
            return None
        t = t.astimezone(UTC)
        if self.kind == "sqlite":  # the text UTCDateTime stores on SQLite (naive UTC)
            return t.replace(tzinfo=None).isoformat(" ", "microseconds")
        return t

    def working_days(self) -> list[date]:
        cal = self.cal
        d = cal.local_date(self.start)
        last = cal.local_date(self.end)
        out = []
        while d <= last:
            if cal.is_working_day(d):
                out.append(d)
            d += timedelta(days=1)
        return out

    def day(self, day: date, n: int) -> tuple[list[tuple], list[tuple], list[tuple]]:
        rng, cal, mpd = self.rng, self.cal, self.mpd
        opening = cal.opening(day)
        times = sorted(cal.add_working_minutes(opening, rng.randrange(mpd)) for _ in range(n))
        out: tuple[list[tuple], list[tuple], list[tuple]] = ([], [], [])
        for t0 in times:
            if t0 <= self.end:
                self.one(day, t0, out)
        return out

    def one(self, day: date, t0: datetime, out: tuple[list[tuple], list[tuple], list[tuple]]) -> None:
        """One dossier submitted or received at ``t0``: its row, events and pauses appended to ``out``."""
        from onestop.domain.codes import format_code
        from onestop.domain.deadlines import compute_due

        rng, cal = self.rng, self.cal
        dossiers, events, _pauses = out
        desk, leads, procs = rng.choices(self.ref["desks"], self.desk_weights)[0]
        p = rng.choice(procs)
        lead = leads[0] if len(leads) == 1 else rng.choice(leads)
        x = rng.random()
        channel = "online" if p["online_level"] != "none" and x < 0.4 else "postal" if x > 0.95 else "direct"
        key = (desk["id"], day)
        seq = self.code_seq.get(key, 0) + 1
        self.code_seq[key] = seq
        code = format_code(desk["identifier"], day, seq)
        did = self.next_id
        self.next_id += 1
        clerk = self.ref["staff"][desk["id"]]["clerk"]
        submitted = t0 - timedelta(minutes=rng.randint(10, 900)) if channel == "online" else t0
        evs: list[tuple[datetime, int | None, int, str, str | None, str, dict[str, Any]]] = []
        if channel == "online":
            evs.append((submitted, None, desk["id"], "submit_online", None, "new_online",
                        {"channel": "online"}))
        fate = rng.random()
        name, search = rng.choice(self.names)
        base = {"code": code, "proc": p, "desk": desk, "lead": lead, "submitted": submitted, "name": name,
                "search": search, "channel": channel}
        if fate < 0.02:  # refused at the desk
            evs.append((t0, clerk, desk["id"], "refuse", evs[-1][5] if evs else None, "refused",
                        {"reason": "Không thuộc thẩm quyền"}))
            dossiers.append(self.row(did, base, status="refused", received=None, due=None, clock=None,
                                     finished=t0, returned=None, current=desk["id"], assignee=None,
                                     supplements=0, updated=t0))
            self.emit(events, did, evs)
            return
        due = compute_due(t0, self.rules[p["id"]], cal, channel=channel, explain=False)
        evs.append((t0, clerk, desk["id"], "receive", evs[-1][5] if evs else None, "received",
                    {"due_at": due.due_at.isoformat()}))
        self.received(did, base, t0, due.due_at, due.clock_start, evs, out)

    def received(self, did: int, base: dict[str, Any], t0: datetime, due_at: datetime, clock: datetime,
                 evs: list[tuple], out: tuple[list[tuple], list[tuple], list[tuple]]) -> None:
        """A received dossier: transfer, assignment, maybe a supplement, then its end (or none yet)."""
        rng, cal, mpd, end = self.rng, self.cal, self.mpd, self.end
        dossiers, events, pauses = out
        desk, lead, channel = base["desk"], base["lead"], base["channel"]
        staff = self.ref["staff"]
        clerk, head, officer = (staff[desk["id"]]["clerk"], staff[lead["id"]]["head"],
                                staff[lead["id"]]["officer"])
        t = cal.add_working_minutes(t0, rng.randint(5, 90))
        evs.append((t, clerk, desk["id"], "transfer", "received", "processing",
                    {"to_agency": lead["identifier"]}))
        t = cal.add_working_minutes(t, rng.randint(5, 120))
        evs.append((t, head, lead["id"], "assign", "processing", "processing", {}))
        common = {"received": t0, "clock": clock, "current": lead["id"], "assignee": officer}
        supplements = 0
        if rng.random() < 0.10:
            supplements = 1
            moved = self.supplement(did, t, due_at, evs, pauses, clerk, officer, desk, lead)
            if moved is None:  # still awaiting the papers
                dossiers.append(self.row(did, base, status="awaiting_supplement", due=due_at, finished=None,
                                         returned=None, supplements=1, updated=evs[-1][0], **common))
                self.emit(events, did, evs)
                return
            t, due_at = moved
        r = rng.random()
        left = max(1, cal.working_minutes_between(t, due_at))
        # Never finished yet: the overdue backlog of the last two years (disputes, lost files).
        backlog = (end - t0).days < 730 and rng.random() < 0.05
        if r < 0.10:
            finish = cal.add_working_minutes(max(t, due_at), rng.randint(30, 6 * mpd))
        else:
            finish = cal.add_working_minutes(t, max(1, int(left * rng.uniform(0.15, 0.98))))
        if backlog or finish > end:
            dossiers.append(self.row(did, base, status="processing", due=due_at, finished=None, returned=None,
                                     supplements=supplements, updated=evs[-1][0], **common))
        elif 0.96 < r < 0.98:
            ending = "withdraw" if r < 0.97 else "stop"
            actor, ag = (clerk, desk["id"]) if ending == "withdraw" else (officer, lead["id"])
            status = "withdrawn" if ending == "withdraw" else "stopped"
            evs.append((finish, actor, ag, ending, "processing", status, {"reason": "bench"}))
            dossiers.append(self.row(did, base, status=status, due=due_at, finished=finish, returned=None,
                                     supplements=supplements, updated=finish, **common))
        else:
            evs.append((finish, officer, lead["id"], "complete", "processing", "result_ready",
                        {"timing": "late" if finish > due_at else "on_time"}))
            ret = cal.add_working_minutes(finish, rng.randint(30, 4 * mpd))
            if ret <= end and rng.random() < 0.97:
                evs.append((ret, clerk, desk["id"], "return_result", "result_ready", "returned",
                            {"method": channel}))
                status, returned, updated = "returned", ret, ret
            else:
                status, returned, updated = "result_ready", None, finish
            dossiers.append(self.row(did, base, status=status, due=due_at, finished=finish, returned=returned,
                                     supplements=supplements, updated=updated,
                                     **{**common, "current": desk["id"]}))
        self.emit(events, did, evs)

    def supplement(self, did: int, t: datetime, due_at: datetime, evs: list[tuple], pauses: list[tuple],
                   clerk: int, officer: int, desk: dict[str, Any],
                   lead: dict[str, Any]) -> tuple[datetime, datetime] | None:
        """A supplement request after assignment: (resume time, moved due time), or None while the
        papers are still awaited at the end of the history."""
        rng, cal, mpd, ts = self.rng, self.cal, self.mpd, self.ts
        left = max(2, cal.working_minutes_between(t, due_at))
        ps = cal.add_working_minutes(t, rng.randint(1, left // 2 + 1))
        pe = cal.add_working_minutes(ps, rng.randint(mpd // 2, 6 * mpd))
        evs.append((ps, officer, lead["id"], "request_supplement", "processing", "awaiting_supplement",
                    {"request_number": 1}))
        if pe > self.end:
            pauses.append((did, "supplement", "Thiếu giấy tờ", "[]", ts(ps), None))
            return None
        evs.append((pe, clerk, desk["id"], "provide_supplement", "awaiting_supplement", "processing", {}))
        pauses.append((did, "supplement", "Thiếu giấy tờ", "[]", ts(ps), ts(pe)))
        return pe, cal.add_working_minutes(due_at, max(0, cal.working_minutes_between(ps, pe)))

    def row(self, did: int, b: dict[str, Any], *, status: str, received: datetime | None,
            due: datetime | None, clock: datetime | None, finished: datetime | None,
            returned: datetime | None, current: int, assignee: int | None, supplements: int,
            updated: datetime) -> tuple:
        p = b["proc"]
        ts = self.ts
        new_rules = b["submitted"].astimezone(self.cal.tz).date() >= date(2025, 7, 1)
        rule_set = "ND118/2025" if new_rules else "ND61/2018"
        has_clock = received is not None
        return (did, b["code"], self.secret_hash, None, p["id"], b["desk"]["id"], current, assignee,
                b["name"], b["search"], *self.contact(did), "", "", b["channel"], "[]", "", rule_set,
                str(p["limit_value"]) if has_clock else None, p["limit_unit"] if has_clock else None,
                ts(b["submitted"]), ts(received), ts(received), ts(clock), ts(due), None, "", status,
                supplements, ts(finished), ts(returned), "", ts(updated), 1)

    @staticmethod
    def contact(did: int) -> tuple[str, str]:
        """A distinct citizen ID (12 digits) and mobile number (10 digits, 03/05/07/08/09) per
        dossier, derived from the id (no draw from the generator, so the rest of the data is
        unchanged), stored normalised as the application writes them (the search box, docs/benchmarks.md)."""
        mix = (did * 2654435761) % 10**9
        return f"0{(did * 7919) % 10**11:011d}", f"0{'35789'[did % 5]}{mix:08d}"[:10]

    def emit(self, out: list[tuple], did: int, evs: list[tuple]) -> None:
        ts = self.ts
        for seq, (at, actor, agency, action, frm, to, payload) in enumerate(evs, start=1):
            out.append((did, seq, ts(at), actor, agency, action, frm, to, "", action != "assign",
                        json.dumps(payload, ensure_ascii=False) if payload else "{}"))


# ---------------------------------------------------------------------------- loaders

def _insert_sql(table: str, cols: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def load_sqlite(raw: Any, dossiers: list[tuple], events: list[tuple], pauses: list[tuple]) -> None:
    cur = raw.cursor()
    cur.execute("BEGIN")
    cur.executemany(_insert_sql("dossiers", DOSSIER_COLS), dossiers)
    cur.executemany(_insert_sql("dossier_events", EVENT_COLS), events)
    if pauses:
        cur.executemany(_insert_sql("pause_intervals", PAUSE_COLS), pauses)
    cur.execute("COMMIT")


def load_pg(raw: Any, dossiers: list[tuple], events: list[tuple], pauses: list[tuple]) -> None:
    with raw.cursor() as cur:
        for table, cols, rows in (("dossiers", DOSSIER_COLS, dossiers),
                                  ("dossier_events", EVENT_COLS, events),
                                  ("pause_intervals", PAUSE_COLS, pauses)):
            if not rows:
                continue
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
    raw.commit()


# ---------------------------------------------------------------------------- PostgreSQL bulk path

BULK_TABLES = ("dossiers", "dossier_events", "pause_intervals")


def drop_secondary_indexes(raw: Any) -> list[str]:
    """Drop the loaded tables' indexes that back no constraint (they are built once at the end,
    far faster than maintained row by row); return their definitions."""
    with raw.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = current_schema() "
                    "AND tablename = ANY(%s) AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY indexname",
                    (list(BULK_TABLES),))
        rows = cur.fetchall()
        for name, _definition in rows:
            cur.execute(f'DROP INDEX "{name}"')
    raw.commit()
    return [definition for _name, definition in rows]


def rebuild_indexes(raw: Any, definitions: list[str]) -> None:
    with raw.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cur.execute(definition)
    raw.commit()


def bulk_session(raw: Any) -> None:
    """A loader connection: no wait for the WAL flush per chunk (a crash loses the run, which is
    restarted on a fresh database anyway), and — as superuser — no per-row foreign-key trigger
    (the generator writes consistent ids)."""
    with raw.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        try:
            cur.execute("SET session_replication_role = replica")
        except Exception:  # noqa: BLE001 - not a superuser: keep the checks
            raw.rollback()
            cur.execute("SET synchronous_commit = off")
    raw.commit()


Job = tuple[int, list[date], list[int], int]  # chunk number, its days, dossiers per day, first id


def run_jobs(gen: Generator, seed: int, jobs: list[Job], loader: Any, raw: Any,
             report: Any) -> dict[tuple[int, date], int]:
    """Generate and load the chunks; each chunk has its own random stream and id range, so the
    data do not depend on how the chunks are shared between processes."""
    for k, days, counts, first in jobs:
        gen.rng = random.Random(f"{seed}:{k}")
        gen.next_id = first
        dossiers: list[tuple] = []
        events: list[tuple] = []
        pauses: list[tuple] = []
        for day, n in zip(days, counts, strict=True):
            d, e, p = gen.day(day, n)
            dossiers += d
            events += e
            pauses += p
        loader(raw, dossiers, events, pauses)
        report(len(dossiers), len(events))
    return gen.code_seq


def _pg_worker(gen: Generator, seed: int, jobs: list[Job], conninfo: str, q: Any) -> None:
    import psycopg

    raw = psycopg.connect(conninfo)
    bulk_session(raw)
    gen.code_seq = {}
    seqs = run_jobs(gen, seed, jobs, load_pg, raw, lambda d, e: q.put(("chunk", d, e)))
    raw.close()
    q.put(("done", seqs, 0))


def run_parallel(gen: Generator, seed: int, jobs: list[Job], url: str, workers: int,
                 report: Any) -> dict[tuple[int, date], int]:
    """Chunks dealt round-robin to ``workers`` forked processes, each with its own connection."""
    import multiprocessing as mp

    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_pg_worker, args=(gen, seed, jobs[w::workers], conninfo, q))
             for w in range(workers)]
    for proc in procs:
        proc.start()
    seqs: dict[tuple[int, date], int] = {}
    done = 0
    while done < workers:
        kind, a, b = q.get(timeout=3600)
        if kind == "chunk":
            report(a, b)
        else:
            seqs.update(a)  # chunks are whole days, so no (desk, day) key is in two workers
            done += 1
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"a loader process failed ({proc.exitcode})")
    return seqs


def plan_jobs(days: list[date], counts: list[int], chunk_days: int, first_id: int) -> list[Job]:
    jobs: list[Job] = []
    next_id = first_id
    for k, start in enumerate(range(0, len(days), chunk_days)):
        part = counts[start:start + chunk_days]
        jobs.append((k, days[start:start + chunk_days], part, next_id))
        next_id += sum(part)  # dossiers past the end of the history leave gaps in the ids
    return jobs


def finish_sqlite(raw: Any, seq_rows: list[tuple]) -> None:
    cur = raw.cursor()
    cur.execute("BEGIN")
    cur.executemany("INSERT INTO code_sequences (agency_id, on_date, last_seq) VALUES (?, ?, ?)", seq_rows)
    cur.execute("COMMIT")
    cur.execute("ANALYZE")


def finish_pg(raw: Any, seq_rows: list[tuple]) -> None:
    cur = raw.cursor()
    with cur.copy("COPY code_sequences (agency_id, on_date, last_seq) FROM STDIN") as cp:
        for r in seq_rows:
            cp.write_row(r)
    for table in ("dossiers", "agencies", "procedures", "users"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))")
    raw.commit()
    raw.autocommit = True
    for table in BULK_TABLES:
        cur.execute(f"VACUUM ANALYZE {table}")
    raw.autocommit = False


def spread(rng: random.Random, total: int, n_days: int) -> list[int]:
    """N over the working days (a little noise, exact total)."""
    counts = [total // n_days] * n_days
    for i in rng.sample(range(n_days), total - sum(counts)):
        counts[i] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="SQLAlchemy URL of the (fresh) target database")
    ap.add_argument("-n", "--dossiers", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--agencies", type=int, default=200)
    ap.add_argument("--procedures", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20260301)
    ap.add_argument("--end", default=None, help="ISO instant the history ends at (default: now)")
    ap.add_argument("--secret", default=BENCH_SECRET, help="the lookup secret of every generated dossier")
    ap.add_argument("--secret-key", default=BENCH_KEY, help="ONESTOP_SECRET_KEY the app will run with")
    ap.add_argument("--chunk-days", type=int, default=20, help="working days per load transaction")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="PostgreSQL: loader processes (each generates and COPYs whole chunks)")
    args = ap.parse_args(argv)

    from flask_migrate import upgrade
    from sqlalchemy import text

    from onestop import create_app
    from onestop.domain.codes import hash_secret
    from onestop.extensions import db
    from onestop.services.admin.calendars import national_calendar

    started = time.perf_counter()
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": args.secret_key})
    end = (datetime.fromisoformat(args.end) if args.end else datetime.now(UTC)).replace(second=0,
                                                                                       microsecond=0)
    if end.tzinfo is None:
        raise SystemExit("--end needs a time zone offset")
    rng = random.Random(args.seed)
    with app.app_context():
        sys.stderr.write("migrating…\n")
        upgrade()
        t_mig = time.perf_counter()
        engine = db.engine
        kind = engine.dialect.name
        with engine.begin() as conn:
            ref = build_reference(conn, rng, args.agencies, args.procedures)
            first_id = (conn.execute(text("SELECT coalesce(max(id), 0) FROM dossiers")).scalar() or 0) + 1
        cal = national_calendar(db.session)
        gen = Generator(ref, cal, rng, end, args.years, hash_secret(args.secret, args.secret_key.encode()),
                        kind, first_id)
        days = gen.working_days()
        jobs = plan_jobs(days, spread(rng, args.dossiers, len(days)), args.chunk_days, first_id)
        raw = engine.raw_connection()
        dbapi = raw.driver_connection
        tally = [0, 0]
        t_load = time.perf_counter()

        def report(n_dossiers: int, n_events: int) -> None:
            tally[0] += n_dossiers
            tally[1] += n_events
            progress(tally[0], args.dossiers, t_load, "dossiers")

        t_index = 0.0
        if kind == "sqlite":
            seqs = run_jobs(gen, args.seed, jobs, load_sqlite, dbapi, report)
        else:
            definitions = drop_secondary_indexes(dbapi)
            seqs = run_parallel(gen, args.seed, jobs, args.url, max(1, args.workers), report)
            t0 = time.perf_counter()
            sys.stderr.write(f"building {len(definitions)} indexes…\n")
            rebuild_indexes(dbapi, definitions)
            t_index = time.perf_counter() - t0
        # The numbering continues after the generated codes; identity sequences too.
        seq_rows = [(aid, d.isoformat(), n) for (aid, d), n in seqs.items()]
        (finish_sqlite if kind == "sqlite" else finish_pg)(dbapi, seq_rows)
        raw.close()
        load = time.perf_counter() - t_load
        total = time.perf_counter() - started
        with engine.connect() as c:
            open_n = c.execute(text("SELECT count(*) FROM dossiers WHERE finished_at IS NULL")).scalar() or 0
            late = c.execute(text("SELECT count(*) FROM dossiers WHERE finished_at > due_at")).scalar() or 0
        done, n_events = tally
        out = io.StringIO()
        out.write(f"engine      {kind}  workers {args.workers if kind != 'sqlite' else 1}\n")
        out.write(f"dossiers    {done:,}  events {n_events:,} ({n_events / max(1, done):.1f}/dossier)\n")
        out.write(f"agencies    {len(ref['agencies'])}  procedures {len(ref['procedures'])}  "
                  f"working days {len(days)}\n")
        out.write(f"open        {open_n / max(1, done):.1%}   "
                  f"late (finished after due) {late / max(1, done):.1%}\n")
        out.write(f"time        {total:.1f} s total (migrate {t_mig - started:.1f} s, generate+load+index "
                  f"{load:.1f} s of which indexes {t_index:.1f} s, "
                  f"{done / max(1e-9, load):,.0f} dossiers/s)\n")
        out.write(f"load avg    {os.getloadavg()}\n")
        print(out.getvalue(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
