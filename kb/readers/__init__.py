"""Readers: bytes of a TXT, PDF, DOCX or HTML file -> plain text in one convention.

Convention: one paragraph per line; each table row is one line with cells joined by "\\t" and
merged cells filled in. Widths and spacing are left alone (the normaliser owns them).
"""

from __future__ import annotations

from pathlib import Path

from kb.errors import ReadError
from kb.readers.detect import sniff
from kb.readers.result import DEFAULT_MAX_BYTES, ReadResult
from kb.readers.tables import TableTooLargeError

__all__ = ["DEFAULT_MAX_BYTES", "ReadResult", "read_bytes", "read_file"]


def read_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read a file from disk; the size limit is checked before the file is loaded."""
    if "\x00" in str(path):
        raise ReadError(str(path).replace("\x00", "\\0"), "文件名中含有非法字符（NUL），请重命名后再导入")
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError as exc:
        raise ReadError(str(path), "文件不存在") from exc
    except OSError as exc:
        raise ReadError(str(path), f"无法访问文件（{exc.strerror or exc}）") from exc
    if p.is_dir():
        raise ReadError(str(path), "这是一个文件夹，不是文件")
    _check_size(size, str(path), max_bytes)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReadError(str(path), f"无法读取文件（{exc.strerror or exc}）") from exc
    return read_bytes(data, str(path), max_bytes=max_bytes)


def read_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read file content; the format is detected from the bytes, not from `name`."""
    _check_size(len(data), name, max_bytes)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ReadError(name, "文件为空" if not data else "文件为空（只有空白字符）")
    kind = sniff(data)
    try:
        return _read_kind(data, name, kind)
    except TableTooLargeError as exc:
        raise ReadError(name, f"表格过大（合并单元格展开后{exc}），文件可能已损坏") from exc


def _read_kind(data: bytes, name: str, kind: str) -> ReadResult:
    if kind == "pdf":
        from kb.readers.pdf import read_pdf

        return read_pdf(data, name)
    if kind == "docx":
        from kb.readers.docx import read_docx

        return read_docx(data, name)
    if kind == "zip":
        if name.lower().endswith((".docx", ".docm", ".dotx")):
            from kb.readers.safezip import open_checked_zip

            open_checked_zip(data, name).close()  # reports bombs / corruption first
            raise ReadError(name, "DOCX 文件已损坏：压缩包中没有 word/document.xml")
        raise ReadError(name, "不支持的格式：这是一个 zip 压缩包，但不是 Word（DOCX）文档")
    if name.lower().endswith((".docx", ".doc")) and kind == "text" and b"\x00" in data[:4096]:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise ReadError(name, "不支持旧版 Word（.doc）格式，请另存为 DOCX 或 PDF 后再导入")
        raise ReadError(name, "DOCX 文件已损坏：不是有效的 zip 压缩包")
    if name.lower().endswith(".docx") and kind == "text":
        raise ReadError(name, "DOCX 文件已损坏：不是有效的 zip 压缩包")
    if kind == "html":
        from kb.readers.html import read_html

        return read_html(data, name)
    unsupported = _unsupported_binary(data)
    if unsupported:
        raise ReadError(name, f"不支持的格式：{unsupported}")
    from kb.readers.text import decode_text

    text, warnings = decode_text(data, name)
    return ReadResult(text=text, fmt="txt", warnings=warnings)


def _check_size(size: int, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise ReadError(name, f"文件过大：{_human(size)}，超过上限 {_human(max_bytes)}")


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB（{size} 字节）"
    if size >= 1024:
        return f"{size / 1024:.1f} KB（{size} 字节）"
    return f"{size} 字节"


_MAGIC = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "旧版 Office 文件（.doc/.xls），请另存为 DOCX 或 PDF",
    b"\x89PNG": "PNG 图片（需要先进行 OCR 文字识别）",
    b"\xff\xd8\xff": "JPEG 图片（需要先进行 OCR 文字识别）",
    b"GIF8": "GIF 图片",
    b"II*\x00": "TIFF 图片（需要先进行 OCR 文字识别）",
    b"MM\x00*": "TIFF 图片（需要先进行 OCR 文字识别）",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"\x1f\x8b": "gzip 压缩包",
    b"{\\rtf": "RTF 文档，请另存为 DOCX 或 PDF",
    b"\x7fELF": "可执行程序",
}


def _unsupported_binary(data: bytes) -> str | None:
    for magic, label in _MAGIC.items():
        if data.startswith(magic):
            return label
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        return "可执行程序"
    return None
