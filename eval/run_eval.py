"""`policykb eval`: the committed gold sets, scored on dev and test DOCUMENTS side by side.

    policykb eval [--split dev|test|all] [--kb DIR] [--write]
    python -m eval.run_eval [--split ...] [--kb DIR] [--write] [--write-floors] [--no-retrieval]

- Split by document (eval/gold/splits.json): a question belongs to the split of its document; every document of
  ../shared/corpus and the dev_bulk stems are dev, the 12 held-out corpus-bulk stems are test.
- KB: ``--kb DIR`` when given and non-empty is used as is; otherwise one mixed KB (eval/.cache/kb-mixed) holding
  ../shared/corpus, all 36 corpus-bulk pages and the bundled corpus, rebuilt only when those files or the
  ingest/index code change (eval/common.py). Every question is asked of that one KB, in process.
- Gold: ganzhou, shared, bulk_dev and bulk_test (when present) .jsonl in eval/gold (README there).
- Metrics per split: accuracy on answerable questions (questions with gold items: ≥ 80 % of the items in the
  answer; others: every ``expect`` string in the first sentence), citations@3 (gold clause among the first 3
  citations), answered (found=true on answerable), abstention (found=false on unanswerable), list-item share
  (mean share of gold items in the answer); by answer type, by user kind, by gold set; the dev−test gap.
  Retrieval recall@1/3/5 of ``Retriever.search`` too, unless ``--no-retrieval``.
- Floors: eval/results/floors.json (written only by ``--write-floors``), keys ``test.<metric>`` measured on the
  test documents; a run that includes test documents returns 1 when a figure is below its floor. Keys this
  runner does not know (older floors) are skipped.
- Output: tables on stdout; ``eval/results/failures_<split>.jsonl`` for each document split evaluated (developers
  read only failures_dev.jsonl; a dev answer that cites a test document has its text withheld there);
  ``--write`` also writes ``eval/results/eval_<split>.json`` and ``.md`` (split all: eval_all, eval_dev and
  eval_test from the one run).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from eval.common import (
    ANSWER_TYPES,
    EVAL_TODAY,
    RESULTS_DIR,
    SHARED_CORPUS,
    GoldQuestion,
    answer_right,
    doc_stems,
    ensure_eval_kb,
    expect_met,
    first_sentence,
    fmt,
    gold_rank,
    held_out_stems,
    item_share,
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
SPLITS = ("dev", "test")
#: floor key -> (document split, metric key in that split's metrics)
FLOOR_METRICS = {
    "test.accuracy": ("test", "accuracy"),
    "test.citations@3": ("test", "citations@3"),
    "test.answered": ("test", "answered"),
    "test.abstention": ("test", "abstention"),
    "test.list_item_share": ("test", "list_item_share"),
}
#: metrics whose dev−test gap is reported (the figures of issue 11's "Done when")
GAP_METRICS = ("accuracy", "citations@3", "answered", "abstention", "list_item_share")
RETRIEVAL_K = 5
CITATION_K = 3


@dataclass
class Record:
    """What happened to one gold question."""

    id: str
    set: str
    split: str  # the split of its document
    doc: str
    intent: str
    answer_type: str
    user: str
    answerable: bool
    computed: bool
    question: str
    expect: list[str]
    gold_quotes: list[str]
    gold_items: list[str] = field(default_factory=list)
    retrieval_rank: int | None = None  # of the gold clause in Retriever.search top 5
    retrieval_top: list[str] = field(default_factory=list)  # "stem label" of the top 5
    found: bool = False
    got_intent: str = ""
    got_answer_type: str = ""
    answer: str = ""
    citations: list[str] = field(default_factory=list)  # "stem label"
    citation_rank: int | None = None  # of the gold clause among the answer's citations
    right: bool = False  # the scoring rule (items or expect in the first sentence)
    acc_first: bool = False  # every expect string in the first sentence
    acc_whole: bool = False  # every expect string in the whole answer
    item_share: float | None = None
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
            id=q.id, set=q.set, split=q.split, doc=q.doc, intent=q.intent, answer_type=q.answer_type, user=q.user,
            answerable=q.answerable, computed=q.computed, question=q.question, expect=list(q.expect),
            gold_quotes=list(q.gold_quotes), gold_items=list(q.gold_items),
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
        rec.got_answer_type = str(getattr(ans, "answer_type", "") or "")
        rec.citations = [f"{stems.get(c.doc_id, c.doc_id)} {c.label}" for c in ans.citations]
        rec.citation_rank = gold_rank(q, [(c.text, stems.get(c.doc_id, "")) for c in ans.citations])
        if q.answerable:
            rec.right = rec.found and answer_right(q, ans.answer)
            rec.acc_first = rec.found and expect_met(q, first_sentence(ans.answer))
            rec.acc_whole = rec.found and expect_met(q, ans.answer)
            share = item_share(q, ans.answer)
            rec.item_share = (share if rec.found else 0.0) if share is not None else None
        records.append(rec)
        if progress and i % 50 == 0:
            progress(f"[eval] {i}/{len(questions)} questions")
    return records, cold_ms


def _share(recs: Sequence[Record], pred: Callable[[Record], bool]) -> float | None:
    return ratio(sum(1 for r in recs if pred(r)), len(recs))


def _cited(r: Record) -> bool:
    return r.citation_rank is not None and r.citation_rank <= CITATION_K


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def core(records: Sequence[Record]) -> dict:
    """The five figures of one group of records (used for every breakdown)."""
    ans = [r for r in records if r.answerable]
    unans = [r for r in records if not r.answerable]
    listed = [r.item_share for r in ans if r.item_share is not None]
    return {
        "n": len(records),
        "answerable": len(ans),
        "unanswerable": len(unans),
        "accuracy": _share(ans, lambda r: r.right),
        "citations@3": _share(ans, _cited),
        "answered": _share(ans, lambda r: r.found),
        "abstention": _share(unans, lambda r: not r.found),
        "list_item_share": _mean(listed),
        "list_questions": len(listed),
    }


def metrics(records: Sequence[Record]) -> dict:
    """All figures of one group of records (a document split)."""
    ans = [r for r in records if r.answerable]
    abstained = [r for r in records if not r.found]
    m: dict = core(records)
    m["questions"] = len(records)
    if any(r.retrieval_top or r.retrieval_rank is not None for r in ans):
        m["retrieval"] = recall_block([r.retrieval_rank for r in ans], (1, 3, 5))
    m["citations@1"] = recall_block([r.citation_rank for r in ans], (1, 3))["recall@1"]
    listed = [r for r in ans if r.item_share is not None]
    m["list_right"] = _share(listed, lambda r: r.right)
    m["accuracy_expect_first"] = _share([r for r in ans if r.expect], lambda r: r.acc_first)
    m["accuracy_expect_whole"] = _share([r for r in ans if r.expect], lambda r: r.acc_whole)
    computed = [r for r in ans if r.computed]
    m["computed_accuracy"] = _share(computed, lambda r: r.right)
    m["computed_questions"] = len(computed)
    m["abstention_precision"] = _share(abstained, lambda r: not r.answerable)
    m["abstained"] = len(abstained)
    typed = [r for r in records if r.got_answer_type]
    m["answer_type_detected"] = _share(typed, lambda r: r.got_answer_type == r.answer_type) if typed else None
    m["errors"] = sum(1 for r in records if r.error)
    lat = [r.latency_ms for r in records]
    m["latency_ms"] = {
        "p50": round(percentile(lat, 50), 1), "p95": round(percentile(lat, 95), 1),
        "max": round(max(lat), 1) if lat else None,
    }
    for key, attr in (("by_answer_type", "answer_type"), ("by_user", "user"), ("by_set", "set")):
        groups: dict[str, list[Record]] = {}
        for r in records:
            groups.setdefault(getattr(r, attr), []).append(r)
        order = ANSWER_TYPES if attr == "answer_type" else sorted(groups)
        m[key] = {name: core(groups[name]) for name in order if name in groups}
    return m


def split_metrics(records: Sequence[Record]) -> dict[str, dict]:
    """{"dev": metrics, "test": metrics} for the document splits present in ``records``."""
    return {s: metrics([r for r in records if r.split == s]) for s in SPLITS if any(r.split == s for r in records)}


def gap(groups: dict[str, dict]) -> dict[str, float | None]:
    """dev − test per metric (positive = worse on test), None when a side is not measured."""
    dev, test = groups.get("dev", {}), groups.get("test", {})
    out: dict[str, float | None] = {}
    for k in GAP_METRICS:
        a, b = dev.get(k), test.get(k)
        out[k] = None if a is None or b is None else a - b
    return out


def group_metrics(records: Sequence[Record]) -> dict[str, dict]:
    """Figures per gold set and over all records (kept for eval/bench_retrieval.py; old key names included)."""
    out = {}
    for name in sorted({r.set for r in records}):
        out[name] = metrics([r for r in records if r.set == name])
    if records:
        out["all"] = metrics(list(records))
    for m in out.values():
        m["answer_accuracy_first"] = m["accuracy"]
        m["citation_recall@3"] = m["citations@3"]
        m["abstention_recall"] = m["abstention"]
    return out


# ----------------------------------------------------------------------------------------------- floors


def load_floors(path: Path | None = None) -> dict:
    path = path or FLOORS_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def figure(groups: dict[str, dict], key: str) -> float | None:
    split, metric = FLOOR_METRICS[key]
    return groups.get(split, {}).get(metric)


def known_floors(floors: dict) -> dict[str, float]:
    """The floors this runner knows; older or unknown keys are skipped (the lead rewrites the file)."""
    return {k: v for k, v in floors.get("floors", {}).items() if k in FLOOR_METRICS}


def check_floors(groups: dict[str, dict], floors: dict) -> list[str]:
    """Messages for every known figure below its floor (empty = all good), measured on the test documents."""
    failures = []
    for key, floor in known_floors(floors).items():
        value = figure(groups, key)
        if value is None:
            failures.append(f"{key}: not measured (floor {floor:.3f})")
        elif value + 1e-9 < floor:
            failures.append(f"{key}: {value:.3f} < floor {floor:.3f}")
    return failures


def floors_from(groups: dict[str, dict], margin: float = FLOOR_MARGIN, previous: dict[str, float] | None = None) -> dict:
    """Floors at the measured figures minus `margin`, never below the `previous` floors (a change that
    trades one figure down is measured against the old floor, not given a new one)."""
    floors = {}
    for key in FLOOR_METRICS:
        value = figure(groups, key)
        if value is not None:
            floors[key] = max(0.0, math.floor(round((value - margin) * 1000, 6)) / 1000, (previous or {}).get(key, 0.0))
    return {
        "comment": (
            f"Committed minimum figures measured on the TEST documents (eval/gold/splits.json) minus "
            f"{int(margin * 100)} points, checked by `policykb eval` (split test or all) and tests/test_eval_floor.py. "
            "accuracy = answerable questions right (gold items: >= 80 % in the answer; else every expect string in "
            "the first sentence); citations@3 = gold clause among the first 3 citations; answered = found on "
            "answerable; abstention = found=false on unanswerable; list_item_share = mean share of gold items in "
            "the answer. Raise them when the figures improve; never lower them to make a change pass."
        ),
        "split": "test documents",
        "test_documents": sorted(held_out_stems()),
        "margin": margin,
        "today": EVAL_TODAY.isoformat(),
        "measured": {key: figure(groups, key) for key in FLOOR_METRICS},
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "floors": floors,
    }


# ----------------------------------------------------------------------------------------------- report


def _gap_cell(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:+.1f}"


def report_markdown(groups: dict[str, dict], split: str, info: dict) -> str:
    names = list(groups)
    both = len(names) == 2
    header = ["metric", *[f"{n} documents" for n in names]] + (["dev − test"] if both else [])
    gaps = gap(groups) if both else {}

    def row(label: str, get, key: str | None = None) -> list[str]:
        cells = [label, *[get(groups[n]) for n in names]]
        if both:
            cells.append(_gap_cell(gaps.get(key)) if key else "")
        return cells

    def pct(key: str):
        return lambda m: fmt(m.get(key))

    rows = [
        row("questions (answerable / unanswerable)", lambda m: f"{m['questions']} ({m['answerable']} / {m['unanswerable']})"),
        row("accuracy (first sentence; list types: ≥80 % of items)", pct("accuracy"), "accuracy"),
        row("citations@3", pct("citations@3"), "citations@3"),
        row("answered (found=true) on answerable", pct("answered"), "answered"),
        row("abstention (found=false) on unanswerable", pct("abstention"), "abstention"),
        row("list-item share (mean, questions with gold items)",
            lambda m: f"{fmt(m['list_item_share'])} (n={m['list_questions']})", "list_item_share"),
        row("  list questions right (≥80 % of items)", pct("list_right")),
        row("  computed answers right", lambda m: f"{fmt(m['computed_accuracy'])} (n={m['computed_questions']})"),
        row("citations@1", pct("citations@1")),
    ]
    if all("retrieval" in groups[n] for n in names):
        rows += [
            row("retrieval recall@1 / @3 / @5", lambda m: " / ".join(fmt(m["retrieval"][f"recall@{k}"]) for k in (1, 3, 5))),
            row("retrieval MRR@5", lambda m: fmt(m["retrieval"]["mrr@5"], pct=False)),
        ]
    rows += [
        row("abstention precision", pct("abstention_precision")),
        row("answer type detected as gold", pct("answer_type_detected")),
        row("ask latency p50 / p95 ms", lambda m: f"{m['latency_ms']['p50']:.0f} / {m['latency_ms']['p95']:.0f}"),
        row("errors (exceptions)", lambda m: str(m["errors"])),
    ]
    parts = [
        f"## policykb eval — split `{split}` (by document)",
        "",
        f"KB: `{info.get('kb')}` ({info.get('documents')} documents, {info.get('clauses')} clauses); "
        f"today pinned to {EVAL_TODAY}; model {info.get('model')}; cold first ask {info.get('cold_first_ask_ms', 0):.0f} ms. "
        "Figures in %, the gap in points. Test documents: the `test` stems of eval/gold/splits.json.",
        "",
        markdown_table(header, rows),
    ]
    for key, title in (("by_answer_type", "answer type"), ("by_user", "user kind"), ("by_set", "gold set")):
        keys: list[str] = []
        for n in names:
            keys += [k for k in groups[n][key] if k not in keys]
        sub_header = [title] + [f"{n}: n / acc / cit@3 / answered / abstention / items" for n in names]
        sub_rows = []
        for k in keys:
            cells = [k]
            for n in names:
                g = groups[n][key].get(k)
                cells.append(
                    "—" if g is None else
                    f"{g['answerable']}+{g['unanswerable']} / {fmt(g['accuracy'])} / {fmt(g['citations@3'])} / "
                    f"{fmt(g['answered'])} / {fmt(g['abstention'])} / {fmt(g['list_item_share'])}"
                )
            sub_rows.append(cells)
        parts += ["", f"### by {title} (n = answerable+unanswerable)", "", markdown_table(sub_header, sub_rows)]
    return "\n".join(parts) + "\n"


def failure_kinds(r: Record) -> list[str]:
    kinds = []
    if r.error:
        kinds.append("error")
    if r.answerable:
        if not r.found:
            kinds.append("false_abstention")
        elif not r.right:
            if r.item_share is not None:
                kinds.append("items_missing")
            else:
                kinds.append("wrong_first_sentence" if r.acc_whole else "wrong_answer")
        if not _cited(r):
            kinds.append("gold_not_cited_top3")
        if r.retrieval_top and (r.retrieval_rank is None or r.retrieval_rank > 3):
            kinds.append("gold_not_retrieved_top3")
    elif r.found:
        kinds.append("answered_unanswerable")
    if r.got_answer_type and r.got_answer_type != r.answer_type:
        kinds.append("answer_type_mismatch")
    return kinds


def _held_out_text(r: Record) -> str:
    """The held-out documents a dev question's answer cites ("" when none): their text stays out of failures_dev."""
    if r.split != "dev":
        return ""
    stems = sorted({c.split(" ", 1)[0] for c in r.citations} & held_out_stems())
    return ", ".join(stems)


