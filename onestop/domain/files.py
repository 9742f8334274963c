"""What a dossier file may be (docs/security.md, "Dossier files"): PDF, JPEG or PNG, recognised
from the first bytes of its content — never from the name or the type the browser claims — so an
HTML page or a script renamed ``scan.pdf`` is refused. Pure: no I/O."""
from __future__ import annotations

import hashlib
import re
import unicodedata

# (magic prefix, MIME type, extension)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
ALLOWED_TYPES = frozenset(t for _, t, _ in _MAGIC)
EXTENSIONS = {t: e for _, t, e in _MAGIC}

# Digitisation states of a component (docs/integration.md, "Files and digitisation"; TrangThaiSoHoa).
NOT_DIGITISED, DIGITISED_HERE, REUSED_COMPONENT, REUSED_RESULT = 0, 1, 2, 3
# Approval of a digitised document.
PENDING, APPROVED, REJECTED = 1, 2, 3
KINDS = ("component", "result")


def sniff(head: bytes) -> str | None:
    """The MIME type the content's magic bytes say, or None when it is none of the accepted ones."""
    for magic, mime, _ in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str, mime: str) -> str:
    """A display name for Content-Disposition: the base name only (no directory part, no control
    characters), at most 120 characters, with the extension of the SNIFFED type."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "tep"
    return f"{stem[:110]}.{EXTENSIONS[mime]}"
