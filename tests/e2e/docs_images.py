"""Copy a curated handful of e2e screenshots into docs/img/ for the role guides.

Run after the browser tests:  .venv/bin/python -m tests.e2e.docs_images
Each image is cropped to its top part, scaled to at most 960 px wide and saved
as a 256-colour PNG so that every committed file stays well under 150 KB.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "test-artifacts" / "e2e"
DST = ROOT / "docs" / "img"
MAX_BYTES = 150_000

# target name -> (journey/step, crop height in source pixels or None for all)
CURATED: dict[str, tuple[str, int | None]] = {
    "clerk-reception-form.png": ("1-reception/02-form-filled", 860),
    "clerk-receipt.png": ("1-reception/03-receipt-screen", 1000),
    "clerk-dossier-transferred.png": ("1-reception/06-dossier-transferred", 900),
    "clerk-return-result.png": ("4-result/04-return-form", 900),
    "head-inbox-assign.png": ("2-assignment/01-inbox", 600),
    "head-dashboard-overdue.png": ("6-reports/01-dashboard-overdue", 980),
    "head-form06.png": ("6-reports/02-form06", 900),
    "officer-hand-off.png": ("3-lien-thong/02-hand-off-form", 900),
    "officer-handoffs-incoming.png": ("3-lien-thong/04-police-incoming", 600),
    "officer-complete.png": ("4-result/01-complete-form", 900),
    "citizen-lookup.png": ("5-citizen/01-lookup-from-qr", 844),
    "citizen-status.png": ("5-citizen/02-status", 1400),
    "citizen-rating.png": ("5-citizen/03-rating-form", None),
    "admin-users.png": ("7-admin/02-users-create", 800),
    "admin-calendar.png": ("7-admin/04-calendar", 760),
}


def convert(src: Path, dst: Path, crop: int | None, width: int = 960) -> int:
    img = Image.open(src).convert("RGB")
    if crop and img.height > crop:
        img = img.crop((0, 0, img.width, crop))
    if img.width > width:
        img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)
    return dst.stat().st_size


def main() -> int:
    DST.mkdir(parents=True, exist_ok=True)
    missing, too_big = [], []
    for name, (step, crop) in CURATED.items():
        src = SRC / f"{step}.png"
        if not src.exists():
            missing.append(step)
            continue
        size = convert(src, DST / name, crop)
        if size > MAX_BYTES:
            too_big.append(f"{name} ({size} bytes)")
        print(f"{name:36s} {size // 1024:4d} KB  <- {step}")
    for m in missing:
        print(f"missing screenshot (journey failed or not run): {m}", file=sys.stderr)
    for t in too_big:
        print(f"over {MAX_BYTES} bytes: {t}", file=sys.stderr)
    return 1 if too_big else 0


if __name__ == "__main__":
    raise SystemExit(main())
