"""The search-backend seam: one contract, the embedded faiss + BM25 folder (default) or PostgreSQL.

A backend *store* builds a version of the index beside the live one, publishes it atomically, opens the
live version (rejecting a stale one), and removes old versions. An opened *index* searches BM25, dense or
both, with structured filters, and gives the scores of given clauses. The embedded store is today's
:class:`~indexing.hybrid.HybridIndex` in a versioned folder; ``indexing.pg_backend`` keeps the same
tokens, BM25 weights and vectors in PostgreSQL + pgvector, and both fuse with
:func:`indexing.hybrid.fuse`, so the same passages give the same hits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np

from indexing.embedders import Embedder
from indexing.hybrid import FusionParams, Hit, HybridIndex, Mode, Passage, _load_embedding_cache
from indexing.store import KEEP_OLD_VERSIONS, Manifest, cleanup, current_version, read_manifest

#: The setting that moves the search side to PostgreSQL (``postgresql://…``); unset = embedded folder.
DATABASE_ENV = "POLICYKB_DATABASE"


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs."""
    import re
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
        return urlunsplit(parts._replace(query=re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)))
    except ValueError:
        return "（无法解析的地址）"


@dataclass(frozen=True)
class PassageMeta:
    """What filters look at, beside the passage's ``doc_id``: filled by the domain layer at build time.

    ``chapter_keys`` are the heading path, label and title (the chapter filter matches a substring of
    any); ``units`` the lead and responsible units; ``valid_from``/``valid_to`` (ISO dates, inclusive)
    the period of the validity statement that governs the clause, None where none does.
    """

    chapter_keys: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    valid_from: str | None = None
    valid_to: str | None = None


@dataclass(frozen=True)
class SearchFilter:
    """Structured filters; every given field must hold. PostgreSQL turns them into SQL conditions."""

    doc_ids: frozenset[str] | None = None
    chapter: str | None = None
    unit: str | None = None
    in_force_on: date | None = None  # keep only clauses in force that day (clauses with no period stay)

    def is_empty(self) -> bool:
        return not (self.doc_ids is not None or self.chapter or self.unit or self.in_force_on)


def admits(flt: SearchFilter, doc_id: str, meta: PassageMeta) -> bool:
    """The filter's meaning as a Python predicate: the reference the SQL conditions are tested against."""
    if flt.doc_ids is not None and doc_id not in flt.doc_ids:
        return False
    if flt.chapter and not any(flt.chapter in key for key in meta.chapter_keys):
        return False
    if flt.unit and not any(flt.unit in u for u in meta.units):
        return False
    if flt.in_force_on is not None:
        day = flt.in_force_on.isoformat()
        if (meta.valid_to and day > meta.valid_to) or (meta.valid_from and day < meta.valid_from):
            return False
    return True


class SearchIndex(Protocol):
    """An opened, read-only version of the index."""

    manifest: Manifest
    fusion: FusionParams

    def __len__(self) -> int: ...

    def search(
        self,
        query: str,
        k: int = 10,
        allowed_ids: set[str] | None = None,
        mode: Mode = "hybrid",
        where: SearchFilter | None = None,
    ) -> list[Hit]: ...

    def scores(self, query: str, clause_ids: Sequence[str]) -> dict[str, tuple[float, float]]: ...


