"""Bulk-ingest throughput (issue 14): corpus-bulk dev documents into a fresh KB with the e5 index, on Ray
with 1 and 2 workers (one e5 thread each) and in this process (e5 on every core), then a re-ingest.

    nice -n 10 python -m eval.bench_pg_ingest [--docs 6]     # writes eval/results/bulk_ingest.md and .json

Wall seconds per phase (parse + store, embed, index build), passages embedded, and the embedding cost per
1,000 clauses: measured CPU seconds of the embedding processes (every thread), beside embed wall x cores
the embedder may use; and how many threads of one embedding process were busy (1 = the worker is pinned
to one thread). The VM's two cores are shared with other jobs: the load average at start and
end of each run is recorded beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from eval.bulk import bulk_available, bulk_files, document_split
from eval.common import RESULTS_DIR
from kb.bulk import bulk_ingest, start_local_cluster
from kb.library import Library

OUT = RESULTS_DIR / "bulk_ingest"
CONFIGS = [("ray", 1), ("ray", 2), ("process", 1)]


def run(files: list[Path], mode: str, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        lib = Library(Path(folder) / "kb")
        load0, start = os.getloadavg()[0], time.perf_counter()
        report, _ = bulk_ingest(lib, files, workers=workers, use_ray=mode == "ray")
        wall = time.perf_counter() - start
        again, _ = bulk_ingest(lib, files, workers=workers, use_ray=mode == "ray")
        lib.store.close()
    cores = workers if mode == "ray" else os.cpu_count() or 1
    usage = report.extra.get("embed_usage", [])
    cpu = sum(u["cpu_s"] for u in usage)
    row = {"mode": mode, "workers": workers, "embed_cores": cores, "docs": len(files), "clauses": report.clauses,
           "embedded": report.embedded_new, "parse_s": round(report.parse_s, 1), "embed_s": round(report.embed_s, 1),
           "index_s": round(report.index_s, 1), "wall_s": round(wall, 1),
           "clauses_per_s": round(report.clauses / wall, 2),
           "embed_core_s_per_1000": round(report.embed_s * cores / max(report.embedded_new, 1) * 1000, 1),
           "embed_cpu_s_per_1000": round(cpu / max(report.embedded_new, 1) * 1000, 1),
           "embed_cpu_per_wall": round(cpu / report.embed_s, 2) if report.embed_s else None,
           "peak_threads_per_embedder": max((int(u["peak_threads"]) for u in usage), default=0),
           "reingest_embedded": again.embedded_new, "reingest_s": round(again.parse_s + again.embed_s + again.index_s, 1),
           "load_start": round(load0, 2), "load_end": round(os.getloadavg()[0], 2)}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=6, help="how many corpus-bulk dev documents")
    args = ap.parse_args()
    if not bulk_available():
        raise SystemExit("../shared/corpus-bulk is absent")
    files = bulk_files(document_split()["dev_bulk"][: args.docs])
    start_local_cluster(2)
    rows = [run(files, mode, workers) for mode, workers in CONFIGS]
    base = next(r for r in rows if r["mode"] == "ray" and r["workers"] == 1)
    two = next(r for r in rows if r["mode"] == "ray" and r["workers"] == 2)
    meta = {"command": f"python -m eval.bench_pg_ingest --docs {args.docs}",
            "when": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "speedup_2_vs_1_embed": round(base["embed_s"] / two["embed_s"], 2)}
    OUT.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    lines = [
        "# Bulk ingest throughput: Ray workers vs one process",
        "",
        f"Made by `{meta['command']}` on {meta['when']}, {meta['cores']} cores shared with other jobs. "
        f"{len(files)} corpus-bulk dev documents into a fresh KB (e5), then the same files again (re-ingest).",
        f"Embedding speed-up of 2 Ray workers over 1: {meta['speedup_2_vs_1_embed']}x.",
        "",
        "embed CPU s per 1,000: CPU time the embedding processes used (all their threads), measured; "
        "wall x cores: embed wall seconds x the cores the embedder may use; CPU/wall: cores kept busy; "
        "threads: threads of one embedding process busy while it embedded (CPU >= 1/4 of the wall time).",
        "",
        "| mode | workers | clauses | embedded | parse s | embed s | index s | wall s | clauses/s "
        "| embed CPU s per 1,000 | wall x cores per 1,000 | CPU/wall | threads | re-ingest embedded / s "
        "| load start-end |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *[f"| {r['mode']} | {r['workers']} | {r['clauses']} | {r['embedded']} | {r['parse_s']} | {r['embed_s']} "
          f"| {r['index_s']} | {r['wall_s']} | {r['clauses_per_s']} | {r['embed_cpu_s_per_1000']} "
          f"| {r['embed_core_s_per_1000']} | {r['embed_cpu_per_wall']} | {r['peak_threads_per_embedder']} "
          f"| {r['reingest_embedded']} / {r['reingest_s']} | {r['load_start']}-{r['load_end']} |" for r in rows],
        "",
    ]
    OUT.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
