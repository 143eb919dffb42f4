"""Rank fusion as pure functions; weights and alpha are parameters for the eval set to tune."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: Defaults until tuned on the gold questions: plain RRF (Cormack et al. 2009), equal weights.
RRF_K = 60


def rrf(
    rankings: Sequence[Sequence[str]], k: float = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: sum of ``w / (k + rank)`` (rank from 1) over the lists an id appears in.

    Scale-free, so BM25 scores and cosines need no calibration. Ties break by first appearance.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + w / (k + rank)
    order = {doc: i for i, doc in enumerate(fused)}
    return sorted(fused.items(), key=lambda item: (-item[1], order[item[0]]))


def min_max(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores mapped to [0, 1]; all-equal scores map to 1.0 (they all matched equally)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi == lo:
        return dict.fromkeys(scores, 1.0)
    return {doc: (s - lo) / (hi - lo) for doc, s in scores.items()}


def interpolate(
    bm25_scores: Mapping[str, float], dense_scores: Mapping[str, float], alpha: float = 0.5
) -> list[tuple[str, float]]:
    """``alpha * dense + (1 - alpha) * bm25`` after min-max normalising each side.

    An id missing from one side gets 0 on that side. Ties break by id, so the order is deterministic.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must be in [0, 1]")
    nb, nd = min_max(bm25_scores), min_max(dense_scores)
    fused = {doc: alpha * nd.get(doc, 0.0) + (1 - alpha) * nb.get(doc, 0.0) for doc in nb.keys() | nd.keys()}
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