class SearchBackend(Protocol):
    """Where versions of the index live: build beside the live one, publish atomically, open, clean."""

    def build(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        user_terms: Iterable[str],
        kb_version: str,
        *,
        metas: Mapping[str, PassageMeta] | None = None,
        fusion: FusionParams | None = None,
        reuse: bool | str | Path = True,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> SearchIndex:
        """``reuse``: vectors of unchanged passages from the live version (True) and an index root (path);
        ``vectors``: embedding key -> vector computed elsewhere (bulk ingest)."""
        ...

    def cached_vectors(self, keys: Iterable[str], embedder: Embedder) -> dict[str, np.ndarray]:
        """The embedding cache: key (:func:`indexing.hybrid.embedding_key`) -> vector, from the live version."""
        ...

    def open(
        self,
        embedder: Embedder,
        kb_version: str,
        dictionary_hash: str,
        *,
        clause_count: int | None = None,
        fusion: FusionParams | None = None,
        metas: Mapping[str, PassageMeta] | None = None,
    ) -> SearchIndex: ...

    def live_manifest(self) -> Manifest | None: ...

    def cleanup(self, keep_old: int = KEEP_OLD_VERSIONS) -> None: ...


class EmbeddedIndex(HybridIndex):
    """The default backend's index: a :class:`HybridIndex`, plus structured filters evaluated in Python
    over the metadata it was given (the embedded folder does not persist it)."""

    metas: Mapping[str, PassageMeta] | None = None
    doc_of: Mapping[str, str] | None = None

    def search(
        self,
        query: str,
        k: int = 10,
        allowed_ids: set[str] | None = None,
        mode: Mode = "hybrid",
        where: SearchFilter | None = None,
    ) -> list[Hit]:
        if where is not None and not where.is_empty():
            if self.metas is None or self.doc_of is None:
                raise ValueError("structured filters need the passages' metadata (pass metas)")
            keep = {
                cid for cid in self.ids if admits(where, self.doc_of[cid], self.metas.get(cid, PassageMeta()))
            }
            allowed_ids = keep if allowed_ids is None else keep & set(allowed_ids)
        return super().search(query, k=k, allowed_ids=allowed_ids, mode=mode)

    def scores(self, query: str, clause_ids: Sequence[str]) -> dict[str, tuple[float, float]]:
        """(BM25, cosine) of each known clause id for ``query``."""
        rows = [self.row_of[c] for c in clause_ids if c in self.row_of]
        if not rows:
            return {}
        terms = self.tokenizer(query)
        bm25 = self.bm25.get_scores(terms) if terms else np.zeros(len(self.ids))
        qvec = self.embedder.embed_queries([query])[0]
        dense = self.dense.score(qvec, np.array(rows))
        return {self.ids[r]: (float(bm25[r]), float(d)) for r, d in zip(rows, dense, strict=True)}


class EmbeddedBackend:
    """Today's embedded faiss + BM25 index root (versioned folders, ``CURRENT`` swapped by rename)."""

    def __init__(self, folder: str | Path, progress: Callable[[int, int], None] | None = None) -> None:
        self.folder = Path(folder)
        self.progress = progress

    def build(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        user_terms: Iterable[str],
        kb_version: str,
        *,
        metas: Mapping[str, PassageMeta] | None = None,
        fusion: FusionParams | None = None,
        reuse: bool | str | Path = True,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> EmbeddedIndex:
        index = EmbeddedIndex.build(
            passages, self.folder, embedder, user_terms, kb_version, fusion=fusion, reuse=reuse,
            progress=self.progress, vectors=vectors,
        )
        _attach(index, passages, metas)
        return index  # type: ignore[return-value]

    def open(
        self,
        embedder: Embedder,
        kb_version: str,
        dictionary_hash: str,
        *,
        clause_count: int | None = None,
        fusion: FusionParams | None = None,
        metas: Mapping[str, PassageMeta] | None = None,
        passages: Sequence[Passage] | None = None,
    ) -> EmbeddedIndex:
        index = EmbeddedIndex.load(
            self.folder, embedder, kb_version, dictionary_hash, clause_count=clause_count, fusion=fusion
        )
        if passages is not None:
            _attach(index, passages, metas)  # type: ignore[arg-type]
        return index  # type: ignore[return-value]

    def cached_vectors(self, keys: Iterable[str], embedder: Embedder) -> dict[str, np.ndarray]:
        wanted = set(keys)
        return {k: v for k, v in _load_embedding_cache(self.folder, embedder).items() if k in wanted}

    def live_manifest(self) -> Manifest | None:
        version = current_version(self.folder)
        return read_manifest(version) if version is not None else None

    def cleanup(self, keep_old: int = KEEP_OLD_VERSIONS) -> None:
        if self.folder.is_dir():
            cleanup(self.folder, keep_old=keep_old)


def _attach(index: EmbeddedIndex, passages: Sequence[Passage], metas: Mapping[str, PassageMeta] | None) -> None:
    index.doc_of = {p.clause_id: p.doc_id for p in passages}
    index.metas = metas if metas is not None else {}


def open_backend(
    database: str | None, folder: str | Path, name: str = "e5", progress: Callable[[int, int], None] | None = None
) -> SearchBackend:
    """PostgreSQL when ``database`` is a ``postgresql://`` URL, else the embedded folder (the default)."""
    if database:
        if not database.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"不支持的数据库地址：{redact_url(database)}（应以 postgresql:// 开头）")
        from indexing.pg_backend import PgBackend  # psycopg is needed only here

        return PgBackend(database, name=name, progress=progress)
    return EmbeddedBackend(folder, progress=progress)
