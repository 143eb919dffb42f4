"""Passage batches are balanced across cores and every vector comes back to its own text."""

from __future__ import annotations

import numpy as np

from indexing.embedders import _LazyEmbedder, balanced_order


def test_balanced_order_is_a_permutation_with_even_runs():
    lengths = [5, 100, 20, 80, 1, 60, 33, 47, 480, 12]
    order = balanced_order(lengths, batch=4, threads=2)
    assert sorted(order) == list(range(len(lengths)))
    first = [lengths[i] for i in order[:4]]
    assert abs(sum(first[:2]) - sum(first[2:])) <= max(first)  # both halves carry long texts


class _Fake(_LazyEmbedder):
    name, dim, max_chars = "fake", 3, 1000

    def _load(self):
        return object()

    def _encode(self, model, texts, is_query):
        return np.array([[len(t), ord(t[0]), 1.0] for t in texts], dtype=np.float32)


def test_vectors_return_in_input_order():
    texts = ["甲" * n for n in (3, 40, 7, 90, 1)] + ["乙" * 50]
    got = _Fake().embed_passages(texts)
    want = _Fake()._encode(None, texts, False)
    want = want / np.linalg.norm(want, axis=1, keepdims=True)
    assert np.allclose(got, want)
