"""Format detection by content: a renamed or extension-less file must still be read correctly."""

from __future__ import annotations

import io
import re
import zipfile

_HTML_MARKERS = re.compile(rb"<html|<!doctype\s+html|<body|<head\b", re.IGNORECASE)
_TAG = re.compile(rb"<(/?)(p|div|span|a|br|table|tr|td|meta|title|script|style|link|ul|li|h[1-6])\b", re.I)


def sniff(data: bytes) -> str:
    """Return "pdf", "docx", "zip" (another zip), "html" or "text"."""
    head = data[:1024]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\x00").startswith(b"%PDF") or data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "zip"
        return "docx" if "word/document.xml" in names else "zip"
    if _looks_like_html(data):
        return "html"
    return "text"


def _looks_like_html(data: bytes) -> bool:
    """HTML is sniffed in the first few KB; UTF-16 pages are decoded first so markers match."""
    head = data[:4096]
    enc = None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    elif head[1:2] == b"\x00":
        enc = "utf-16-le"
    elif head[:1] == b"\x00":
        enc = "utf-16-be"
    if enc:
        head = head.decode(enc, errors="ignore").encode("utf-8")
    if _HTML_MARKERS.search(head[:2048]):
        return True
    return head.lstrip().startswith(b"<") and len(_TAG.findall(head)) >= 5
