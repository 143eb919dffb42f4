"""Warm `ask` latency on the bundled corpus: every Ganzhou gold question through Answerer.ask, in process.

    python -m eval.bench_ask_latency            # KB of corpus/ in eval/.cache/kb-bundled, 3 timed passes
    python -m eval.bench_ask_latency --passes 5 --no-write

The first pass warms the caches (index load, gram statistics, typo fixer, e5 query encoder) and is not
timed; then each question is asked once per pass. Wall time per call (time.perf_counter) and the load
average are recorded; the machine has 2 cores. Writes eval/results/ask_latency.md/.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime

from eval.common import BUNDLED_CORPUS, CACHE_DIR, RESULTS_DIR, ensure_kb, load_gold, open_library, percentile

KB_CACHE = CACHE_DIR / "kb-bundled"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    from kb.answerer import Answerer

    info = ensure_kb(cache=KB_CACHE, files=sorted(BUNDLED_CORPUS.glob("*")), log=lambda s: None)
    answerer = Answerer(open_library(info.path))
    questions = [q.question for q in load_gold("all", sets=("ganzhou",))]
    for q in questions:  # warm-up pass, not timed
        answerer.ask(q)
    load = [round(x, 2) for x in os.getloadavg()]
    times: list[float] = []
    for _ in range(args.passes):
        for q in questions:
            start = time.perf_counter()
            answerer.ask(q)
            times.append((time.perf_counter() - start) * 1000)
    result = {
        "command": "python -m eval.bench_ask_latency" + (f" --passes {args.passes}" if args.passes != 3 else ""),
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "kb": "corpus/ (the Ganzhou plan, TXT and PDF as one document)",
        "questions": len(questions), "calls": len(times), "load_average_before": load,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "ms": {"p50": round(percentile(times, 50), 1), "p95": round(percentile(times, 95), 1),
               "p99": round(percentile(times, 99), 1), "max": round(max(times), 1)},
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.no_write:
        ms = result["ms"]
        (RESULTS_DIR / "ask_latency.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                                      encoding="utf-8")
        (RESULTS_DIR / "ask_latency.md").write_text(
            "# Warm `ask` latency on the bundled corpus\n\n"
            f"`{result['command']}` on {result['measured_at']}: the {len(questions)} questions of "
            f"eval/gold/ganzhou.jsonl, {args.passes} timed passes ({len(times)} calls) after one warm-up pass, "
            f"Answerer.ask in process on a KB of corpus/; load average {load} before, "
            f"{result['load_average_after']} after (2 cores).\n\n"
            "| p50 ms | p95 ms | p99 ms | max ms |\n| ---: | ---: | ---: | ---: |\n"
            f"| {ms['p50']} | {ms['p95']} | {ms['p99']} | {ms['max']} |\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
