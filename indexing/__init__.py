"""Retrieval over clause passages: jieba + BM25, dense embeddings + faiss, fusion, persisted indexes.

Depends on nothing else in policykb; the domain layer (``kb``) calls it.
"""

from __future__ import annotations

from indexing.bm25 import BM25Index
from indexing.dense import DenseIndex
from indexing.embedders import (
    E5Embedder,
    Embedder,
    SentenceTransformerEmbedder,
    USEEmbedder,
    get_embedder,
)
from indexing.fusion import interpolate, rrf
from indexing.hybrid import FusionParams, Hit, HybridIndex, Passage
from indexing.store import IndexMissingError, Manifest, StaleIndexError
from indexing.tokenizer import Tokenizer, dictionary_hash

__all__ = [
    "BM25Index",
    "DenseIndex",
    "E5Embedder",
    "Embedder",
    "FusionParams",
    "Hit",
    "HybridIndex",
    "IndexMissingError",
    "Manifest",
    "Passage",
    "SentenceTransformerEmbedder",
    "StaleIndexError",
    "Tokenizer",
    "USEEmbedder",
    "dictionary_hash",
    "get_embedder",
    "interpolate",
    "rrf",
]
