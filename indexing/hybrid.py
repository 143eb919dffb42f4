"""HybridIndex: BM25 + dense retrieval over clause passages, fused, persisted, rebuilt incrementally."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from indexing.bm25 import BM25Index
from indexing.dense import HNSW_THRESHOLD, DenseIndex
from indexing.embedders import Embedder, get_embedder
from indexing.fusion import RRF_K, interpolate, rrf
from indexing.store import (
    FORMAT_VERSION,
    IndexMissingError,
    Manifest,
    StaleIndexError,
    check_manifest,
    current_version,
    read_manifest,
    write_version,
)
from indexing.tokenizer import Tokenizer

Mode = Literal["hybrid", "bm25", "dense"]
_EMBED_BATCH = 64
#: Passage cut for embedders that do not declare ``max_chars``.
DEFAULT_MAX_CHARS = 512


@dataclass(frozen=True)
class Passage:
    """One clause as the index sees it; ``context`` is the document title + heading path."""

    clause_id: str
    doc_id: str
    text: str
    context: str = ""


@dataclass(frozen=True)
class Hit:
    """A ranked clause. ``score`` is the fused score in hybrid mode, else the single retriever's score.

    ``bm25_rank``/``dense_rank`` (1-based) are None when the clause is outside that retriever's candidate
    list; ``bm25_score`` is always filled, ``dense_score`` whenever the query was embedded.
    """

    clause_id: str
    score: float
    bm25_score: float | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    dense_rank: int | None = None


@dataclass(frozen=True)
class FusionParams:
    """How hybrid search merges the two rankings; stored in the manifest, tunable on the eval set."""

    # Chosen on the dev split of eval/gold (152 answerable questions, e5, through the product's
    # query rewriting): min-max interpolation is flat at recall@3 0.980 / recall@1 0.842 for dense
    # weights 0.2-0.4 (MRR 0.911-0.912); 0.3 is the middle of that plateau. BM25 alone 0.980 / 0.796,
    # dense alone 0.836 / 0.678; RRF(k=60) 0.901 / 0.730 lets a flat dense ranking bury a decisive
    # BM25 winner. See eval/results/retrieval_benchmark.md.
    method: Literal["rrf", "interpolate"] = "interpolate"
    rrf_k: float = RRF_K
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    alpha: float = 0.3  # interpolate: weight of the dense side
    depth: int = 100  # candidates taken from each retriever before fusion


def bm25_text(p: Passage) -> str:
    """What BM25 indexes: the heading path helps ("数据要素" in a heading, not in the clause)."""
    return f"{p.context}\n{p.text}" if p.context else p.text


def dense_text(p: Passage, max_chars: int) -> str:
    """What the embedder sees, cut to what the model takes (context first, so the clause end is cut)."""
    return (f"{p.context}\n{p.text}" if p.context else p.text)[:max_chars]


def embedding_key(model_name: str, text: str) -> str:
    """Embedding-cache key: sha1(model name + passage string)."""
    return hashlib.sha1(f"{model_name}\x00{text}".encode()).hexdigest()


def embed_with_cache(
    passages: Sequence[Passage],
    emb: Embedder,
    cached: Mapping[str, np.ndarray],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, list[str], int]:
    """(vectors, embedding keys, how many were embedded): a passage whose key is in ``cached`` takes that
    vector, the rest are embedded in batches, ``progress(done, total)`` after each batch."""
    texts = [dense_text(p, getattr(emb, "max_chars", DEFAULT_MAX_CHARS)) for p in passages]
    keys = [embedding_key(emb.name, t) for t in texts]  # as embedding_keys(passages, emb)
    vectors = np.zeros((len(passages), emb.dim), dtype=np.float32)
    todo: list[int] = []
    for i, key in enumerate(keys):
        vec = cached.get(key)
        if vec is None:
            todo.append(i)
        else:
            vectors[i] = vec
    for start in range(0, len(todo), _EMBED_BATCH):
        batch = todo[start : start + _EMBED_BATCH]
        vectors[batch] = emb.embed_passages([texts[i] for i in batch])
        if progress:
            progress(min(start + _EMBED_BATCH, len(todo)), len(todo))
    return vectors, keys, len(todo)


def embedding_keys(passages: Sequence[Passage], emb: Embedder) -> list[str]:
    """The embedding-cache key of each passage (model and the text it is embedded as)."""
    return [embedding_key(emb.name, dense_text(p, getattr(emb, "max_chars", DEFAULT_MAX_CHARS))) for p in passages]


# ---------------------------------------------------------------------- shared by every backend's versions


def lexical_index(passages: Sequence[Passage], user_terms: Iterable[str]) -> tuple[list[str], Tokenizer, BM25Index]:
    """(clause ids, tokenizer, BM25) of a new version; a clause id twice is a ValueError."""
    ids = [p.clause_id for p in passages]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise ValueError(f"duplicate clause ids: {dupes}")
    tokenizer = Tokenizer(user_terms)
    return ids, tokenizer, BM25Index.build([tokenizer(bm25_text(p)) for p in passages])


def new_manifest(emb: Embedder, tokenizer: Tokenizer, kb_version: str, fusion: FusionParams, *, clause_count: int,
                 approximate: bool, embedded_new: int) -> Manifest:
    """The manifest of a new version (what :func:`check_version` compares when it is opened)."""
    return Manifest(model=emb.name, dim=int(emb.dim), dictionary_hash=tokenizer.dictionary_hash,
                    clause_count=clause_count, kb_version=kb_version, fusion=asdict(fusion),
                    dense_index="hnsw" if approximate else "flat", embedded_new=embedded_new)


def check_version(manifest: Manifest, emb: Embedder, kb_version: str, dictionary_hash: str,
                  clause_count: int | None, where: str) -> None:
    """StaleIndexError unless ``manifest`` is of this format, model, dictionary, KB version (and size)."""
    expected: dict[str, object] = {"format_version": FORMAT_VERSION, "model": emb.name, "dim": int(emb.dim),
                                   "dictionary_hash": dictionary_hash, "kb_version": kb_version}
    if clause_count is not None:
        expected["clause_count"] = clause_count
    check_manifest(manifest, expected, where)


def fusion_of(manifest: Manifest, fusion: FusionParams | None = None) -> FusionParams:
    """``fusion``, else the parameters the version was built with (fields this code knows)."""
    known = FusionParams.__dataclass_fields__
    return fusion or FusionParams(**{k: v for k, v in manifest.fusion.items() if k in known})


class HybridIndex:
    """Build with :meth:`build`, open with :meth:`load`; read-only afterwards and safe to share between threads."""

    def __init__(
        self,
        ids: list[str],
        bm25: BM25Index,
        dense: DenseIndex,
        tokenizer: Tokenizer,
        embedder: Embedder,
        manifest: Manifest,
        path: Path | None = None,
        fusion: FusionParams | None = None,
    ) -> None:
        self.ids = ids
        self.row_of = {cid: i for i, cid in enumerate(ids)}
        self.bm25 = bm25
        self.dense = dense
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.manifest = manifest
        self.path = path
        self.fusion = fusion_of(manifest, fusion)

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ build / load

    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        folder: str | Path,
        embedder: Embedder | str,
        user_terms: Iterable[str],
        kb_version: str,
        *,
        fusion: FusionParams | None = None,
        reuse: bool | str | Path = True,
        hnsw_threshold: int = HNSW_THRESHOLD,
        progress: Callable[[int, int], None] | None = None,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> HybridIndex:
        """Index ``passages`` and publish them atomically as the live version in ``folder``.

        ``reuse``: take unchanged passages' vectors from the live index in ``folder`` (True), from another
        index root (a path), or embed everything (False). Only new or changed passage strings are embedded.
        ``vectors``: more embedding-key -> vector pairs computed elsewhere (bulk ingest's workers).
        ``progress(done, total)`` is called after each embedding batch.
        """
        emb = get_embedder(embedder) if isinstance(embedder, str) else embedder
        fusion = fusion or FusionParams()
        ids, tokenizer, bm25 = lexical_index(passages, user_terms)

        cached = _load_embedding_cache(folder if reuse is True else reuse, emb) if reuse else {}
        if vectors:
            cached = {**cached, **vectors}
        vectors, keys, embedded_new = embed_with_cache(passages, emb, cached, progress)
        dense = DenseIndex.build(vectors, hnsw_threshold=hnsw_threshold)

        manifest = new_manifest(emb, tokenizer, kb_version, fusion, clause_count=len(passages),
                                approximate=dense.is_approximate, embedded_new=embedded_new)

        def write(tmp: Path) -> None:
            _write_json(tmp / "ids.json", ids)
            _write_json(tmp / "user_terms.json", list(tokenizer.user_terms))
            _write_json(tmp / "embed_keys.json", keys)
            bm25.save(tmp)
            dense.save(tmp)
            (tmp / "manifest.json").write_text(
                manifest.to_json(), encoding="utf-8"
            )  # last: marks completeness

        path = write_version(folder, write)
        return cls(ids, bm25, dense, tokenizer, emb, manifest, path, fusion)

    def update(
        self, passages: Sequence[Passage], kb_version: str, user_terms: Iterable[str] | None = None
    ) -> HybridIndex:
        """Rebuild in place from the full new passage list, re-embedding only new or changed passages."""
        if self.path is None:
            raise ValueError("this index was not loaded from or built into a folder")
        terms = self.tokenizer.user_terms if user_terms is None else user_terms
        return HybridIndex.build(
            passages, self.path.parent, self.embedder, terms, kb_version, fusion=self.fusion, reuse=True
        )

    @classmethod
    def load(
        cls,
        folder: str | Path,
        embedder_name: str | Embedder,
        kb_version: str,
        dictionary_hash: str,
        *,
        clause_count: int | None = None,
        fusion: FusionParams | None = None,
    ) -> HybridIndex:
        """Open the live version in ``folder``; raise :class:`StaleIndexError` if it does not match.

        Checked: manifest format version, model name and dimension (of ``embedder_name``, a spec such as
        ``"e5"`` or an Embedder instance), tokenizer dictionary hash (see
        :func:`indexing.tokenizer.dictionary_hash`), kb_version, and ``clause_count`` when given; plus the
        internal consistency of the files. A mismatched index is never returned.
        """
        version = current_version(folder)
        if version is None:
            raise IndexMissingError(f"no index in {folder}")
        manifest = read_manifest(version)
        emb = get_embedder(embedder_name) if isinstance(embedder_name, str) else embedder_name
        check_version(manifest, emb, kb_version, dictionary_hash, clause_count, version.name)
        try:
            ids = json.loads((version / "ids.json").read_text(encoding="utf-8"))
            terms = json.loads((version / "user_terms.json").read_text(encoding="utf-8"))
            bm25 = BM25Index.load(version)
            dense = DenseIndex.load(version)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise StaleIndexError(f"index {version.name} is unreadable: {exc}") from exc
        sizes = {len(ids), bm25.corpus_size, dense.size, manifest.clause_count}
        if len(sizes) != 1 or (dense.size and dense.dim != manifest.dim):
            raise StaleIndexError(f"index {version.name} is inconsistent: sizes {sorted(sizes)}")
        tokenizer = Tokenizer(terms)
        if tokenizer.dictionary_hash != manifest.dictionary_hash:
            raise StaleIndexError(f"index {version.name}: user_terms.json does not match its dictionary hash")
        return cls(ids, bm25, dense, tokenizer, emb, manifest, version, fusion)

    # ------------------------------------------------------------------ search

    def _allowed_rows(self, allowed_ids: set[str] | None) -> np.ndarray | None:
        if allowed_ids is None:
            return None
        rows = [self.row_of[c] for c in allowed_ids if c in self.row_of]
        return np.array(sorted(rows), dtype=np.int64)

    def search(
        self, query: str, k: int = 10, allowed_ids: set[str] | None = None, mode: Mode = "hybrid"
    ) -> list[Hit]:
        """Top ``k`` clauses for ``query``, optionally only among ``allowed_ids``."""
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown mode {mode!r}")
        rows = self._allowed_rows(allowed_ids)
        if k <= 0 or not self.ids or (rows is not None and len(rows) == 0):
            return []
        depth = max(k, self.fusion.depth) if mode == "hybrid" else k
        mask = None
        if rows is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[rows] = True

        terms = self.tokenizer(query)
        b_ids, b_scores = self.bm25.top_k(terms, depth, allowed=mask)
        if mode == "bm25":
            return [
                Hit(self.ids[r], float(s), bm25_score=float(s), bm25_rank=i)
                for i, (r, s) in enumerate(zip(b_ids, b_scores, strict=True), start=1)
            ]

        qvec = self.embedder.embed_queries([query])[0]
        d_ids, d_scores = self.dense.search(qvec, depth, allowed=rows)
        all_bm25 = self.bm25.get_scores(terms) if terms else None

        def bm25_of(r: int) -> float:
            return float(all_bm25[r]) if all_bm25 is not None else 0.0

        if mode == "dense":
            return [
                Hit(self.ids[r], float(s), bm25_score=bm25_of(r), dense_score=float(s), dense_rank=i)
                for i, (r, s) in enumerate(zip(d_ids, d_scores, strict=True), start=1)
            ]

        return fuse(self.ids, b_ids, d_ids, d_scores, bm25_of, lambda rows: self.dense.score(qvec, np.array(rows)),
                    self.fusion, k)


def fuse(
    ids: Sequence[str],
    b_ids: Sequence[int],
    d_ids: Sequence[int],
    d_scores: Sequence[float],
    bm25_of: Callable[[int], float],
    dense_of: Callable[[list[int]], Sequence[float]],
    fusion: FusionParams,
    k: int,
) -> list[Hit]:
    """Merge the BM25 and dense candidate rows into the top ``k`` hits; shared by every search backend
    so that fused scores agree wherever the candidates and their scores agree.

    ``ids[row]`` is a row's clause id, ``bm25_of(row)`` its BM25 score, ``dense_of(rows)`` the exact cosines
    of rows outside the dense candidate list.
    """
    b_rank = {int(r): i for i, r in enumerate(b_ids, start=1)}
    d_rank = {int(r): i for i, r in enumerate(d_ids, start=1)}
    d_score = {int(r): float(s) for r, s in zip(d_ids, d_scores, strict=True)}
    f = fusion
    if f.method == "rrf":
        fused = rrf(
            [[str(r) for r in b_ids], [str(r) for r in d_ids]],
            k=f.rrf_k,
            weights=[f.bm25_weight, f.dense_weight],
        )
    else:
        union = sorted(b_rank.keys() | d_rank.keys())
        missing = [r for r in union if r not in d_score]
        if missing:
            for r, s in zip(missing, dense_of(missing), strict=True):
                d_score[r] = float(s)
        fused = interpolate(
            {str(r): bm25_of(r) for r in union}, {str(r): d_score[r] for r in union}, alpha=f.alpha
        )
    hits = []
    for key, score in fused[:k]:
        r = int(key)
        if r not in d_score:
            d_score[r] = float(dense_of([r])[0])
        hits.append(
            Hit(
                ids[r],
                float(score),
                bm25_score=bm25_of(r),
                dense_score=d_score[r],
                bm25_rank=b_rank.get(r),
                dense_rank=d_rank.get(r),
            )
        )
    return hits


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _load_embedding_cache(root: str | Path, emb: Embedder) -> dict[str, np.ndarray]:
    """key -> vector from the live version under ``root`` (empty if none or a different dimension)."""
    version = current_version(root)
    if version is None:
        return {}
    try:
        keys = json.loads((version / "embed_keys.json").read_text(encoding="utf-8"))
        vectors = np.load(version / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return {}
    if vectors.ndim != 2 or vectors.shape[0] != len(keys) or vectors.shape[1] != emb.dim:
        return {}
    return {key: np.array(vectors[i]) for i, key in enumerate(keys)}
