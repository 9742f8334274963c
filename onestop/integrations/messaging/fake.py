"""Local fakes of the Zalo ZNS API and of an SMS-brandname gateway on a real socket (tests, demo).

- ``POST /zalo/message/template``: checks the ``access_token`` header and the body's four fields
  (phone in 84… form, a known template id, template_data an object, tracking_id), answers
  ``{"error": 0, "data": {"msg_id"}}`` or a ZNS error code;
- ``POST /sms/send``: checks the bearer token and ``{brandname, phone, message, request_id}``,
  answers ``{"code": "00", "message_id"}``;
- ``fail_next`` makes the next N requests answer HTTP 503 (retry tests).
Everything received is kept in ``received``.
"""
from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

ZNS_TEMPLATES = ("supplement", "apology", "result_ready")


class FakeMessagingServer:
    def __init__(self, *, zalo_token: str = "zalo-test-token", sms_token: str = "sms-test-token",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

            def make_environ(self) -> Any:
                # Werkzeug drops headers with an underscore (CGI ambiguity); ZNS sends its token in
                # one (``access_token``), so the fake keeps them, as Zalo's servers do.
                environ = super().make_environ()
                for key, value in self.headers.items():
                    if "_" in key:
                        environ["HTTP_" + key.upper()] = value
                return environ

        self.zalo_token = zalo_token
        self.sms_token = sms_token
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        self.app = self._build()
        self.server = make_server(host, port, self.app, threaded=True, request_handler=Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _failing(self) -> bool:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
        return False

    def _build(self) -> Flask:
        app = Flask("fake_messaging")

        @app.post("/zalo/message/template")
        def zns() -> Any:
            if self._failing():
                return Response("unavailable", status=503)
            body = request.get_json(silent=True) or {}
            with self.lock:
                self.received.append({"channel": "zalo", "headers": dict(request.headers), "body": body})
                n = len(self.received)
            if request.headers.get("access_token") != self.zalo_token:
                return jsonify({"error": -124, "message": "Access token is invalid"})
            if set(body) != {"phone", "template_id", "template_data", "tracking_id"}:
                return jsonify({"error": -108, "message": "Invalid parameter"})
            if not (str(body["phone"]).startswith("84") and str(body["phone"]).isdigit()):
                return jsonify({"error": -108, "message": "Phone number is invalid"})
            if body["template_id"] not in ZNS_TEMPLATES or not isinstance(body["template_data"], dict):
                return jsonify({"error": -1124, "message": "Template is invalid"})
            return jsonify({"error": 0, "message": "Success", "data": {"msg_id": f"zns-{n}"}})

        @app.post("/sms/send")
        def sms() -> Any:
            if self._failing():
                return Response("unavailable", status=503)
            body = request.get_json(silent=True) or {}
            with self.lock:
                self.received.append({"channel": "sms", "headers": dict(request.headers), "body": body})
                n = len(self.received)
            if request.headers.get("Authorization") != f"Bearer {self.sms_token}":
                return jsonify({"code": "401", "message": "unauthorised"}), 401
            if not all(body.get(k) for k in ("brandname", "phone", "message", "request_id")):
                return jsonify({"code": "02", "message": "missing field"})
            return jsonify({"code": "00", "message": "accepted", "message_id": f"sms-{n}"})

        return app

    @property
    def root_url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def start(self) -> FakeMessagingServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeMessagingServer:  # noqa: PYI034 - the started server itself
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["ZNS_TEMPLATES", "FakeMessagingServer"]
