"""jieba's prefix dictionary read from disk word by word, instead of loaded whole at start-up.

jieba keeps about 500,000 words and prefixes in one dict that it unmarshals from its cache on first use:
1.3 s of a cold `policykb ask`'s 3.1 s, for a question that looks up a few hundred of them. Here the
dictionary is written once per machine to an SQLite file beside jieba's own cache (read-only afterwards)
and looked up per word; words a knowledge base adds live in a small in-memory overlay. A process that
tokenises a whole corpus (ingest, index build) switches to the full in-memory dict after
``SWITCH_AFTER`` lookups, where reading it whole is cheaper than looking words up one at a time.
Segmentation is identical either way: the same words with the same counts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path

import jieba

log = logging.getLogger(__name__)

#: Word lookups (about 12 µs each) after which the whole dict (about 1.3 s) is the cheaper way.
SWITCH_AFTER = 50_000
_MISSING = object()


def _store_path() -> Path:
    """Where the per-machine copy lives: $POLICYKB_CACHE, else jieba's own temporary folder; the name
    holds jieba's version and a hash of its dictionary file, so another jieba never reads a stale copy."""
    folder = Path(os.environ.get("POLICYKB_CACHE") or tempfile.gettempdir())
    dict_file = Path(jieba.get_dict_file().name)
    stat = dict_file.stat()
    key = hashlib.sha256(f"{jieba.__version__}|{dict_file}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    return folder / f"policykb-jieba-{key[:16]}.sqlite"


def build_store(path: Path, freq: dict[str, int], total: int) -> None:
    """Write ``freq`` and ``total`` to ``path`` atomically (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("CREATE TABLE words (w TEXT PRIMARY KEY, f INTEGER NOT NULL) WITHOUT ROWID")
            conn.execute("CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            conn.executemany("INSERT INTO words VALUES (?, ?)", freq.items())
            conn.execute("INSERT INTO meta VALUES ('total', ?)", (total,))
            conn.commit()
        finally:
            conn.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class PrefixDict(MutableMapping):
    """The mapping jieba.Tokenizer.FREQ needs (in, [], get, []=), backed by the on-disk store."""

    def __init__(self, path: Path, full: Callable[[], dict[str, int]]) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._overlay: dict[str, int] = {}
        self._full_loader = full
        self._full: dict[str, int] | None = None
        self._lookups = 0
        self.total = int(self._conn.execute("SELECT v FROM meta WHERE k = 'total'").fetchone()[0])

    def _base(self, word: str) -> object:
        if self._full is None:
            with self._lock:
                self._lookups += 1
                if self._lookups <= SWITCH_AFTER:
                    row = self._conn.execute("SELECT f FROM words WHERE w = ?", (word,)).fetchone()
                    return _MISSING if row is None else row[0]
                self._full = self._full_loader()
        return self._full.get(word, _MISSING)

    def _value(self, word: str) -> object:
        value = self._overlay.get(word, _MISSING)
        return self._base(word) if value is _MISSING else value

    def __getitem__(self, word: str) -> int:
        value = self._value(word)
        if value is _MISSING:
            raise KeyError(word)
        return value  # type: ignore[return-value]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._value(word) is not _MISSING

    def get(self, word: str, default: object = None) -> object:  # type: ignore[override]
        value = self._value(word)
        return default if value is _MISSING else value

    def __setitem__(self, word: str, value: int) -> None:
        self._overlay[word] = value

    def __delitem__(self, word: str) -> None:
        raise TypeError("the base dictionary is read-only")

    def __iter__(self) -> Iterator[str]:
        raise TypeError("PrefixDict is looked up word by word, not iterated")

    def __len__(self) -> int:
        raise TypeError("PrefixDict is looked up word by word, not counted")


def open_prefix_dict(full: Callable[[], tuple[dict[str, int], int]]) -> PrefixDict | None:
    """The on-disk dictionary, built from ``full()`` on first use; None when it cannot be written or
    read (a read-only temporary folder): callers then use the in-memory dict as before."""
    try:
        path = _store_path()
        if not path.exists():
            freq, total = full()
            build_store(path, freq, total)
        return PrefixDict(path, lambda: full()[0])
    except (OSError, sqlite3.Error, TypeError, ValueError) as exc:
        log.warning("jieba 词典磁盘缓存不可用，改为整体载入：%s", exc)
        return None
