"""A local fake of the national portal (DVCQG), strict about the published shapes
(docs/integration.md). Real HTTP, its own small Flask app, in memory:

- ``POST /dvcqg/login`` {username, password} -> {error_code "00", session}
- ``POST /dvcqg/api`` {session, madonvi, service, …}: every message is validated against the JSON
  Schemas in ``schemas/``; a MaHoSo whose agency part is not of the unit's province (its last segment,
  e.g. ``H25`` of ``000.00.00.H25``) is refused; adding a known dossier answers "… đã tồn tại".
- ``/_control/…``: what a test or the demo steers — ``dump`` (everything received, as JSON),
  ``fail`` (time-outs, 5xx, malformed or slow answers, rejections, expired sessions), ``reset``,
  ``submissions`` (online dossiers to serve to the intake), ``score`` (the published 766 score).
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from jsonschema import Draft202012Validator
from werkzeug.serving import WSGIRequestHandler, make_server

from .mapping import portal_date

SCHEMA_DIR = Path(__file__).parent / "schemas"


def load_schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")))


def province_segment(identifier: str) -> str:
    """``000.00.31.H25`` -> ``H25`` (Circular 10/2016/TT-BTTTT: the last group names the province)."""
    return identifier.rsplit(".", 1)[-1].upper()


@dataclass
class FailurePlan:
    mode: str = "none"  # none | timeout | 5xx | malformed | slow | reject | expire
    remaining: int = 0  # requests still to fail; -1 = until reset
    delay: float = 0.0
    services: tuple[str, ...] = ()  # only these services (empty = every request)


@dataclass
class PortalState:
    unit_code: str
    username: str
    password: str
    sessions: set[str] = field(default_factory=set)
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    progress_keys: set[str] = field(default_factory=set)
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The citizens' national document store: owner ID number -> their documents and results.
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    failure: FailurePlan = field(default_factory=FailurePlan)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "unit_code": self.unit_code, "dossiers": self.dossiers, "progress": self.progress,
                "ratings": self.ratings, "submissions": self.submissions, "acknowledged": self.acknowledged,
                "requests": self.requests, "rejections": self.rejections[-200:],
            }


def _answer(code: str = "00", message: str = "Thành công", **extra: Any) -> Response:
    return jsonify({"error_code": code, "message": message, **extra})


def _error(message: str, code: str = "-1") -> Response:
    return _answer(code, message)


class _PortalJSON(DefaultJSONProvider):
    ensure_ascii = False  # Vietnamese as the portal writes it
    sort_keys = False  # fields in the published order


_FAILURE_MODES = ("none", "timeout", "5xx", "malformed", "slow", "reject", "expire")


class _FakePortal:
    """The portal's behaviour over one :class:`PortalState`: each route and each service a method."""

    def __init__(self, state: PortalState) -> None:
        self.state = state
        self.province = province_segment(state.unit_code)
        self.envelope, self.hoso, self.tiendo, self.danhgia, self.online, self.khoso = (
            load_schema(n) for n in ("envelope", "hoso", "tiendo", "danhgia", "online_submission",
                                     "khoso_tracuu"))
        self.handlers: dict[str, Callable[[dict[str, Any]], Response]] = {
            "DongBoHoSoMC": self.sync_records, "CapNhatTienDoHoSoMC": self.sync_progress,
            "DongBoDanhGia": self.sync_ratings, "TraCuuHoSo": self.look_up, "LayThuTuc": self.procedure,
            "LayHoSoTrucTuyen": self.pending_submissions, "XacNhanHoSoTrucTuyen": self.acknowledge,
            "report_tinh_766_service": self.score,
        }

    # ------------------------------------------------------------ helpers

    def failure(self, service: str) -> Response | None:
        """Apply the failure plan set through /_control/fail (counts down)."""
        state = self.state
        plan = state.failure
        with state.lock:
            if plan.mode == "none" or plan.remaining == 0 or (plan.services and service not in plan.services):
                return None
            if plan.remaining > 0:
                plan.remaining -= 1
            mode, delay = plan.mode, plan.delay
        if mode in ("timeout", "slow"):
            time.sleep(delay)
            return None if mode == "slow" else Response("", status=504)
        if mode == "5xx":
            return Response("<html><body>503 Service Unavailable</body></html>", status=503,
                            mimetype="text/html")
        if mode == "malformed":
            return Response('{"error_code": "00", "message": ', status=200, mimetype="application/json")
        if mode == "reject":
            return _error("Hệ thống đang bảo trì, vui lòng thử lại sau", "99")
        if mode == "expire":
            with state.lock:
                state.sessions.clear()
        return None

    def reject(self, service: str, message: str) -> Response:
        with self.state.lock:
            self.state.rejections.append({"service": service, "message": message})
        return _error(message)

    @staticmethod
    def schema_errors(validator: Draft202012Validator, items: list[Any], what: str) -> str | None:
        for i, item in enumerate(items):
            err = next(iter(validator.iter_errors(item)), None)
            if err is not None:
                where = "/".join(str(p) for p in err.absolute_path) or "(gốc)"
                code = item.get("MaHoSo") if isinstance(item, dict) else None
                return f"{what}[{i}] {code or ''} không hợp lệ tại {where}: {err.message}"[:500]
        return None

    def prefix_ok(self, code: str) -> bool:
        agency = code.split("-", 1)[0]
        return province_segment(agency) == self.province

    def unknown_dossier(self, rows: list[dict[str, Any]]) -> Response | None:
        """The refusal for rows about a dossier never synced (called under the lock)."""
        unknown = [r["MaHoSo"] for r in rows if r["MaHoSo"] not in self.state.dossiers]
        return _error(f"Hồ sơ {unknown[0]} chưa được đồng bộ") if unknown else None

    # ------------------------------------------------------------ the portal's endpoints

    def login(self) -> Response:
        failed = self.failure("login")
        if failed is not None:
            return failed
        body = request.get_json(silent=True) or {}
        if body.get("username") != self.state.username or body.get("password") != self.state.password:
            return _error("Sai tên đăng nhập hoặc mật khẩu", "01")
        token = secrets.token_hex(16)
        with self.state.lock:
            self.state.sessions.add(token)
        return _answer(session=token)

    def api(self) -> Response:
        state = self.state
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error("Dữ liệu gửi lên không phải JSON", "-2")
        service = str(body.get("service") or "")
        failed = self.failure(service)
        if failed is not None:
            return failed
        with state.lock:
            state.requests[service] = state.requests.get(service, 0) + 1
        if body.get("session") not in state.sessions:
            return _error("Phiên đăng nhập không hợp lệ hoặc đã hết hạn", "401")
        problem = self.schema_errors(self.envelope, [body], "yêu cầu")
        if problem:
            return self.reject(service, problem)
        if body["madonvi"] != state.unit_code:
            return self.reject(service, f"Mã đơn vị {body['madonvi']} không được cấp cho tài khoản này")
        handler = self.handlers.get(service)
        if handler is None:
            return self.reject(service, f"Dịch vụ {service} chưa hỗ trợ")
        return handler(body)

    def document_store(self) -> Response:
        """A citizen's documents and results in the national store, by owner ID number, procedure and
        result codes ({errorCode, result: {DanhSachGiayToKetQua}}; docs/integration.md)."""
        body = request.get_json(silent=True)
        errors = sorted(self.khoso.iter_errors(body), key=lambda e: list(e.path)) \
            if isinstance(body, dict) else []
        if not isinstance(body, dict) or errors:
            message = errors[0].message if errors else "body is not a JSON object"
            return jsonify({"errorCode": "-1", "message": f"Sai cấu trúc: {message}"[:300]})
        wanted = {str(x.get("MaKetQua")) for x in body["DanhSachDanhMucKetQua"]}
        with self.state.lock:
            docs = [d for d in self.state.documents.get(body["SoDinhDanhChuSoHuu"], [])
                    if not wanted or d.get("MaKetQua") in wanted]
        return jsonify({"errorCode": "0", "result": {"DanhSachGiayToKetQua": docs}})

    # ------------------------------------------------------------ the services behind /dvcqg/api

    def sync_records(self, body: dict[str, Any]) -> Response:
        state = self.state
        items = body["data"]
        problem = self.schema_errors(self.hoso, items, "data")
        if problem:
            return self.reject("DongBoHoSoMC", problem)
        bad = [i["MaHoSo"] for i in items if not self.prefix_ok(i["MaHoSo"])]
        if bad:
            return self.reject("DongBoHoSoMC", f"Mã hồ sơ {bad[0]} không thuộc đơn vị {state.unit_code}")
        with state.lock:
            if body["isUpdating"] == "False":
                known = [i["MaHoSo"] for i in items if i["MaHoSo"] in state.dossiers]
                if known:
                    return _error(f"Hồ sơ {known[0]} đã tồn tại trên hệ thống")
            for item in items:  # update is an upsert: the whole record replaces the last one
                state.dossiers[item["MaHoSo"]] = item
        return _answer()

    def sync_progress(self, body: dict[str, Any]) -> Response:
        state = self.state
        rows = body["data"]
        problem = self.schema_errors(self.tiendo, rows, "data")
        if problem:
            return self.reject("CapNhatTienDoHoSoMC", problem)
        with state.lock:
            refused = self.unknown_dossier(rows)
            if refused is not None:
                return refused
            for row in rows:  # the same row twice is stored once: re-sending is harmless
                key = json.dumps(row, sort_keys=True, ensure_ascii=False)
                if key not in state.progress_keys:
                    state.progress_keys.add(key)
                    state.progress.setdefault(row["MaHoSo"], []).append(row)
        return _answer()

    def sync_ratings(self, body: dict[str, Any]) -> Response:
        items = body["data"]
        problem = self.schema_errors(self.danhgia, items, "data")
        if problem:
            return self.reject("DongBoDanhGia", problem)
        with self.state.lock:
            refused = self.unknown_dossier(items)
            if refused is not None:
                return refused
            for item in items:
                self.state.ratings[item["MaHoSo"]] = item
        return _answer()

    def look_up(self, body: dict[str, Any]) -> Response:
        code = str(body.get("MaHoSo") or "")
        with self.state.lock:
            record = self.state.dossiers.get(code)
            rows = list(self.state.progress.get(code, []))
        if record is None:
            return _error("Không tìm thấy hồ sơ")
        return _answer(data=record, tien_do=rows)

    def procedure(self, body: dict[str, Any]) -> Response:
        return _error("Thủ tục không có trong bản sao cục bộ")

    def pending_submissions(self, body: dict[str, Any]) -> Response:
        with self.state.lock:
            data = [s for code, s in self.state.submissions.items() if code not in self.state.acknowledged]
        return _answer(data=data)

    def acknowledge(self, body: dict[str, Any]) -> Response:
        with self.state.lock:
            for item in body["data"]:
                if isinstance(item, dict) and item.get("MaHoSoQG") in self.state.submissions:
                    self.state.acknowledged[str(item["MaHoSoQG"])] = item
        return _answer()

    def score(self, body: dict[str, Any]) -> Response:
        period = str(body.get("kyBaoCao") or "")
        with self.state.lock:
            row = self.state.scores.get(period)
        if row is None:
            return _answer(data=[])
        return _answer(data=[{"kyBaoCao": period, "madonvi": self.state.unit_code, **row}])

    # ------------------------------------------------------------ control (tests, demo)

    def dump(self) -> Response:
        return jsonify(self.state.dump())

    def fail(self) -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        mode = str(body.get("mode") or "none")
        if mode not in _FAILURE_MODES:
            return jsonify({"error": f"unknown mode {mode}"}), 400
        with self.state.lock:
            self.state.failure = FailurePlan(mode=mode, remaining=int(body.get("count", -1)),
                                             delay=float(body.get("delay", 0)),
                                             services=tuple(body.get("services") or ()))
        return jsonify({"ok": True})

    def reset(self) -> Response:
        state = self.state
        with state.lock:
            for name in ("dossiers", "progress", "ratings", "submissions", "acknowledged", "scores",
                         "requests", "documents"):
                getattr(state, name).clear()
            state.progress_keys.clear()
            state.rejections.clear()
            state.failure = FailurePlan()
        return jsonify({"ok": True})

    def add_submissions(self) -> Response:
        """Online dossiers to serve. Served as given (a test may send malformed ones on purpose);
        the schema only has to hold for what the portal itself would publish."""
        items = request.get_json(silent=True) or []
        with self.state.lock:
            for item in items:
                self.state.submissions[str(item.get("MaHoSoQG"))] = item
        return jsonify({"ok": True, "count": len(items)})

    def set_documents(self) -> Response:
        body = request.get_json(silent=True) or {}
        with self.state.lock:
            owner = str(body.get("SoDinhDanhChuSoHuu"))
            self.state.documents[owner] = list(body.get("DanhSachGiayToKetQua") or [])
        return jsonify({"ok": True})

    def set_score(self) -> Response:
        body = request.get_json(silent=True) or {}
        period = str(body.pop("kyBaoCao", ""))
        with self.state.lock:
            self.state.scores[period] = body
        return jsonify({"ok": True})


