"""Versioned, atomically swapped index folders.

Layout of an index root::

    root/
      CURRENT                 # one line: the name of the live version folder (replaced with os.replace)
      v-20250101T120000-1a2b3c4d/
        manifest.json ids.json user_terms.json embed_keys.json
        bm25.json bm25_*.npy vectors.npy faiss.index
      .tmp-<random>/          # a build in progress; never referenced by CURRENT

A build writes a complete version into a ``.tmp-*`` sibling, fsyncs every file, renames it to ``v-*``,
fsyncs the root, and only then replaces ``CURRENT`` (write temp file, fsync, ``os.replace``). A crash or
exception at any point leaves ``CURRENT`` naming the previous, complete version. Readers resolve
``CURRENT`` once and read every file from that one version folder, so they see the old index or the new
one, never a mix. A pointer file rather than a symlink keeps this working on filesystems without symlinks.

The manifest carries a SHA-256 of every other file of its version (``checksums``), verified on load:
damage that keeps sizes (a shuffled ``ids.json``, flipped bytes in ``vectors.npy``) would otherwise serve
wrong answers in silence. The caller rebuilds; a version whose embedding cache (``REUSED_FILES``)
is damaged is first moved aside (a ``.tmp-damaged-*`` folder, removed by a later cleanup), so its
vectors are not reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Bump when the folder layout or any file format changes; older folders then raise StaleIndexError.
FORMAT_VERSION = 1
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
VERSION_PREFIX = "v-"
TMP_PREFIX = ".tmp-"
#: Versions kept besides the live one, so a reader that resolved CURRENT just before a swap can finish.
KEEP_OLD_VERSIONS = 1
#: A .tmp-* folder older than this is a crashed build and is removed by the next cleanup.
STALE_TMP_SECONDS = 3600
DAMAGED_PREFIX = f"{TMP_PREFIX}damaged-"
#: Files a rebuild reuses from the live version (the embedding cache): a version with one of these
#: damaged is moved aside; other damage only makes it stale, and the rebuild re-embeds nothing.
REUSED_FILES = frozenset({"vectors.npy", "embed_keys.json"})

log = logging.getLogger(__name__)


class StaleIndexError(Exception):
    """The persisted index does not match what the caller expects; rebuild it rather than use it."""


class IndexMissingError(StaleIndexError):
    """No complete index exists in the folder (also a reason to build one)."""


@dataclass
class Manifest:
    """What an index was built from; every field here is checked (or informative) on load."""

    model: str
    dim: int
    dictionary_hash: str
    clause_count: int
    kb_version: str
    fusion: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    dense_index: str = "flat"
    embedded_new: int = 0  # passages embedded by this build (the rest came from the embedding cache)
    checksums: dict[str, str] = field(default_factory=dict, compare=False)  # file name -> sha256, set on publish

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def check_manifest(manifest: Manifest, expected: dict[str, Any], where: str) -> None:
    """Raise StaleIndexError naming the first field of ``manifest`` that differs from ``expected``."""
    for name, want in expected.items():
        have = getattr(manifest, name)
        if have != want:
            raise StaleIndexError(f"index {where}: {name} is {have!r}, expected {want!r}")


class DamagedIndexError(StaleIndexError):
    """A file of the index does not match its checksum: the version was moved aside; rebuild."""


def file_checksum(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _seal(folder: Path) -> None:
    """Record the checksum of every file of a version in its manifest (when the writer wrote one)."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    data["checksums"] = {
        p.name: file_checksum(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST_FILE
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")


def verify_checksums(version_dir: str | Path, checksums: dict[str, str]) -> None:
    """Raise DamagedIndexError (after moving the version aside) when a file's bytes changed;
    StaleIndexError when there are no checksums or a file is missing."""
    version_dir = Path(version_dir)
    if not checksums:
        raise StaleIndexError(f"index {version_dir.name} has no checksums (built by an older version)")
    for name, want in sorted(checksums.items()):
        if "/" in name or os.sep in name or name.startswith("."):
            raise StaleIndexError(f"index {version_dir.name}: bad file name {name!r} in checksums")
        try:
            have = file_checksum(version_dir / name)
        except FileNotFoundError as exc:
            raise StaleIndexError(f"index {version_dir.name}: {name} is missing") from exc
        except OSError as exc:
            raise StaleIndexError(f"index {version_dir.name}: {name} is unreadable: {exc}") from exc
        if have != want:
            if name in REUSED_FILES:
                moved = quarantine(version_dir)
                log.warning("索引文件已损坏：%s（校验和不符），已移至 %s，将重建索引", version_dir / name, moved)
            else:
                log.warning("索引文件已损坏：%s（校验和不符），将重建索引", version_dir / name)
            raise DamagedIndexError(f"索引文件已损坏：{version_dir / name}（校验和不符），将重建索引")


def quarantine(version_dir: Path) -> Path:
    """Move a damaged version out of use (CURRENT then dangles, so its vectors are not reused)."""
    target = version_dir.with_name(f"{DAMAGED_PREFIX}{version_dir.name}-{uuid.uuid4().hex[:6]}")
    try:
        os.rename(version_dir, target)
    except OSError:  # already moved by another reader
        return target
    _fsync_path(version_dir.parent)
    return target


def read_manifest(version_dir: str | Path, *, verify: bool = True) -> Manifest:
    """Parse ``manifest.json`` and verify the checksums of the version's files; an unreadable
    manifest, missing checksums or a damaged file is a stale index."""
    path = Path(version_dir) / MANIFEST_FILE
    try:
        manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise StaleIndexError(f"unreadable manifest {path}: {exc}") from exc
    if verify:
        verify_checksums(version_dir, manifest.checksums if isinstance(manifest.checksums, dict) else {})
    return manifest


def current_version(root: str | Path) -> Path | None:
    """The live version folder, or None when there is none (never built, or CURRENT is dangling)."""
    root = Path(root)
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not name.startswith(VERSION_PREFIX) or "/" in name or os.sep in name:
        return None
    path = root / name
    return path if path.is_dir() else None


def _fsync_path(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - e.g. directories on Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - filesystems without fsync on directories
        pass
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            _fsync_path(Path(dirpath) / name)
        _fsync_path(Path(dirpath))


def _point_current(root: Path, version_name: str) -> None:
    tmp = root / f"{TMP_PREFIX}{CURRENT_FILE}-{uuid.uuid4().hex}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(version_name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT_FILE)
    _fsync_path(root)


def write_version(root: str | Path, writer: Callable[[Path], None]) -> Path:
    """Run ``writer(tmp_dir)``, then publish ``tmp_dir`` as the live version atomically.

    If ``writer`` raises, the temporary folder is removed, the previous version stays live and the
    exception propagates.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = root / f"{TMP_PREFIX}{token}"
    tmp.mkdir()
    try:
        writer(tmp)
        _seal(tmp)
        _fsync_tree(tmp)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        final = root / f"{VERSION_PREFIX}{stamp}-{token}"
        os.rename(tmp, final)
        _fsync_path(root)
        _point_current(root, final.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    cleanup(root)
    return final


def cleanup(root: str | Path, keep_old: int = KEEP_OLD_VERSIONS) -> None:
    """Remove old versions (all but the live one and the ``keep_old`` newest others) and dead temp folders."""
    root = Path(root)
    live = current_version(root)
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name.startswith(VERSION_PREFIX)),
        key=lambda p: p.name,
        reverse=True,
    )
    others = [p for p in versions if live is None or p.name != live.name]
    for old in others[keep_old:]:
        shutil.rmtree(old, ignore_errors=True)
    now = time.time()
    for p in root.iterdir():
        if p.name.startswith(TMP_PREFIX):
            try:
                age = now - p.stat().st_mtime
            except OSError:
                continue
            if age > STALE_TMP_SECONDS:
                if p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
