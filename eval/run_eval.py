"""`policykb eval`: the committed gold sets -> retrieval, citation, answer and abstention metrics.

    policykb eval [--split dev|test|all] [--kb DIR] [--write]
    python -m eval.run_eval [--split ...] [--kb DIR] [--write] [--write-floors]

- KB: ``--kb DIR`` when given and non-empty is used as is; otherwise the cached KB ``eval/.cache/kb`` is
  (re)built from ``../shared/corpus`` (when present) plus the bundled ``corpus/``, and rebuilt whenever
  the corpus files or the ingest/index code change (see eval/common.py).
- Gold: eval/gold/ganzhou.jsonl and shared.jsonl (format and scoring rule in eval/gold/README.md);
  shared questions are skipped when ../shared/corpus is absent.
- Metrics per gold set (ganzhou, shared, all): retrieval recall@1/3/5 + MRR@5 of ``Retriever.search``
  (hybrid, top 5); answer-citation recall@3 (gold clause among the first 3 citations of the answer);
  answer accuracy = every ``expect`` string in the first sentence of the short answer (up to the first
  。), and in the whole answer, overall, by intent and by user kind; abstention precision/recall
  (found=false vs answerable=false); warm latency of ``Answerer.ask``.
- Floors: eval/results/floors.json holds committed minimum figures measured on the TEST split; every run
  that includes test questions (split test or all) checks the test subset against them and returns 1
  when a figure is below its floor.
- Output: the tables on stdout; ``eval/results/failures_<split>.jsonl`` (one line per failed question,
  for tuning) on every run; ``--write`` also writes ``eval/results/eval_<split>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from eval.common import (
    EVAL_TODAY,
    RESULTS_DIR,
    SHARED_CORPUS,
    GoldQuestion,
    doc_stems,
    ensure_kb,
    expect_met,
    first_sentence,
    fmt,
    gold_rank,
    load_gold,
    machine_facts,
    markdown_table,
    open_library,
    percentile,
    ratio,
    recall_block,
)

FLOORS_FILE = RESULTS_DIR / "floors.json"
FLOOR_MARGIN = 0.02
#: floor key -> (gold group, metric key in that group's metrics)
FLOOR_METRICS = {
    "ganzhou.answer_accuracy": ("ganzhou", "answer_accuracy_first"),
    "all.answer_accuracy": ("all", "answer_accuracy_first"),
    "all.citation_recall@3": ("all", "citation_recall@3"),
    "all.abstention_recall": ("all", "abstention_recall"),
}
RETRIEVAL_K = 5
CITATION_K = 3


@dataclass
class Record:
    """What happened to one gold question."""

    id: str
    set: str
    split: str
    intent: str
    user: str
    answerable: bool
    computed: bool
    question: str
    expect: list[str]
    gold_quotes: list[str]
    retrieval_rank: int | None = None  # of the gold clause in Retriever.search top 5
    retrieval_top: list[str] = field(default_factory=list)  # "stem label" of the top 5
    found: bool = False
    got_intent: str = ""
    answer: str = ""
    citations: list[str] = field(default_factory=list)  # "stem label"
    citation_rank: int | None = None  # of the gold clause among the answer's citations
    acc_first: bool = False
    acc_whole: bool = False
    latency_ms: float = 0.0
    error: str = ""

    @property
    def correct_abstention(self) -> bool:
        return not self.answerable and not self.found


def evaluate(
    library,
    questions: Sequence[GoldQuestion],
    *,
    model: str = "e5",
    retrieval: bool = True,
    progress: Callable[[str], None] | None = None,
    retriever=None,
) -> tuple[list[Record], float]:
    """Ask every question (and search it, when ``retrieval``); returns the records and the cold first ask (ms)."""
    from kb.answerer import Answerer
    from kb.retriever import Retriever

    stems = doc_stems(library)
    retriever = retriever or Retriever(library, model)
    answerer = Answerer(library, retriever)
    t = time.perf_counter()
    answerer.ask("谁牵头赣南大数据交易中心？")  # warm-up: loads the index and the model
    cold_ms = (time.perf_counter() - t) * 1000
    records: list[Record] = []
    for i, q in enumerate(questions, 1):
        rec = Record(
            id=q.id, set=q.set, split=q.split, intent=q.intent, user=q.user, answerable=q.answerable,
            computed=q.computed, question=q.question, expect=list(q.expect), gold_quotes=list(q.gold_quotes),
        )
        if retrieval:
            hits = retriever.search(q.question, k=RETRIEVAL_K)
            items = [(c.text, stems.get(c.doc_id, "")) for c, _s in hits]
            rec.retrieval_top = [f"{stems.get(c.doc_id, '')} {c.label}" for c, _s in hits]
            rec.retrieval_rank = gold_rank(q, items)
        start = time.perf_counter()
        try:
            ans = answerer.ask(q.question)
        except Exception as exc:  # a crash is a failed question, not a failed run
            rec.latency_ms = (time.perf_counter() - start) * 1000
            rec.error = f"{type(exc).__name__}: {exc}"
            records.append(rec)
            continue
        rec.latency_ms = (time.perf_counter() - start) * 1000
        rec.found, rec.got_intent, rec.answer = bool(ans.found), ans.intent, ans.answer
        rec.citations = [f"{stems.get(c.doc_id, c.doc_id)} {c.label}" for c in ans.citations]
        rec.citation_rank = gold_rank(q, [(c.text, stems.get(c.doc_id, "")) for c in ans.citations])
        if q.answerable:
            rec.acc_first = rec.found and expect_met(q, first_sentence(ans.answer))
            rec.acc_whole = rec.found and expect_met(q, ans.answer)
        records.append(rec)
        if progress and i % 50 == 0:
            progress(f"[eval] {i}/{len(questions)} questions")
    return records, cold_ms


def _acc(recs: list[Record], attr: str) -> float | None:
    return ratio(sum(1 for r in recs if getattr(r, attr)), len(recs))


def metrics(records: Sequence[Record]) -> dict:
    """All figures of one group of records."""
    ans = [r for r in records if r.answerable]
    unans = [r for r in records if not r.answerable]
    abstained = [r for r in records if not r.found]
    m: dict = {
        "questions": len(records),
        "answerable": len(ans),
        "unanswerable": len(unans),
    }
    if any(r.retrieval_top or r.retrieval_rank is not None for r in ans):
        m["retrieval"] = recall_block([r.retrieval_rank for r in ans], (1, 3, 5))
    cit = recall_block([r.citation_rank for r in ans], (1, 3))
    m["citation_recall@1"] = cit["recall@1"]
    m["citation_recall@3"] = cit["recall@3"]
    m["answer_accuracy_first"] = _acc(ans, "acc_first")
    m["answer_accuracy_whole"] = _acc(ans, "acc_whole")
    computed = [r for r in ans if r.computed]
    m["computed_accuracy_first"] = _acc(computed, "acc_first")
    m["computed_questions"] = len(computed)
    m["answered_rate"] = ratio(sum(1 for r in ans if r.found), len(ans))
    m["abstention_precision"] = ratio(sum(1 for r in abstained if not r.answerable), len(abstained))
    m["abstention_recall"] = ratio(sum(1 for r in unans if not r.found), len(unans))
    m["abstained"] = len(abstained)
    m["intent_accuracy"] = ratio(sum(1 for r in records if r.got_intent == r.intent), len(records))
    m["errors"] = sum(1 for r in records if r.error)
    lat = [r.latency_ms for r in records]
    m["latency_ms"] = {
        "p50": round(percentile(lat, 50), 1), "p95": round(percentile(lat, 95), 1),
        "max": round(max(lat), 1) if lat else None,
    }
    for key, attr in (("by_intent", "intent"), ("by_user", "user")):
        groups: dict[str, list[Record]] = {}
        for r in ans:
            groups.setdefault(getattr(r, attr), []).append(r)
        m[key] = {
            name: {
                "n": len(rs),
                "accuracy_first": _acc(rs, "acc_first"),
                "accuracy_whole": _acc(rs, "acc_whole"),
                "citation_recall@3": ratio(sum(1 for r in rs if r.citation_rank and r.citation_rank <= 3), len(rs)),
                "retrieval_recall@3": ratio(
                    sum(1 for r in rs if r.retrieval_rank and r.retrieval_rank <= 3), len(rs)
                ),
            }
            for name, rs in sorted(groups.items())
        }
    return m


def group_metrics(records: Sequence[Record]) -> dict[str, dict]:
    out = {}
    for name in ("ganzhou", "shared"):
        recs = [r for r in records if r.set == name]
        if recs:
            out[name] = metrics(recs)
    if out:
        out["all"] = metrics(list(records))
    return out


# ----------------------------------------------------------------------------------------------- floors


def load_floors(path: Path = FLOORS_FILE) -> dict:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def figure(groups: dict[str, dict], key: str) -> float | None:
    group, metric = FLOOR_METRICS[key]
    return groups.get(group, {}).get(metric)


def check_floors(test_groups: dict[str, dict], floors: dict, shared_available: bool) -> list[str]:
    """Messages for every figure below its floor (empty = all good)."""
    failures = []
    for key, floor in floors.get("floors", {}).items():
        if key not in FLOOR_METRICS:
            continue
        if key.startswith("all.") and not shared_available:
            continue  # all-corpus figures need ../shared/corpus
        value = figure(test_groups, key)
        if value is None:
            failures.append(f"{key}: not measured (floor {floor:.3f})")
        elif value + 1e-9 < floor:
            failures.append(f"{key}: {value:.3f} < floor {floor:.3f}")
    return failures


def floors_from(test_groups: dict[str, dict], margin: float = FLOOR_MARGIN) -> dict:
    floors = {}
    for key in FLOOR_METRICS:
        value = figure(test_groups, key)
        if value is not None:
            floors[key] = max(0.0, round(int((value - margin) * 1000) / 1000, 3))
    return {
        "comment": (
            f"Committed minimum figures: measured on the TEST split of eval/gold minus {int(margin * 100)} "
            "points, checked by `policykb eval` (split test or all) and tests/test_eval_floor.py. "
            "answer_accuracy = every expect string in the first sentence of the short answer; "
            "citation_recall@3 = gold clause among the first 3 citations; abstention_recall = share of "
            "unanswerable questions answered found=false. Raise them when the figures improve; never lower "
            "them to make a change pass."
        ),
        "split": "test",
        "margin": margin,
        "today": EVAL_TODAY.isoformat(),
        "measured": {key: figure(test_groups, key) for key in FLOOR_METRICS},
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "floors": floors,
    }


# ----------------------------------------------------------------------------------------------- report


def report_markdown(groups: dict[str, dict], split: str, info: dict) -> str:
    names = list(groups)
    header = ["metric", *names]

    def row(label: str, get, pct: bool = True) -> list[str]:
        return [label, *[fmt(get(groups[n])) if pct else str(get(groups[n])) for n in names]]

    rows = [
        row("questions (answerable / unanswerable)", lambda m: f"{m['questions']} ({m['answerable']} / {m['unanswerable']})", False),
    ]
    if all("retrieval" in groups[n] for n in names):
        rows += [
            row("retrieval recall@1", lambda m: m["retrieval"]["recall@1"]),
            row("retrieval recall@3", lambda m: m["retrieval"]["recall@3"]),
            row("retrieval recall@5", lambda m: m["retrieval"]["recall@5"]),
            row("retrieval MRR@5", lambda m: fmt(m["retrieval"]["mrr@5"], pct=False), pct=False),
        ]
    rows += [
        row("answer citation recall@1", lambda m: m["citation_recall@1"]),
        row("answer citation recall@3", lambda m: m["citation_recall@3"]),
        row("answer accuracy, first sentence", lambda m: m["answer_accuracy_first"]),
        row("answer accuracy, whole answer", lambda m: m["answer_accuracy_whole"]),
        row("  of which computed amounts (first sentence)",
            lambda m: f"{fmt(m['computed_accuracy_first'])} (n={m['computed_questions']})", False),
        row("answered (found=true) on answerable", lambda m: m["answered_rate"]),
        row("abstention precision", lambda m: m["abstention_precision"]),
        row("abstention recall", lambda m: m["abstention_recall"]),
        row("intent detected as gold", lambda m: m["intent_accuracy"]),
        row("ask latency p50 / p95 ms", lambda m: f"{m['latency_ms']['p50']:.0f} / {m['latency_ms']['p95']:.0f}", False),
        row("errors (exceptions)", lambda m: m["errors"], False),
    ]
    parts = [
        f"## policykb eval — split `{split}`",
        "",
        f"KB: `{info.get('kb')}` ({info.get('documents')} documents, {info.get('clauses')} clauses); "
        f"today pinned to {EVAL_TODAY}; model {info.get('model')}; cold first ask {info.get('cold_first_ask_ms', 0):.0f} ms. "
        "Figures in %, MRR as a fraction. Accuracy is over answerable questions.",
        "",
        markdown_table(header, rows),
    ]
    for key, title in (("by_intent", "intent"), ("by_user", "user kind")):
        keys = sorted({k for n in names for k in groups[n][key]})
        sub_header = [title] + [f"{n}: n / first / whole / cit@3" for n in names]
        sub_rows = []
        for k in keys:
            cells = [k]
            for n in names:
                g = groups[n][key].get(k)
                cells.append(
                    "—" if g is None else
                    f"{g['n']} / {fmt(g['accuracy_first'])} / {fmt(g['accuracy_whole'])} / {fmt(g['citation_recall@3'])}"
                )
            sub_rows.append(cells)
        parts += ["", f"### answer accuracy by {title} (answerable questions)", "", markdown_table(sub_header, sub_rows)]
    return "\n".join(parts) + "\n"


def failure_kinds(r: Record) -> list[str]:
    kinds = []
    if r.error:
        kinds.append("error")
    if r.answerable:
        if not r.found:
            kinds.append("false_abstention")
        elif not r.acc_first:
            kinds.append("wrong_first_sentence" if r.acc_whole else "wrong_answer")
        if r.citation_rank is None or r.citation_rank > CITATION_K:
            kinds.append("gold_not_cited_top3")
        if r.retrieval_top and (r.retrieval_rank is None or r.retrieval_rank > 3):
            kinds.append("gold_not_retrieved_top3")
    elif r.found:
        kinds.append("answered_unanswerable")
    if r.got_intent and r.got_intent != r.intent:
        kinds.append("intent_mismatch")
    return kinds


def failure_lines(records: Sequence[Record]) -> list[dict]:
    out = []
    for r in records:
        kinds = failure_kinds(r)
        if set(kinds) <= {"intent_mismatch"}:  # another intent label on a right answer is no failure
            continue
        out.append({
            "id": r.id, "set": r.set, "split": r.split, "intent": r.intent, "user": r.user,
            "answerable": r.answerable, "computed": r.computed, "failures": kinds,
            "question": r.question, "expected": r.expect, "gold_quotes": r.gold_quotes,
            "found": r.found, "got_intent": r.got_intent, "answer": r.answer,
            "first_sentence": first_sentence(r.answer),
            "citations": r.citations, "citation_rank": r.citation_rank,
            "retrieval_rank": r.retrieval_rank, "retrieval_top": r.retrieval_top,
            "latency_ms": round(r.latency_ms, 1), "error": r.error,
        })
    return out


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def run(
    kb_dir: str | None = None,
    split: str = "all",
    *,
    retrieval: bool = True,
    model: str = "e5",
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> dict:
    """Build/reuse the KB, evaluate ``split`` and return everything (no files written)."""
    shared_available = SHARED_CORPUS.is_dir()
    kb = ensure_kb(kb_dir, models=(model,), log=log)
    for err in kb.errors:
        log(f"[eval] ingest error: {err}")
    library = open_library(kb.path)
    questions = load_gold(split, shared_available=shared_available)
    if not shared_available:
        log("[eval] ../shared/corpus is absent: shared questions skipped")
    present = set(doc_stems(library).values())
    missing = sorted({q.doc for q in questions if q.doc and q.doc not in present})
    if missing:  # a --kb folder without some documents: their questions cannot be scored
        questions = [q for q in questions if not q.doc or q.doc in present]
        log(f"[eval] {len(missing)} gold documents are not in the KB, their questions skipped: {', '.join(missing)}")
    t = time.perf_counter()
    records, cold_ms = evaluate(library, questions, model=model, retrieval=retrieval, progress=log)
    info = {
        "kb": str(kb.path), "kb_rebuilt": kb.rebuilt, "kb_seconds": round(kb.seconds, 1),
        "documents": len(library.documents()), "clauses": len(library.clauses()),
        "model": model, "cold_first_ask_ms": round(cold_ms, 1), "eval_seconds": round(time.perf_counter() - t, 1),
        "shared_available": shared_available, "today": EVAL_TODAY.isoformat(),
        "date": datetime.now().isoformat(timespec="seconds"), "machine": machine_facts(),
    }
    library.store.close()
    groups = group_metrics(records)
    test_records = [r for r in records if r.split == "test"]
    test_groups = group_metrics(test_records) if test_records else {}
    return {"split": split, "info": info, "groups": groups, "test_groups": test_groups, "records": records}


def main(kb_dir: str | None = None, split: str = "all", write: bool = False, *, write_floors: bool = False) -> int:
    """Entry point of `policykb eval`; 0 = every figure at or above its floor, 1 = a floor is broken."""
    result = run(kb_dir, split)
    groups, test_groups, info = result["groups"], result["test_groups"], result["info"]
    md = report_markdown(groups, split, info)
    print(md)
    failures = failure_lines(result["records"])
    fail_path = RESULTS_DIR / f"failures_{split}.jsonl"
    fail_path.parent.mkdir(parents=True, exist_ok=True)
    fail_path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures), encoding="utf-8")
    print(f"{len(failures)} failed questions -> {fail_path.relative_to(RESULTS_DIR.parents[1])}")
    if write:
        data = {
            "command": f"policykb eval --split {split} --write",
            "info": info,
            "groups": groups,
            "test_groups": test_groups if split == "all" else None,
        }
        _write_json(RESULTS_DIR / f"eval_{split}.json", data)
        (RESULTS_DIR / f"eval_{split}.md").write_text(
            md + f"\nMade by `policykb eval --split {split} --write` on {info['date']} "
            f"({info['machine'].get('cpus')} cores, load average {info['machine'].get('loadavg_at_start')}).\n",
            encoding="utf-8",
        )
        print(f"wrote eval/results/eval_{split}.json and .md")
    if write_floors:
        if not test_groups:
            print("--write-floors needs test questions (split test or all)", file=sys.stderr)
            return 2
        _write_json(FLOORS_FILE, floors_from(test_groups))
        print(f"wrote {FLOORS_FILE.relative_to(RESULTS_DIR.parents[1])}")
    floors = load_floors()
    if not floors:
        print("no eval/results/floors.json: floors not checked")
        return 0
    if not test_groups:
        print(f"split {split} has no test questions: floors (measured on test) not checked")
        return 0
    broken = check_floors(test_groups, floors, info["shared_available"])
    checked = [k for k in floors.get("floors", {}) if info["shared_available"] or not k.startswith("all.")]
    if broken:
        print("BELOW FLOOR (test split): " + "; ".join(broken))
        return 1
    summary = ", ".join(f"{k} {fmt(figure(test_groups, k))}≥{100 * floors['floors'][k]:.1f}" for k in checked)
    print(f"floors OK (test split): {summary}")
    return 0


def _cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kb", default=None, help="KB folder to evaluate (default: the cached eval/.cache/kb)")
    p.add_argument("--split", default="all", choices=["dev", "test", "all"])
    p.add_argument("--write", action="store_true", help="write eval/results/eval_<split>.json and .md")
    p.add_argument("--write-floors", action="store_true",
                   help="rewrite eval/results/floors.json from this run's test figures minus 2 points")
    a = p.parse_args(argv)
    return main(a.kb, a.split, a.write, write_floors=a.write_floors)


if __name__ == "__main__":
    sys.exit(_cli())