def create_fake_app(unit_code: str = "000.00.00.H25", username: str = "dvcqg", password: str = "dvcqg",
                    ) -> Flask:
    app = Flask("onestop_fake_dvcqg")
    app.json = _PortalJSON(app)
    state = PortalState(unit_code=unit_code, username=username, password=password)
    portal = _FakePortal(state)
    app.extensions["dvcqg_state"] = state
    app.extensions["dvcqg_online_schema"] = portal.online
    for rule, view, methods in (
        ("/dvcqg/login", portal.login, ["POST"]),
        ("/dvcqg/api", portal.api, ["POST"]),
        ("/dvcqg/khoso/tracuu", portal.document_store, ["POST"]),
        ("/_control/dump", portal.dump, ["GET"]),
        ("/_control/fail", portal.fail, ["POST"]),
        ("/_control/reset", portal.reset, ["POST"]),
        ("/_control/submissions", portal.add_submissions, ["POST"]),
        ("/_control/documents", portal.set_documents, ["POST"]),
        ("/_control/score", portal.set_score, ["POST"]),
    ):
        app.add_url_rule(rule, view_func=view, methods=methods)
    return app


class FakePortalServer:
    """The fake on a real socket in a background thread (tests, benchmark)."""

    def __init__(self, app: Flask | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        class KeepAlive(WSGIRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a sync run reuses one connection

            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self.app = app or create_fake_app()
        self.server = make_server(host, port, self.app, threaded=True, request_handler=KeepAlive)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self) -> PortalState:
        state = self.app.extensions["dvcqg_state"]
        if not isinstance(state, PortalState):
            raise TypeError("not an app made by create_fake_app")
        return state

    @property
    def base_url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}/dvcqg"

    @property
    def root_url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def start(self) -> FakePortalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakePortalServer:  # noqa: PYI034 - the started server itself
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


