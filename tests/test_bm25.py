from __future__ import annotations

import random

import numpy as np
from rank_bm25 import BM25Okapi

from indexing.bm25 import BM25Index


def _corpus(seed: int, n_docs: int, vocab: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocab)]
    # Zipf-ish: a few very common terms get negative idf, exercising the epsilon floor
    weights = [1.0 / (i + 1) for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(1, 40)) for _ in range(n_docs)]


def test_scores_equal_rank_bm25() -> None:
    for seed, n_docs, vocab in [(0, 300, 50), (1, 500, 400), (2, 40, 12), (3, 5, 8)]:
        corpus = _corpus(seed, n_docs, vocab)
        ref = BM25Okapi(corpus)
        ours = BM25Index.build(corpus)
        rng = random.Random(seed + 100)
        for _ in range(30):
            query = rng.choices(
                [f"w{i}" for i in range(vocab + 5)], k=rng.randint(1, 6)
            )  # some unknown terms
            assert np.allclose(ours.get_scores(query), ref.get_scores(query), rtol=1e-5, atol=1e-6), query
    # the epsilon floor was exercised
    assert any(ref.idf[w] == ref.epsilon * ref.average_idf for w in ref.idf)


def test_top_k_and_allowed_mask() -> None:
    corpus = _corpus(7, 200, 60)
    index = BM25Index.build(corpus)
    query = ["w3", "w17", "w40"]
    scores = index.get_scores(query)
    ids, top = index.top_k(query, 10)
    assert list(top) == sorted(top, reverse=True)
    assert np.allclose(top, np.sort(scores)[::-1][:10])
    mask = np.zeros(len(corpus), dtype=bool)
    mask[::2] = True
    ids, _ = index.top_k(query, 10, allowed=mask)
    assert len(ids) and all(i % 2 == 0 for i in ids)
    assert len(index.top_k(["nope"], 10)[0]) == 0


def test_save_load_round_trip(tmp_path) -> None:
    corpus = _corpus(5, 120, 80) + [["赣州链", "数据", "交易"], []]
    index = BM25Index.build(corpus)
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path)
    assert loaded.vocab == index.vocab
    for query in (["w1", "w2"], ["赣州链"], ["w5", "w5", "zzz"]):
        assert np.array_equal(loaded.get_scores(query), index.get_scores(query))
    assert not list(tmp_path.glob("*.pkl"))


def test_empty_corpus() -> None:
    index = BM25Index.build([])
    assert index.get_scores(["a"]).shape == (0,)
    assert len(index.top_k(["a"], 5)[0]) == 0


def test_bm25_ties_at_the_kth_place_go_to_the_lower_row() -> None:
    """Ties break by row, also at the cut-off (argpartition alone picks among them at random); the
    PostgreSQL backend orders the same way, so both cut the same rows."""
    corpus = [["甲", "乙"], ["丙"], ["甲", "乙"], ["丁"], ["甲", "乙"], ["甲", "乙"], ["戊"]]
    index = BM25Index.build(corpus)
    for k in range(1, 5):
        rows, scores = index.top_k(["甲"], k)
        assert rows.tolist() == [0, 2, 4, 5][:k] and len(set(scores.tolist())) == 1
