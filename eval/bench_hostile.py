"""Ingest every hostile file (eval/hostile_corpus.py) through the product; record outcome and time.

Each file goes through `Library.ingest` as `policykb ingest` and uploads do: parsed in the limited
worker process with the product's default limits (kb/sandbox.py), then stored. Recorded per file:
ingested or refused, the message, wall time, the worker's CPU time, and the longest a store read in
another thread waited while the file was being parsed (nothing else may be blocked). A file passes
when it is refused by name (with a reason) or ingested within its budget, as its case expects.

    python -m eval.bench_hostile                 # writes eval/results/hostile_benchmark.{json,md}
    python -m eval.bench_hostile --only pipe.txt,deep_divs.html --no-write
    python -m eval.bench_hostile --fit           # refits kb/data/text_quality.json on the dev documents
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from eval.hostile_corpus import CASES, generate
from kb.library import Library
from kb.sandbox import ParseLimits

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Prober(threading.Thread):
    """Reads the store every 20 ms from another thread; keeps the longest wait."""

    def __init__(self, library: Library) -> None:
        super().__init__(daemon=True)
        self.library = library
        self.stop = threading.Event()
        self.longest = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            t0 = time.perf_counter()
            self.library.store.generation()
            self.library.store.documents()
            self.longest = max(self.longest, time.perf_counter() - t0)
            self.stop.wait(0.02)


def run(names: list[str] | None, limits: ParseLimits) -> dict:
    work = Path(tempfile.mkdtemp(prefix="policykb-hostile-"))
    try:
        files = generate(work / "files", names)
        library = Library(work / "kb", limits=limits)
        rows = []
        for case, path in files:
            prober = _Prober(library)
            prober.start()
            cpu0, t0 = _children_cpu(), time.perf_counter()
            [report] = library.ingest([path])
            wall = time.perf_counter() - t0
            cpu = _children_cpu() - cpu0
            prober.stop.set()
            prober.join()
            named = str(path) in report.error or path.name in report.error
            if case.expect == "refuse":
                passed = not report.ok and named
            elif case.expect == "ingest":
                passed = report.ok
            else:
                passed = report.ok or named
            within = cpu <= limits.cpu_seconds + 2 if report.ok else True  # a refusal is bounded by the limits
            passed = passed and within and wall <= limits.wall_seconds + 10
            rows.append({
                "file": case.name, "note": case.note, "expect": case.expect,
                "outcome": "ingested" if report.ok else "refused",
                "doc_id": report.doc_id, "clauses": report.clauses, "rows": report.rows,
                "message": report.error.replace(str(path.parent) + "/", ""),
                "wall_s": round(wall, 2), "worker_cpu_s": round(cpu, 2),
                "store_read_max_ms": round(prober.longest * 1000, 1), "pass": passed,
            })
            print(f"{case.name:24s} {rows[-1]['outcome']:8s} {wall:7.2f}s cpu {cpu:6.2f}s "
                  f"{'ok ' if passed else 'FAIL'} {rows[-1]['message'][:70]}", flush=True)
        stored = {d.doc_id for d in library.documents()}
        ingested = sum(r["outcome"] == "ingested" for r in rows)
        # files with the same title are one document (the later replaces the earlier): compare ids
        consistent = stored == {r["doc_id"] for r in rows if r["outcome"] == "ingested"}
        library.store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "command": "python -m eval.bench_hostile",
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                   "wall_backstop_s": limits.wall_seconds},
        "files": len(rows), "passed": sum(r["pass"] for r in rows),
        "refused": sum(r["outcome"] == "refused" for r in rows), "ingested": ingested,
        "documents_in_kb": len(stored), "kb_consistent": consistent,
        "total_wall_s": round(sum(r["wall_s"] for r in rows), 1),
        "rows": rows,
    }


def to_markdown(result: dict) -> str:
    lim = result["limits"]
    lines = [
        "# Hostile-file benchmark",
        "",
        f"`{result['command']}` on {result['date']} ({result['machine']}). Each file generated by "
        "`eval/hostile_corpus.py` and ingested through `Library.ingest` (the path of `policykb ingest` and of "
        f"uploads) with the product's default parse limits: {lim['cpu_seconds']} s CPU, {lim['memory_mb']} MB "
        f"address space per file, wall backstop {lim['wall_backstop_s']:.0f} s.",
        "",
        f"**{result['passed']} / {result['files']} pass** (refused by name, or ingested within budget, as "
        f"expected); {result['refused']} refused, {result['ingested']} ingested ({result['documents_in_kb']} "
        "documents: files with one title are one document); KB afterwards holds exactly the ingested documents: "
        f"{result['kb_consistent']}. \"store read\" is the longest a store read in another thread took while "
        "the file was parsed.",
        "",
        "| file | case | expect | outcome | wall s | worker CPU s | store read ms | pass | message |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in result["rows"]:
        msg = r["message"].replace("|", "\\|")[:90] or f"{r['clauses']} clauses, {r['rows']} rows"
        lines.append(
            f"| {r['file']} | {r['note']} | {r['expect']} | {r['outcome']} | {r['wall_s']:.2f} | "
            f"{r['worker_cpu_s']:.2f} | {r['store_read_max_ms']:.1f} | {'yes' if r['pass'] else '**no**'} | {msg} |"
        )
    return "\n".join(lines) + "\n"


def fit_quality() -> dict:
    """Refit kb/data/text_quality.json from the development documents (never the test split)."""
    from eval.bulk import bulk_available, bulk_files
    from kb.quality import _PARAMS_FILE, measure
    from kb.readers import read_file

    splits = json.loads((REPO / "eval" / "gold" / "splits.json").read_text(encoding="utf-8"))
    shared = REPO.parent / "shared" / "corpus"
    files = sorted(shared.iterdir()) + (bulk_files(splits["dev_bulk"]) if bulk_available() else [])
    qs = [measure(read_file(f).text) for f in files]
    fitted = {
        "documents": len(files),
        "min_readable_share": round(min(q.readable_share for q in qs), 4),
        "max_control_share": round(max(q.control_share for q in qs), 4),
        "min_word_chars": min(q.word_chars for q in qs),
        "min_letter_share": round(min(q.letter_share for q in qs), 4),
    }
    data = {
        "comment": "Thresholds of kb/quality.py, fitted on the development files (../shared/corpus and the "
                   "dev_bulk stems) by `python -m eval.bench_hostile --fit`: readable share 0.8 x the lowest real "
                   "one, control share 10 x the highest real one (at least 1 %), word characters 1/10 of the "
                   "fewest in a real document, letter share (CJK and letters among word characters) 0.5 x the "
                   "lowest real one.",
        "fitted_on": fitted,
        "thresholds": {
            "min_readable_share": round(0.8 * fitted["min_readable_share"], 2),
            "max_control_share": max(0.01, round(10 * fitted["max_control_share"], 4)),
            "min_word_chars": max(1, fitted["min_word_chars"] // 10),
            "min_letter_share": round(0.5 * fitted["min_letter_share"], 2),
        },
    }
    _PARAMS_FILE.parent.mkdir(parents=True, exist_ok=True)
    _PARAMS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated file names of eval/hostile_corpus.py")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write eval/results")
    ap.add_argument("--fit", action="store_true", help="refit the text-quality thresholds on dev documents")
    args = ap.parse_args(argv)
    if args.fit:
        print(json.dumps(fit_quality(), ensure_ascii=False, indent=2))
        return 0
    names = [n for n in args.only.split(",") if n] or None
    unknown = set(names or []) - {c.name for c in CASES}
    if unknown:
        ap.error(f"unknown cases: {sorted(unknown)}")
    result = run(names, ParseLimits.from_env())
    print(f"{result['passed']}/{result['files']} pass, KB consistent {result['kb_consistent']}")
    if not args.no_write and names is None:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "hostile_benchmark.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                                        encoding="utf-8")
        (RESULTS / "hostile_benchmark.md").write_text(to_markdown(result), encoding="utf-8")
    return 0 if result["passed"] == result["files"] and result["kb_consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
