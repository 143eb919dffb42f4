"""Ingest benchmark: the 36 corpus-bulk pages into a fresh KB, then the e5 index (issue 10, "Done when").

    nice python -m eval.bench_ingest [--label before|after] [--model e5] [--write]

Records, for the parse phase (reader -> extractors -> store, in the limited worker processes) and the
index phase (BM25 + e5 passage embedding): CPU seconds (this process and its children, from
``resource.getrusage``), wall seconds, clauses, ms of CPU and of wall per clause, and the load average
of the machine at start and end (the VM is shared: wall time is only meaningful against it). The
target of issue 10: wall at most 0.6x CPU for the embedding, and the CPU cost per clause not growing.

``--write`` merges the run under its ``--label`` into eval/results/ingest_benchmark.json and rewrites
eval/results/ingest_benchmark.md from every label recorded there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from eval.bulk import bulk_available, bulk_files
from eval.common import RESULTS_DIR

OUT_JSON = RESULTS_DIR / "ingest_benchmark.json"
OUT_MD = RESULTS_DIR / "ingest_benchmark.md"


def _cpu() -> float:
    """CPU seconds (user + system) of this process and every finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _phase(cpu0: float, wall0: float, clauses: int) -> dict:
    cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
    per = max(clauses, 1)
    return {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "wall_over_cpu": round(wall / cpu, 3) if cpu else None,
            "clauses": clauses, "cpu_ms_per_clause": round(1000 * cpu / per, 1),
            "wall_ms_per_clause": round(1000 * wall / per, 1)}


def run(model: str = "e5") -> dict:
    """Ingest the 36 bulk pages into a fresh temporary KB and index it; the figures of both phases."""
    from kb.library import Library
    from kb.retriever import Retriever

    files = bulk_files()
    kb_dir = Path(tempfile.mkdtemp(prefix="policykb-bench-"))
    try:
        load0 = os.getloadavg()
        cpu0, wall0 = _cpu(), time.perf_counter()
        library = Library(kb_dir)
        reports = library.ingest(files)
        clauses = sum(r.clauses for r in reports if r.ok)
        parse = _phase(cpu0, wall0, clauses)
        indexed = len(library.clauses())
        cpu1, wall1 = _cpu(), time.perf_counter()
        index = Retriever(library, model).index()
        embed = _phase(cpu1, wall1, indexed)
        embed["embedded_new"] = int(index.manifest.embedded_new)
        total = _phase(cpu0, wall0, indexed)
        library.store.close()
        return {
            "model": model, "documents": len(files), "ok": sum(r.ok for r in reports),
            "characters": sum(len(f.read_text(encoding="utf-8")) for f in files),
            "parse": parse, "index": embed, "total": total,
            "loadavg_start": [round(x, 2) for x in load0], "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
            "when": time.strftime("%Y-%m-%d %H:%M"),
        }
    finally:
        shutil.rmtree(kb_dir, ignore_errors=True)


def _markdown(runs: dict[str, dict]) -> str:
    lines = [
        "# Ingest benchmark: 36 corpus-bulk pages into a fresh KB (`python -m eval.bench_ingest`)",
        "",
        "CPU = user + system of the process and its parse workers; the VM has 2 cores shared with other",
        "jobs, so the load average is given beside each run. Target (issue 10): index wall <= 0.6x its CPU.",
        "Parse CPU counts only reaped worker processes (a lower bound); the index phase runs in this process.",
        "",
        "| run | phase | clauses | CPU s | wall s | wall/CPU | CPU ms/clause | wall ms/clause | load start/end |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, r in runs.items():
        for phase in ("parse", "index", "total"):
            p = r[phase]
            lines.append(f"| {label} ({r['when']}) | {phase} | {p['clauses']} | {p['cpu_s']} | {p['wall_s']} | "
                         f"{p['wall_over_cpu']} | {p['cpu_ms_per_clause']} | {p['wall_ms_per_clause']} | "
                         f"{r['loadavg_start'][0]} / {r['loadavg_end'][0]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="run")
    ap.add_argument("--model", default="e5")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if not bulk_available():
        print("../shared/corpus-bulk is absent: nothing to measure")
        return 1
    result = run(args.model)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.write:
        runs = json.loads(OUT_JSON.read_text(encoding="utf-8")) if OUT_JSON.is_file() else {}
        runs[args.label] = result
        OUT_JSON.write_text(json.dumps(runs, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        OUT_MD.write_text(_markdown(runs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
