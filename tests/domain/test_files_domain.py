"""Dossier file rules: the type is sniffed from the content, the display name is safe."""
from __future__ import annotations

from onestop.domain import files as f


def test_sniff_recognises_pdf_jpeg_png_by_content_only():
    assert f.sniff(b"%PDF-1.7\n") == "application/pdf"
    assert f.sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert f.sniff(b"\x89PNG\r\n\x1a\n\x00\x00") == "image/png"


def test_sniff_refuses_html_scripts_and_executables_whatever_their_name():
    for head in (b"<!DOCTYPE html><script>", b"<svg onload=alert(1)>", b"MZ\x90\x00", b"#!/bin/sh\n",
                 b"\x7fELF", b"PK\x03\x04", b" %PDF-1.4", b""):
        assert f.sniff(head) is None, head


def test_safe_filename_drops_directories_and_takes_the_sniffed_extension():
    assert f.safe_filename("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert f.safe_filename("C:\\Users\\a\\scan.html", "image/png") == "scan.png"
    assert f.safe_filename('x"; filename=evil.html', "image/jpeg").endswith(".jpg")
    assert "\n" not in f.safe_filename("a\r\nSet-Cookie: x.pdf", "application/pdf")
    assert f.safe_filename("", "application/pdf") == "tep.pdf"
    assert f.safe_filename("Giấy khai sinh.PDF", "application/pdf") == "Giấy khai sinh.pdf"
