"""Settings from the environment (docs/architecture.md §3) that change how the app is wired."""
from __future__ import annotations

from config import env_overrides
from onestop import create_app


def test_onestop_variables_map_onto_config_keys():
    env = {"ONESTOP_DATABASE_URL": "sqlite:///x.db", "ONESTOP_DB_POOL_SIZE": "7", "ONESTOP_DEMO": "false",
           "ONESTOP_TIMEZONE": "Asia/Ho_Chi_Minh", "OTHER": "ignored", "ONESTOP_TEST_DATABASE_URL": "no"}
    out = env_overrides(env)
    assert out == {"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db", "DB_POOL_SIZE": 7, "DEMO": False,
                   "TIMEZONE": "Asia/Ho_Chi_Minh"}


def test_pool_sizes_reach_the_engine_options_for_postgresql():
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:1/none",
                                 "DB_POOL_SIZE": 7, "DB_MAX_OVERFLOW": 3})
    opts = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert opts["pool_size"] == 7 and opts["max_overflow"] == 3


def test_proxy_fix_trusts_exactly_the_configured_hops(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    seen: list[str | None] = []

    def build(hops: int):  # type: ignore[no-untyped-def]
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "PROXY_FIX_HOPS": hops})

        @app.get("/_ip")
        def _ip():  # type: ignore[no-untyped-def]
            from flask import request

            seen.append(request.remote_addr)
            return "ok"

        return app

    headers = {"X-Forwarded-For": "203.0.113.9"}
    build(0).test_client().get("/_ip", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    build(1).test_client().get("/_ip", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == ["10.0.0.2", "203.0.113.9"]


def test_production_refuses_to_start_without_the_public_base_url(tmp_path):
    """The receipt's QR prints ONESTOP_PUBLIC_BASE_URL: production without it is refused, clearly."""
    import pytest

    url = f"sqlite:///{tmp_path / 'p.db'}"
    for missing in ("", "127.0.0.1:5000", "dichvucong.example.vn"):
        with pytest.raises(RuntimeError, match="ONESTOP_PUBLIC_BASE_URL"):
            create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                                      "PUBLIC_BASE_URL": missing})
    with pytest.raises(RuntimeError, match="ONESTOP_PUBLIC_BASE_URL"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40})
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                                    "PUBLIC_BASE_URL": "https://dichvucong.example.vn"})
    assert app.config["PUBLIC_BASE_URL"] == "https://dichvucong.example.vn"
