"""Warm hybrid query latency at 100,000 clauses, on a quiet machine, with the real e5 query encoder.

    python -m eval.bench_latency_100k      # writes eval/results/latency_100k.md

Passages are the 81 real 广安 documents of ../shared/corpus-bulk cut into 200-character pieces and
replicated to 100,000; their vectors are random unit vectors (embedding 100k passages with e5 on 2 cores
takes hours, and flat inner-product search costs the same for any vectors). Queries are embedded with
e5 for real, so the figure is what a question costs end to end inside HybridIndex.search.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from eval.common import BULK_JSON
from indexing import HybridIndex, Passage, get_embedder
from indexing.embedders import l2_normalise

BULK = BULK_JSON
RESULTS = Path(__file__).resolve().parent / "results" / "latency_100k.md"
QUESTIONS = ["招商引资政策奖励多少", "返乡创业担保贷款贴息", "知识产权资助标准", "养老服务补贴怎么申请", "标准地改革牵头单位",
             "企业上市奖励", "技能提升补贴", "一老一小托育机构", "人才住房补贴", "外资企业到位资金奖励"]


class _QueryE5RandomPassages:
    """e5 for questions; random unit vectors for the replicated passages."""

    def __init__(self) -> None:
        self._e5 = get_embedder("e5")
        self.name, self.dim, self.max_chars = self._e5.name, self._e5.dim, self._e5.max_chars

    def embed_queries(self, texts):
        return self._e5.embed_queries(texts)

    def embed_passages(self, texts):
        rng = np.random.default_rng(len(texts))
        return l2_normalise(rng.standard_normal((len(texts), self.dim)).astype("float32"))


def main(n: int = 100_000) -> None:
    docs = json.loads(BULK.read_text(encoding="utf-8"))["data"]
    pieces = [d["content"][i : i + 200] for d in docs for i in range(0, len(d["content"]), 200)]
    passages = [Passage(f"c{i}", f"d{i % 81}", f"{pieces[i % len(pieces)]} {i}", "广安市政策") for i in range(n)]
    embedder = _QueryE5RandomPassages()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        index = HybridIndex.build(passages, folder, embedder, [], "bench", reuse=False)
        build = time.perf_counter() - start
        rows = []
        for mode in ("bm25", "dense", "hybrid"):
            index.search(QUESTIONS[0], k=10, mode=mode)
            times = []
            for q in QUESTIONS * 3:
                t = time.perf_counter()
                index.search(q, k=10, mode=mode)
                times.append((time.perf_counter() - t) * 1000)
            rows.append((mode, np.percentile(times, 50), np.percentile(times, 95)))
    lines = [
        "# Warm query latency at 100,000 clauses",
        "",
        f"Made by `python -m eval.bench_latency_100k` on {datetime.now().isoformat(timespec='seconds')}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end.",
        "",
        f"{n:,} passages (81 real 广安 documents cut and replicated), random passage vectors, real e5 query "
        f"embedding; faiss flat inner product; index build without embeddings {build:.1f} s.",
        "",
        "| mode | p50 ms | p95 ms |",
        "| --- | --- | --- |",
        *[f"| {mode} | {p50:.1f} | {p95:.1f} |" for mode, p50, p95 in rows],
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
