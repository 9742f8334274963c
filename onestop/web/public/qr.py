"""The receipt's QR code: ``PUBLIC_BASE_URL + '/lookup?code=<code>'`` (the citizen's phone opens
the look-up page pre-filled). One image for the printed receipt (staff side, a data: URI) and
``/lookup/qr/<code>.png`` (public)."""
from __future__ import annotations

import base64
import io

import qrcode
from flask import Blueprint, Response, abort, current_app
from qrcode.image.pil import PilImage

from ...domain.codes import MAX_CODE_LENGTH, parse_code
from ...domain.errors import DomainError
from ...services.public import lookup as lookup_svc

bp = Blueprint("qr", __name__)


def qr_png(code: str, *, box_size: int = 4, border: int = 2) -> bytes:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(lookup_svc.lookup_url(current_app.config["PUBLIC_BASE_URL"], code))
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(image_factory=PilImage, fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def qr_data_uri(code: str) -> str:
    """For print templates (img-src allows data:): ``<img src="{{ qr }}">``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(code)).decode("ascii")


@bp.get("/lookup/qr/<code>.png")
def qr(code: str) -> Response:
    try:
        parse_code(code[: MAX_CODE_LENGTH + 1])  # only well-formed codes get an image
    except DomainError:
        abort(404)
    resp = Response(qr_png(code.strip().upper()), mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp
