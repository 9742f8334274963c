"""Security headers every answer carries, in one place: the ``after_request`` hook that the staff
app and the citizen app share (onestop/web/__init__.py ``init_common``) applies them."""
from __future__ import annotations

from werkzeug.datastructures import Headers

# No inline script anywhere: every script is a file under static/ (docs/security.md).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

_ALWAYS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def security_headers(*, secure: bool) -> tuple[tuple[str, str], ...]:
    """All of them (Strict-Transport-Security only over HTTPS)."""
    return (*_ALWAYS, ("Strict-Transport-Security", "max-age=31536000")) if secure else _ALWAYS


def apply_security_headers(headers: Headers, *, secure: bool) -> None:
    """Set each header unless the view chose its own value. (One pass over the names present:
    ``Headers.setdefault`` raises and catches a KeyError per missing header, on every answer.)"""
    present = {name.lower() for name, _value in headers.items()}
    for name, value in security_headers(secure=secure):
        if name.lower() not in present:
            headers.add(name, value)
