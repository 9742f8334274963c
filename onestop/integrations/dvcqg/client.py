"""HTTP client of the national portal (DVCQG), OpenCPS style (docs/integration.md §Transport):
log in for a ``session``, then POST ``{session, madonvi, service, …}`` as JSON. Success is
``error_code`` "00" (or 0); anything else carries the portal's message.

Two kinds of failure, because the outbox treats them differently:
``PortalUnavailable`` — no usable answer (refused connection, time-out, 5xx, a body that is not the
portal's JSON): the portal is down, try again later, never give up on the change;
``PortalRejected`` — the portal answered and said no (its message is kept): after a few tries the
change is dead-lettered with that message for an operator.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

PROGRESS_CHUNK = 10  # progress rows per CapNhatTienDoHoSoMC request (as the OpenCPS client sends them)
RECORD_CHUNK = 50  # dossier records per DongBoHoSoMC request
EXISTS_MARK = "đã tồn tại"


class PortalError(Exception):
    pass


class PortalUnavailable(PortalError):
    """No usable answer: retry later."""


class PortalRejected(PortalError):
    """The portal answered with an error code and message."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code

    @property
    def already_exists(self) -> bool:
        return EXISTS_MARK in str(self).lower()

    @property
    def session_expired(self) -> bool:
        return self.code == "401"


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _ok(code: Any) -> bool:
    return code in ("00", 0, "0")


class PortalClient:
    def __init__(self, base_url: str, username: str, password: str, unit_code: str, *,
                 timeout: float = 20.0, http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.unit_code = unit_code
        self.timeout = timeout
        self.http = http or requests.Session()
        self.session_token: str | None = None

    @classmethod
    def from_config(cls, config: Any) -> PortalClient:
        return cls(str(config["DVCQG_URL"]), str(config.get("DVCQG_USERNAME") or ""),
                   str(config.get("DVCQG_PASSWORD") or ""), str(config["DVCQG_UNIT_CODE"]),
                   timeout=float(config.get("DVCQG_TIMEOUT_SECONDS") or 20))

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------ transport

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = self.http.post(f"{self.base_url}{path}", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise PortalUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
        if resp.status_code >= 500:
            raise PortalUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            answer = resp.json()
        except ValueError:
            raise PortalUnavailable(f"HTTP {resp.status_code}: câu trả lời không phải JSON: "
                                    f"{resp.text[:200]!r}") \
                from None
        if not isinstance(answer, dict) or "error_code" not in answer:
            raise PortalUnavailable(f"HTTP {resp.status_code}: câu trả lời thiếu error_code: "
                                    f"{str(answer)[:200]}")
        if not _ok(answer["error_code"]):
            raise PortalRejected(str(answer.get("message") or answer.get("error_message") or "lỗi không rõ"),
                                 str(answer["error_code"]))
        return answer

    def login(self) -> str:
        answer = self._post("/login", {"username": self.username, "password": self.password})
        token = answer.get("session")
        if not isinstance(token, str) or not token:
            raise PortalUnavailable("đăng nhập: không nhận được session")
        self.session_token = token
        return token

    def call(self, service: str, **fields: Any) -> dict[str, Any]:
        """One service call; logs in first, and once more if the portal says the session expired."""
        for attempt in (1, 2):
            if self.session_token is None:
                self.login()
            body = {"session": self.session_token, "madonvi": self.unit_code, "service": service, **fields}
            try:
                return self._post("/api", body)
            except PortalRejected as exc:
                if exc.session_expired and attempt == 1:
                    self.session_token = None
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------ services

    def push_records(self, records: Sequence[dict[str, Any]], *, updating: bool) -> None:
        """DongBoHoSoMC. Adding a dossier the portal already knows answers "đã tồn tại": the same
        records then go to the update operation (isUpdating "True")."""
        try:
            self.call("DongBoHoSoMC", isUpdating="True" if updating else "False", data=list(records))
        except PortalRejected as exc:
            if updating or not exc.already_exists:
                raise
            self.call("DongBoHoSoMC", isUpdating="True", data=list(records))

    def push_records_new(self, records: Sequence[dict[str, Any]]) -> None:
        self.push_records(records, updating=False)

    def push_records_updating(self, records: Sequence[dict[str, Any]]) -> None:
        self.push_records(records, updating=True)

    def push_progress(self, rows: Sequence[dict[str, Any]]) -> None:
        for part in chunks(rows, PROGRESS_CHUNK):
            self.call("CapNhatTienDoHoSoMC", data=list(part))

    def push_ratings(self, items: Sequence[dict[str, Any]]) -> None:
        self.call("DongBoDanhGia", data=list(items))

    def lookup(self, code: str) -> dict[str, Any]:
        return self.call("TraCuuHoSo", MaHoSo=code)

    def online_submissions(self) -> list[dict[str, Any]]:
        data = self.call("LayHoSoTrucTuyen").get("data")
        if not isinstance(data, list):
            raise PortalUnavailable("LayHoSoTrucTuyen: thiếu danh sách data")
        return data

    def acknowledge(self, items: Sequence[dict[str, Any]]) -> None:
        if items:
            self.call("XacNhanHoSoTrucTuyen", data=list(items))

    def national_documents(self, owner_id: str, channel: int, procedure_code: str,
                           results: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
        """The citizen's documents and results in the national store (docs/integration.md, "Files and
        digitisation"): ``{SoDinhDanhChuSoHuu, KenhThucHien, MaThuTuc, DanhSachDanhMucKetQua}`` →
        ``{errorCode, result: {DanhSachGiayToKetQua}}``."""
        body: dict[str, Any] = {"SoDinhDanhChuSoHuu": owner_id, "KenhThucHien": channel,
                                "MaThuTuc": procedure_code,
                "DanhSachDanhMucKetQua": list(results)}
        try:
            resp = self.http.post(f"{self.base_url}/khoso/tracuu", json=body, timeout=self.timeout)
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise PortalUnavailable(f"kho dữ liệu: {type(exc).__name__}: {exc}"[:500]) from exc
        if not isinstance(answer, dict) or str(answer.get("errorCode")) != "0":
            message = answer.get("message") if isinstance(answer, dict) else None
            raise PortalRejected(str(message or "kho dữ liệu từ chối"),
                                 str(answer.get("errorCode") if isinstance(answer, dict) else ""))
        docs = (answer.get("result") or {}).get("DanhSachGiayToKetQua")
        return [d for d in docs if isinstance(d, dict)] if isinstance(docs, list) else []

    def report_766(self, period: str) -> dict[str, Any]:
        data = self.call("report_tinh_766_service", kyBaoCao=period).get("data")
        return data[0] if isinstance(data, list) and data else {}
