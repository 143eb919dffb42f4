"""Zip checks done before any XML is inflated: a DOCX is a zip and may be a zip bomb."""

from __future__ import annotations

import io
import zipfile

from kb.errors import ReadError

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all members together
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for members big enough to matter
MAX_MEMBERS = 5000


def open_checked_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """Open a zip after checking the sizes its directory declares; raise ReadError if unsafe."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadError(name, f"DOCX 文件已损坏或不是有效的 zip 压缩包（{exc}）") from exc
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ReadError(name, f"压缩包内文件过多（{len(infos)}个），疑似压缩炸弹，已拒绝读取")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES:
            raise ReadError(
                name,
                f"压缩包内 {info.filename} 解压后声明为 {_mb(info.file_size)}，超过单个文件上限 "
                f"{_mb(MAX_MEMBER_BYTES)}，疑似压缩炸弹，已拒绝读取",
            )
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ReadError(
                name,
                f"压缩包内 {info.filename} 压缩比约为 {ratio:.0f}:1，超过上限 {MAX_RATIO}:1，疑似压缩炸弹，已拒绝读取",
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ReadError(
            name,
            f"压缩包解压后总大小声明为 {_mb(total)}，超过上限 {_mb(MAX_UNCOMPRESSED_BYTES)}，疑似压缩炸弹，已拒绝读取",
        )
    bad = None
    try:
        bad = zf.testzip() if len(data) < 20 * 1024 * 1024 else None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ReadError(name, f"DOCX 压缩包已损坏（{exc}）") from exc
    if bad is not None:
        raise ReadError(name, f"DOCX 压缩包已损坏（{bad} 校验失败）")
    return zf


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