def failure_lines(records: Sequence[Record]) -> list[dict]:
    """One line per failed question. A dev question answered from a test document gets its answer text
    withheld (the stems and labels stay), so reading failures_dev never shows a held-out document's text."""
    out = []
    for r in records:
        kinds = failure_kinds(r)
        if set(kinds) <= {"answer_type_mismatch"}:  # another type label on a right answer is no failure
            continue
        held_out = _held_out_text(r)
        answer = f"[answer withheld: it cites held-out test documents {held_out}]" if held_out else r.answer
        if held_out:
            kinds.append("cites_test_document")
        out.append({
            "id": r.id, "set": r.set, "split": r.split, "doc": r.doc, "answer_type": r.answer_type,
            "intent": r.intent, "user": r.user, "answerable": r.answerable, "computed": r.computed,
            "failures": kinds, "question": r.question, "expected": r.expect, "gold_items": r.gold_items,
            "item_share": r.item_share, "gold_quotes": r.gold_quotes,
            "found": r.found, "got_answer_type": r.got_answer_type, "got_intent": r.got_intent, "answer": answer,
            "first_sentence": "" if held_out else first_sentence(r.answer),
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
    """Build/reuse the mixed KB, evaluate the questions of ``split``'s documents and return everything (no files)."""
    shared_available = SHARED_CORPUS.is_dir()
    kb = ensure_eval_kb(kb_dir, models=(model,), log=log)
    for err in kb.errors:
        log(f"[eval] ingest error: {err}")
    library = open_library(kb.path)
    questions = load_gold(split, shared_available=shared_available)
    if not shared_available:
        log("[eval] ../shared is absent: shared and bulk questions skipped")
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
        "gold_sets": sorted({q.set for q in questions}),
        "date": datetime.now().isoformat(timespec="seconds"), "machine": machine_facts(),
    }
    library.store.close()
    groups = split_metrics(records)
    return {"split": split, "info": info, "groups": groups, "gap": gap(groups), "records": records}


def main(
    kb_dir: str | None = None, split: str = "all", write: bool = False, *, write_floors: bool = False,
    retrieval: bool = True,
) -> int:
    """Entry point of `policykb eval`; 0 = every figure at or above its floor, 1 = a floor is broken."""
    result = run(kb_dir, split, retrieval=retrieval)
    groups, info = result["groups"], result["info"]
    md = report_markdown(groups, split, info)
    print(md)
    root = RESULTS_DIR.parents[1]
    for s in groups:
        failures = failure_lines([r for r in result["records"] if r.split == s])
        fail_path = RESULTS_DIR / f"failures_{s}.jsonl"
        fail_path.parent.mkdir(parents=True, exist_ok=True)
        fail_path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures), encoding="utf-8")
        print(f"{len(failures)} failed questions on {s} documents -> {fail_path.relative_to(root)}")
    command = f"python -m eval.run_eval --split {split} --write" + ("" if retrieval else " --no-retrieval")
    if write:
        # split all also writes the per-split files from the same run, so one run refreshes every result file
        outputs = {split: groups} if split != "all" else {"all": groups, **{s: {s: groups[s]} for s in groups}}
        made = f"({info['machine'].get('cpus')} cores, load average {info['machine'].get('loadavg_at_start')})"
        for name, sub in outputs.items():
            data = {"command": command, "info": info, "groups": sub, "gap": gap(sub)}
            _write_json(RESULTS_DIR / f"eval_{name}.json", data)
            (RESULTS_DIR / f"eval_{name}.md").write_text(
                (md if sub is groups else report_markdown(sub, name, info))
                + f"\nMade by `{command}` on {info['date']} {made}.\n",
                encoding="utf-8",
            )
            print(f"wrote eval/results/eval_{name}.json and .md")
    if write_floors:
        if "test" not in groups:
            print("--write-floors needs test documents' questions (split test or all, bulk_test.jsonl)", file=sys.stderr)
            return 2
        committed = load_floors()
        # the old floors bind only figures measured on the same test documents
        same_set = committed.get("test_documents") == sorted(held_out_stems())
        _write_json(FLOORS_FILE, floors_from(groups, previous=known_floors(committed) if same_set else None))
        print(f"wrote {FLOORS_FILE.relative_to(root)}")
    floors = known_floors(load_floors())
    if not floors:
        print("no floors for the test documents in eval/results/floors.json: floors not checked")
        return 0
    if "test" not in groups:
        print(f"split {split} has no test documents' questions: floors not checked")
        return 0
    broken = check_floors(groups, load_floors())
    if broken:
        print("BELOW FLOOR (test documents): " + "; ".join(broken))
        return 1
    summary = ", ".join(f"{k} {fmt(figure(groups, k))}≥{100 * v:.1f}" for k, v in floors.items())
    print(f"floors OK (test documents): {summary}")
    return 0


def _cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kb", default=None, help="KB folder to evaluate (default: the cached eval/.cache/kb-mixed)")
    p.add_argument("--split", default="all", choices=["dev", "test", "all"], help="documents to evaluate")
    p.add_argument("--write", action="store_true", help="write eval/results/eval_<split>.json and .md")
    p.add_argument("--write-floors", action="store_true",
                   help="rewrite eval/results/floors.json from this run's test-document figures minus 2 points")
    p.add_argument("--no-retrieval", action="store_true", help="skip the separate Retriever.search recall figures")
    a = p.parse_args(argv)
    return main(a.kb, a.split, a.write, write_floors=a.write_floors, retrieval=not a.no_retrieval)


if __name__ == "__main__":
    sys.exit(_cli())
