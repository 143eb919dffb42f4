"""Honest search: a hit is shown only when it passes a relevance rule fitted on the dev gold.

The fused rank score is scaled per query, so the top hit of any query looks high; the two figures used
here are absolute: the share of the query's character bigrams that stand in the clause, and the e5
cosine similarity of query and clause. Thresholds live in kb/data/search_threshold.json, written by
``python -m ui.fit_search_threshold --write``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import kb

THRESHOLD_FILE = Path(kb.__file__).resolve().parent / "data" / "search_threshold.json"


def normalised(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def bigrams(text: str) -> set[str]:
    """Character bigrams of the CJK and alphanumeric runs of ``text``."""
    out: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fffA-Za-z0-9]+", text or ""):
        out.update(run[i:i + 2] for i in range(len(run) - 1))
        if len(run) == 1:
            out.add(run)
    return out


def coverage(query: str, text: str) -> float:
    """Share of the query's bigrams that stand in ``text`` (1.0 for a query with none)."""
    grams = bigrams(query)
    if not grams:
        return 1.0
    body = normalised(text)
    return sum(g in body for g in grams) / len(grams)


@dataclass(frozen=True)
class RelevanceRule:
    min_coverage: float
    min_similarity: float

    def passes(self, coverage_: float, similarity: float) -> bool:
        return coverage_ >= self.min_coverage or similarity >= self.min_similarity


@lru_cache(maxsize=1)
def fitted_rule() -> RelevanceRule:
    data = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    return RelevanceRule(float(data["min_coverage"]), float(data["min_similarity"]))
