"""Cold start: process start to first answer of `policykb ask` on an existing KB (issue 12).

    python -m eval.bench_cold_start            # 5 runs on a KB built from the bundled corpus
    python -m eval.bench_cold_start --runs 9 --kb DIR

Each run is a fresh `policykb ask QUESTION --kb DIR` subprocess; wall time from spawn to exit and the
child's CPU time (user + system, from resource.getrusage) are recorded. CPU time is the stable figure on a
shared machine; wall time is given with the load average beside it. Writes eval/results/cold_start.md/.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval" / "results"
QUESTION = "谁牵头探索建设赣南大数据交易中心？"
EXPECT = "市行政审批局"


def policykb() -> list[str]:
    exe = Path(sys.executable).with_name("policykb")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kb.cli"]


def one_run(kb: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([*policykb(), "ask", QUESTION, "--kb", str(kb)], capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0 or EXPECT not in out.stdout:
        raise SystemExit(f"policykb ask failed ({out.returncode}): {out.stdout[-300:]} {out.stderr[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=Path, help="existing KB (default: build one from the bundled corpus first)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    kb = args.kb or Path(tempfile.mkdtemp(prefix="policykb-cold-")) / "kb"
    if args.kb is None:
        one_run(kb)  # builds the KB and its index: not measured
    one_run(kb)  # the OS file cache warm, as on a machine that has run the tool before
    load = [round(x, 2) for x in os.getloadavg()]
    runs = [one_run(kb) for _ in range(args.runs)]
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    result = {
        "command": "python -m eval.bench_cold_start" + (f" --runs {args.runs}" if args.runs != 5 else ""),
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "question": QUESTION, "runs": args.runs, "load_average_before": load,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "wall_s": {"median": round(statistics.median(walls), 3), "min": round(min(walls), 3), "max": round(max(walls), 3)},
        "cpu_s": {"median": round(statistics.median(cpus), 3), "min": round(min(cpus), 3), "max": round(max(cpus), 3)},
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "cold_start.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (RESULTS / "cold_start.md").write_text(
            "# Cold start: `policykb ask` from process start to answer, existing KB\n\n"
            f"`{result['command']}` on {result['measured_at']}, {args.runs} runs of `policykb ask \"{QUESTION}\"` "
            f"on a KB of the bundled corpus; load average {load} before, {result['load_average_after']} after "
            "(2 cores). CPU = user + system of the child process.\n\n"
            "| figure | median | min | max |\n| --- | ---: | ---: | ---: |\n"
            f"| wall s | {result['wall_s']['median']} | {result['wall_s']['min']} | {result['wall_s']['max']} |\n"
            f"| CPU s | {result['cpu_s']['median']} | {result['cpu_s']['min']} | {result['cpu_s']['max']} |\n",
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
