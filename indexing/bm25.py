"""BM25Okapi (rank-bm25's formula) over a term -> postings CSR structure.

rank_bm25 scores a query in O(N * |q|) Python work; here each query term touches only its own posting
list, with the per-posting BM25 weight precomputed at build time. Scores equal
``rank_bm25.BM25Okapi(corpus).get_scores(query)`` (k1=1.5, b=0.75, epsilon=0.25, same idf with the
epsilon floor for negative idf, repeated query terms counted again) -- tests/test_bm25.py checks it.
Persisted as plain ``.npy`` arrays + one JSON file, no pickle.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25


class BM25Index:
    """Immutable BM25 index: ``vocab`` maps a term to its row of the CSR arrays.

    ``indptr[t]:indptr[t+1]`` slices ``doc_ids`` (int32, ascending) and ``weights`` (float32, the
    term's full BM25 contribution for tf in that document).
    """

    def __init__(
        self,
        vocab: dict[str, int],
        indptr: np.ndarray,
        doc_ids: np.ndarray,
        weights: np.ndarray,
        idf: np.ndarray,
        doc_len: np.ndarray,
        k1: float = K1,
        b: float = B,
        epsilon: float = EPSILON,
    ) -> None:
        self.vocab = vocab
        self.indptr = indptr
        self.doc_ids = doc_ids
        self.weights = weights
        self.idf = idf
        self.doc_len = doc_len
        self.k1, self.b, self.epsilon = k1, b, epsilon

    @property
    def corpus_size(self) -> int:
        return int(self.doc_len.shape[0])

    @classmethod
    def build(
        cls, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B, epsilon: float = EPSILON
    ) -> BM25Index:
        """Index tokenised documents; document i gets id i."""
        n = len(corpus)
        doc_len = np.fromiter((len(d) for d in corpus), dtype=np.int32, count=n)
        avgdl = float(doc_len.sum()) / n if n else 0.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(corpus):
            for term, tf in Counter(doc).items():
                postings.setdefault(term, []).append((i, tf))
        vocab = {term: t for t, term in enumerate(postings)}
        # idf exactly as rank_bm25.BM25Okapi._calc_idf: negative idfs floored at epsilon * mean idf.
        idf = np.empty(len(vocab), dtype=np.float64)
        for term, t in vocab.items():
            df = len(postings[term])
            idf[t] = math.log(n - df + 0.5) - math.log(df + 0.5)
        if len(idf):
            floor = epsilon * float(idf.sum() / len(idf))
            idf[idf < 0] = floor
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        for term, t in vocab.items():
            indptr[t + 1] = len(postings[term])
        np.cumsum(indptr, out=indptr)
        total = int(indptr[-1])
        doc_ids = np.empty(total, dtype=np.int32)
        tfs = np.empty(total, dtype=np.float64)
        term_of = np.empty(total, dtype=np.int64)
        for term, t in vocab.items():
            s, e = indptr[t], indptr[t + 1]
            plist = postings[term]
            doc_ids[s:e] = [d for d, _ in plist]
            tfs[s:e] = [f for _, f in plist]
            term_of[s:e] = t
        norm = k1 * (1 - b + b * doc_len[doc_ids] / avgdl) if avgdl > 0 else np.full(total, k1)
        weights = (idf[term_of] * tfs * (k1 + 1) / (tfs + norm)).astype(np.float32)
        return cls(vocab, indptr, doc_ids, weights, idf, doc_len, k1, b, epsilon)

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """Scores of every document (float64, length N), like ``BM25Okapi.get_scores``."""
        scores = np.zeros(self.corpus_size, dtype=np.float64)
        for term, count in Counter(query).items():
            t = self.vocab.get(term)
            if t is None:
                continue
            s, e = self.indptr[t], self.indptr[t + 1]
            # doc ids are unique within one posting list, so fancy-index += is exact.
            scores[self.doc_ids[s:e]] += count * self.weights[s:e].astype(np.float64)
        return scores

    def matching_docs(self, query: Sequence[str]) -> np.ndarray:
        """Ids of documents containing at least one query term (the only ones with a non-zero score)."""
        rows = [self.vocab[t] for t in set(query) if t in self.vocab]
        if not rows:
            return np.empty(0, dtype=np.int32)
        parts = [self.doc_ids[self.indptr[t] : self.indptr[t + 1]] for t in rows]
        return np.unique(np.concatenate(parts))

    def top_k(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` matching documents (ids, scores), best first; ``allowed`` is a boolean mask over ids."""
        docs = self.matching_docs(query)
        if allowed is not None and len(docs):
            docs = docs[allowed[docs]]
        if not len(docs) or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        scores = self.get_scores(query)[docs]
        if len(docs) > k:  # keep every document tied with the k-th: argpartition picks among them at random
            kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
            keep = scores >= kth
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((docs, -scores))[:k]  # score desc, then id asc: deterministic ties
        return docs[order].astype(np.int64), scores[order]

    def save(self, folder: str | Path) -> None:
        """Write ``bm25_*.npy`` arrays and ``bm25.json`` (vocab + parameters) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("indptr", "doc_ids", "weights", "idf", "doc_len"):
            np.save(folder / f"bm25_{name}.npy", getattr(self, name), allow_pickle=False)
        terms = [""] * len(self.vocab)
        for term, t in self.vocab.items():
            terms[t] = term
        meta = {"k1": self.k1, "b": self.b, "epsilon": self.epsilon, "terms": terms}
        (folder / "bm25.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path, mmap: bool = False) -> BM25Index:
        """Read an index written by :meth:`save`."""
        folder = Path(folder)
        meta = json.loads((folder / "bm25.json").read_text(encoding="utf-8"))
        mode = "r" if mmap else None
        arrays = {
            name: np.load(folder / f"bm25_{name}.npy", mmap_mode=mode, allow_pickle=False)
            for name in ("indptr", "doc_ids", "weights", "idf", "doc_len")
        }
        vocab = {term: t for t, term in enumerate(meta["terms"])}
        return cls(vocab, k1=meta["k1"], b=meta["b"], epsilon=meta["epsilon"], **arrays)
