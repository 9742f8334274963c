"""JSON error shape for the API: {"error": {"code", "message"}} (docs/architecture.md §3)."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

# NUL in a query string, form or URL: no field needs it and PostgreSQL text refuses it.
NUL_MESSAGE = "Dữ liệu gửi lên chứa ký tự không hợp lệ (NUL)."


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def json_error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error_body(code, message, **extra)), status
