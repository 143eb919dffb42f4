"""Fit the relevance threshold of 条款检索 on the dev questions of the gold sets (never the test ones).

    python -m ui.fit_search_threshold [--kb eval/.cache/kb] [--write]

For every dev question of eval/gold/ganzhou.jsonl and shared.jsonl, the top 10 hits are split into gold
hits (the clause holds one of the question's gold quotes) and the rest. Two absolute figures are
compared, unlike the fused rank score, which is scaled per query so that the top hit always looks high:
the share of the query's character bigrams found in the clause, and the e5 cosine similarity of query
and clause. The pair of thresholds keeps the best gold hit of 98 % of the answerable dev questions and
removes as many other hits as possible; the figures written with it say what it costs and removes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ui.relevance import THRESHOLD_FILE, coverage, normalised

REPO = Path(__file__).resolve().parents[1]
GOLD = [REPO / "eval" / "gold" / "ganzhou.jsonl", REPO / "eval" / "gold" / "shared.jsonl"]
OUT = THRESHOLD_FILE
KEEP = 0.98  # share of answerable dev questions whose best gold hit must pass
K = 10


def _collect(kb_dir: Path) -> tuple[list[list[tuple[float, float, bool]]], list[list[tuple[float, float]]]]:
    from kb.library import Library
    from kb.retriever import Retriever

    library = Library(kb_dir)
    retriever = Retriever(library)
    answerable, unanswerable = [], []
    for path in GOLD:
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("split") != "dev":
                continue
            q = item["question"]
            hits = retriever.search_scored(q, k=K)
            quotes = [normalised(x) for x in item.get("gold_quotes", []) if x]
            rows = [(coverage(q, c.text), d, any(x in normalised(c.text) for x in quotes)) for c, _, d in hits]
            if item.get("answerable", True):
                answerable.append(rows)
            else:
                unanswerable.append([(cov, d) for cov, d, _ in rows])
    return answerable, unanswerable


def _figures(answerable, unanswerable, cov_min: float, dense_min: float) -> dict:
    def keep(cov: float, d: float) -> bool:
        return cov >= cov_min or d >= dense_min

    with_gold = [rows for rows in answerable if any(g for _, _, g in rows)]
    kept_gold = sum(any(g and keep(c, d) for c, d, g in rows) for rows in with_gold)
    others = [(c, d) for rows in answerable for c, d, g in rows if not g]
    return {
        "answerable_with_gold_in_top10": len(with_gold),
        "best_gold_hits_kept": round(kept_gold / max(1, len(with_gold)), 3),
        "other_hits": len(others),
        "other_hits_removed": round(sum(not keep(c, d) for c, d in others) / max(1, len(others)), 3),
        "unanswerable": len(unanswerable),
        "unanswerable_with_no_hit_left": round(sum(not any(keep(c, d) for c, d in rows) for rows in unanswerable)
                                               / max(1, len(unanswerable)), 3),
    }


def measure(kb_dir: Path) -> dict:
    """Grid over (coverage, similarity): the pair that removes most non-gold hits while keeping the best
    gold hit of KEEP of the answerable dev questions."""
    answerable, unanswerable = _collect(kb_dir)
    best = None
    for ci in range(0, 21):
        for di in range(0, 41):
            cov_min, dense_min = ci * 0.05, 0.80 + di * 0.005
            fig = _figures(answerable, unanswerable, cov_min, dense_min)
            if fig["best_gold_hits_kept"] < KEEP:
                continue
            key = (fig["other_hits_removed"], fig["unanswerable_with_no_hit_left"])
            if best is None or key > best[0]:
                best = (key, cov_min, dense_min, fig)
    assert best is not None
    _, cov_min, dense_min, fig = best
    return {
        "rule": "a hit is shown when its query-bigram coverage >= min_coverage or its e5 similarity >= min_similarity",
        "min_coverage": round(cov_min, 3),
        "min_similarity": round(dense_min, 3),
        "keep": KEEP,
        "fitted_on": "dev questions of eval/gold/ganzhou.jsonl and eval/gold/shared.jsonl, top 10 hits",
        "command": "python -m ui.fit_search_threshold --write",
        **fig,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(REPO / "eval" / ".cache" / "kb"), help="已建好的评测知识库目录")
    parser.add_argument("--write", action="store_true", help=f"写入 {OUT.relative_to(REPO)}")
    args = parser.parse_args(argv)
    result = measure(Path(args.kb))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        OUT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