DEMO_SUBMISSIONS_NOTE = "Hồ sơ nộp trực tuyến trên Cổng DVCQG (dữ liệu mẫu của cổng giả lập)"


def demo_submissions(now: datetime) -> list[dict[str, Any]]:
    """A few online submissions to the demo province's commune desks (DEMO data, docs/data.md)."""

    base = now - timedelta(hours=3)
    people = [("Nguyễn Thị Hoa", "001190000111", "0912000111", "1.001193"),
              ("Trần Văn Bình", "001085000222", "0987000222", "1.004884"),
              ("Lê Minh Châu", "001201000333", "0356000333", "1.001193")]
    return [{
        "MaHoSoQG": f"G22.DEMO-{now:%y%m%d%H%M%S}-{i + 1:04d}", "MaTTHC": proc, "MaDonVi": "000.01.31.H25",
        "ChuHoSo": name, "SoDinhDanh": idn, "SoDienThoai": phone, "DiaChi": "xã Tân Lạc",
        "NgayNopHoSo": str(portal_date(base + timedelta(minutes=20 * i))),
        "TrichYeuHoSo": DEMO_SUBMISSIONS_NOTE,
        "TaiLieuNop": [{"TepDinhKemId": f"demo-{i}", "TenTepDinhKem": "To khai.pdf",
                        "DuongDanTaiTepTin": f"https://dichvucong.gov.vn/demo/{i}.pdf"}],
    } for i, (name, idn, phone, proc) in enumerate(people)]
