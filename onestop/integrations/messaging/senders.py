"""Senders for the outbox's ``sms`` and ``zalo`` channels, speaking the providers' HTTP shapes.

Zalo ZNS (Zalo Official Account, Zalo Notification Service): ``POST {base}/message/template`` with
the OA's token in the ``access_token`` header and the JSON body ``{phone, template_id,
template_data, tracking_id}``; the phone is in international form without "+" (``84912345678``).
The answer is ``{"error": 0, "message": "Success", "data": {"msg_id": …}}``; any other ``error``
is a failure.

SMS brandname: the generic gateway shape most Vietnamese carriers' resellers offer:
``POST {url}`` with ``Authorization: Bearer <token>`` and ``{"brandname", "phone", "message",
"request_id"}``; the answer ``{"code": "00", "message_id": …}`` (any other code is a failure).

Both raise on any failure (the outbox retries with backoff) and return the provider's message id
(kept on the outbox row). ``request_id``/``tracking_id`` is the outbox row id: a re-send after a
crash carries the same id, for the provider to de-duplicate.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from ...models import OutboxMessage


class ProviderError(RuntimeError):
    pass


def international_phone(phone: str) -> str:
    """``0912345678`` → ``84912345678`` (ZNS wants the country code without '+')."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("84"):
        return digits
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def _post(http: requests.Session, url: str, *, headers: Mapping[str, str], body: Mapping[str, Any],
          timeout: float) -> dict[str, Any]:
    try:
        resp = http.post(url, json=body, headers=dict(headers), timeout=timeout)
    except requests.RequestException as exc:
        raise ProviderError(f"{type(exc).__name__}: {exc}") from exc
    if resp.status_code >= 400:
        raise ProviderError(f"HTTP {resp.status_code}: {resp.text[:200]}")
    try:
        data = resp.json()
    except ValueError as exc:
        raise ProviderError(f"not JSON: {resp.text[:200]}") from exc
    if not isinstance(data, dict):
        raise ProviderError(f"unexpected answer: {data!r}"[:200])
    return data


@dataclass
class ZaloZnsSender:
    base_url: str
    access_token: str
    timeout: float = 10.0
    http: requests.Session = field(default_factory=requests.Session)

    def send(self, message: OutboxMessage) -> str:
        if not message.template_id:
            raise ProviderError("ZNS needs a registered template (template_id)")
        body = {"phone": international_phone(message.recipient), "template_id": message.template_id,
                "template_data": message.template_data or {}, "tracking_id": f"outbox-{message.id}"}
        data = _post(self.http, f"{self.base_url.rstrip('/')}/message/template",
                     headers={"access_token": self.access_token}, body=body, timeout=self.timeout)
        if data.get("error") != 0:
            raise ProviderError(f"ZNS error {data.get('error')}: {data.get('message')}")
        return str((data.get("data") or {}).get("msg_id") or "")


@dataclass
class HttpSmsSender:
    url: str
    token: str
    brandname: str = "MOTCUA"
    timeout: float = 10.0
    http: requests.Session = field(default_factory=requests.Session)

    def send(self, message: OutboxMessage) -> str:
        body = {"brandname": self.brandname, "phone": message.recipient, "message": message.body,
                "request_id": f"outbox-{message.id}"}
        data = _post(self.http, self.url, headers={"Authorization": f"Bearer {self.token}"}, body=body,
                     timeout=self.timeout)
        if str(data.get("code")) != "00":
            raise ProviderError(f"SMS gateway code {data.get('code')}: {data.get('message')}")
        return str(data.get("message_id") or "")


__all__ = ["HttpSmsSender", "ProviderError", "ZaloZnsSender", "international_phone"]
