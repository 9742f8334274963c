"""The one reader of JSON request bodies (docs/security.md, "Staff sessions and API").

A body is refused with a 4xx in the JSON error shape — never a 500 — when it is not UTF-8
(RFC 8259 §8.1), not JSON, nested deeper than any schema of the API needs (50,000 brackets
made the parser raise RecursionError), or carries text no field may hold: a lone UTF-16
surrogate (``"\\ud800"`` is valid JSON but not Unicode text; SQLite's driver and PostgreSQL
cannot store it) or NUL (PostgreSQL text refuses it). Number edge cases (``NaN``,
``Infinity``, 5,000-digit integers) are refused here too, so the schema validator and the
services only ever see finite numbers and real text.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request

from ..services.errors import ValidationFailed

# The deepest body the API's schemas describe is 3 levels (a list of documents); 32 leaves
# room and keeps any recursive walk far from Python's recursion limit.
MAX_DEPTH = 32
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class MalformedBody(Exception):
    """A body the API cannot read, answered ``{"error": {"code", "message", "fields"}}``: 422
    ``validation_failed`` when it is not (UTF-8, finite, shallow enough) JSON — the API's answer
    to an unreadable body since its first version — and 400 ``invalid_text`` when it is JSON
    but carries text that is not text (NUL, a lone surrogate)."""

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None, *,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {"body": message}
        self.status_code = status_code or (400 if code == "invalid_text" else 422)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(raw: bytes) -> Any:
    """The parsed body, or :class:`MalformedBody`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("validation_failed", "Nội dung JSON phải được mã hóa UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise MalformedBody("validation_failed",
                            f"JSON lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp).") from None
    except ValueError:  # JSONDecodeError, BOM, NaN/Infinity, integers past Python's digit limit
        raise MalformedBody("validation_failed", "Nội dung không phải JSON hợp lệ.") from None
    check(data)
    return data


def check(data: Any) -> None:
    """Depth, text and numbers of an already parsed value, walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedBody("validation_failed", f"JSON lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp).")
        if isinstance(value, str):
            if _BAD_TEXT.search(value):
                raise _bad_text(path or "body")
        elif isinstance(value, float):
            if not math.isfinite(value):  # 1e400 parses as inf
                raise MalformedBody("validation_failed", "Số không hữu hạn.",
                                    {path or "body": "Số không hữu hạn."})
        elif isinstance(value, dict):
            for key, item in value.items():
                sub = f"{path}.{key}" if path else str(key)
                if _BAD_TEXT.search(key):
                    raise _bad_text(sub)
                stack.append((item, sub, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def _printable(path: str) -> str:
    return _BAD_TEXT.sub("\ufffd", path)


def _bad_text(path: str) -> MalformedBody:
    message = "Văn bản chứa ký tự không hợp lệ (NUL hoặc ký tự thay thế UTF-16 đứng lẻ)."
    return MalformedBody("invalid_text", message, {_printable(path): message})  # a key may hold one


def request_json(*, required: bool) -> Any:
    """The current request's body, parsed and checked; ``None`` when empty and not required
    (an empty body where one is required is a validation error of the request: 422)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ValidationFailed({"body": "Cần nội dung JSON."})
        return None
    return parse(raw)
