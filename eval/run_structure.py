"""Structural evaluation: does the product read each document's header, clauses, leads and tables right?

    python -m eval.run_structure [--write] [--write-floors]

- Gold: eval/gold/structure.jsonl, one record per document (format in eval/gold/README.md, "Structural
  gold"), written from the documents themselves, split by eval.bulk.split_of (dev / test).
- KB: the gold documents (../shared/corpus, the bundled corpus/, the bulk pages of the gold records) are
  ingested without any embedding index into ``eval/.cache/kb-structure`` (rebuilt when the files or the
  ingest code change, see eval.common.ensure_kb); the density rule also needs every bulk page, ingested
  into ``eval/.cache/kb-structure-bulk`` (kept apart because bulk 01/11/24 repeat shared documents and
  would replace them under the same document id).
- Checks per record and field: title, number, issuer, date, validity, top_parts, labels, same_clause,
  different, leads, others, task_rows. All text matching goes through eval.common.canon (whitespace-,
  width-, bracket-insensitive). Pass rate per field and overall, dev and test side by side.
- Density (issue 10): clauses per 400 characters of document text for every document of ../shared/corpus
  and all 36 bulk pages; those with numbering (一、 / 第X条 / 第X章 in the text) under 1 are listed.
- Output: tables on stdout; ``--write`` writes eval/results/structure_{dev,test}.{json,md} and
  eval/results/structure_failures_{dev,test}.jsonl (one line per document with its failed checks;
  developers read the dev file only).
- Floors: ``--write-floors`` writes eval/results/structure_floors.json (measured minus 2 points); a run
  whose test pass rate is below floors.test returns 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from eval.common import (
    CACHE_DIR,
    GOLD_DIR,
    RESULTS_DIR,
    SHARED_CORPUS,
    canon,
    corpus_files,
    ensure_kb,
    markdown_table,
    open_library,
)

GOLD_FILE = GOLD_DIR / "structure.jsonl"
FLOORS_FILE = RESULTS_DIR / "structure_floors.json"
KB_CACHE = CACHE_DIR / "kb-structure"
BULK_KB_CACHE = CACHE_DIR / "kb-structure-bulk"
FLOOR_MARGIN = 0.02
FIELDS = (
    "title", "number", "issuer", "date", "validity", "top_parts", "labels", "same_clause", "different",
    "leads", "others", "task_rows",
)
#: the density rule of issue 10: at least one clause per this many characters when a document has numbering
DENSITY_CHARS = 400
_CN_NUM = "一二三四五六七八九十百零〇"
#: label shapes of the top-level parts, by the record's "top_kind"
TOP_LABEL = {
    "一、": re.compile(rf"^[{_CN_NUM}]+$"),
    "第X章": re.compile(rf"^第[{_CN_NUM}]+章$"),
    "第X条": re.compile(rf"^第[{_CN_NUM}]+条$"),
    "第X部分": re.compile(rf"^第[{_CN_NUM}]+部分$"),
}
#: numbering a document shows in its text (for the density rule)
_NUMBERING = re.compile(rf"第[{_CN_NUM}]+[条章]|(?:^|[。；：！\s])[{_CN_NUM}]{{1,3}}、")


# ----------------------------------------------------------------------------------------------- gold


def load_records(path: Path = GOLD_FILE) -> list[dict]:
    """The structural gold records, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def source_files(stem: str) -> list[Path]:
    """The file(s) a gold stem names: shared/bundled corpus files, or the bulk page."""
    if stem.startswith("guangan36_"):
        from eval.bulk import bulk_files

        return bulk_files([stem])
    return sorted(p for p in SHARED_CORPUS.glob(f"{stem}.*") if p.is_file())


def source_text(path: Path) -> str:
    """A document's visible text the way the gold writer read it (TXT as is, HTML text, PDF text layer)."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        return soup.get_text("\n")
    if suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return path.read_text(encoding="utf-8", errors="replace")


def gold_snippets(rec: dict) -> list[str]:
    """Every verbatim snippet of a record (they must all stand in the document text)."""
    out = list(rec.get("same_clause", []))
    for a, b in rec.get("different", []):
        out += [a, b]
    out += [lead["task"] for lead in rec.get("leads", [])]
    return out


def validate(records: list[dict]) -> list[str]:
    """Problems of the gold file: unknown fields or kinds, wrong split, a snippet missing from its document."""
    from eval.bulk import split_of

    problems = []
    keys = {"doc", "split", "title", "number", "issuer", "date", "validity", "top_parts", "top_kind", "labels",
            "labels_any", "same_clause", "different", "leads", "task_rows", "note"}
    seen = set()
    for rec in records:
        doc = rec.get("doc", "?")
        if doc in seen:
            problems.append(f"{doc}: 重复的记录")
        seen.add(doc)
        if set(rec) - keys:
            problems.append(f"{doc}: 未知字段 {sorted(set(rec) - keys)}")
        if rec.get("split") != split_of(doc):
            problems.append(f"{doc}: split {rec.get('split')} 应为 {split_of(doc)}")
        if rec.get("top_kind") not in TOP_LABEL:
            problems.append(f"{doc}: top_kind {rec.get('top_kind')!r}")
        files = source_files(doc)
        if not files:
            problems.append(f"{doc}: 找不到文件")
            continue
        texts = [canon(source_text(f)) for f in files]
        for snippet in gold_snippets(rec):
            s = canon(snippet)
            if not 8 <= len(s) <= 30:
                problems.append(f"{doc}: 片段长度 {len(s)}: {snippet}")
            if not any(s in t for t in texts):
                problems.append(f"{doc}: 片段不在原文中: {snippet}")
        for a, b in rec.get("different", []):
            if canon(a) == canon(b):
                problems.append(f"{doc}: different 两个片段相同: {a}")
    return problems


# ----------------------------------------------------------------------------------------------- KB


def _gold_bulk_stems(records: list[dict]) -> list[str]:
    return sorted({r["doc"] for r in records if r["doc"].startswith("guangan36_")})


def gold_kb(records: list[dict], log: Callable[[str], None] = print):
    """The Library of the gold documents (built without embedding indexes)."""
    from eval.bulk import bulk_files

    files = corpus_files(include_shared=True) + bulk_files(_gold_bulk_stems(records))
    info = ensure_kb(files=files, cache=KB_CACHE, models=(), log=log)
    return open_library(info.path)


def bulk_kb(log: Callable[[str], None] = print):
    """The Library of all 36 bulk pages (for the density rule)."""
    from eval.bulk import bulk_files

    info = ensure_kb(files=bulk_files(), cache=BULK_KB_CACHE, include_bundled=False, models=(), log=log)
    return open_library(info.path)


def documents_by_stem(library) -> dict[str, object]:
    """source file stem -> Document (the Ganzhou TXT and PDF are one document, one stem)."""
    return {Path(d.source_path).stem: d for d in library.documents()}


# ----------------------------------------------------------------------------------------------- checks


@dataclass
class Check:
    doc: str
    split: str
    field: str
    ok: bool
    expected: object
    got: object = None
    note: str = ""


@dataclass
class DocView:
    """What the product holds about one document, in canonical form for matching."""

    document: object | None
    clauses: list = field(default_factory=list)
    rows: list = field(default_factory=list)

    def clause_texts(self) -> list[str]:
        return [canon(c.text) for c in self.clauses]


def _units(units: list[str]) -> set[str]:
    return {canon(u) for u in units}


def _validity_ok(expected: dict | None, doc) -> tuple[bool, object]:
    spans = [(v.start_date, v.end_date) for v in doc.validity if v.start_date or v.end_date]
    if expected is None:
        return not spans, spans
    want = (expected.get("start"), expected.get("end"))
    return want in spans, spans


def _lead_holders(view: DocView, task: str) -> list[tuple[str, list[str], list[str]]]:
    """(where, leads, others) of every clause and task row whose text holds the task snippet."""
    t = canon(task)
    out = []
    for c in view.clauses:
        if t in canon(c.text):
            out.append((c.label, list(c.lead_units), list(c.responsible_units)))
    for r in view.rows:
        if t in canon(f"{r.task}{r.content}"):
            out.append((f"行{r.number}", list(r.lead_units), list(r.responsible_units)))
    return out


def check_record(rec: dict, view: DocView) -> list[Check]:
    """Every check of one gold record against the product's reading of the document."""
    doc, split = rec["doc"], rec["split"]
    checks: list[Check] = []

    def add(fld: str, ok: bool, expected: object, got: object = None, note: str = "") -> None:
        checks.append(Check(doc, split, fld, bool(ok), expected, got, note))

    d = view.document
    if d is None:
        n = 6 + len(rec.get("labels", [])) + len(rec.get("labels_any", [])) + len(rec.get("same_clause", []))
        n += len(rec.get("different", [])) + 2 * len(rec.get("leads", []))
        for _ in range(n):
            add("missing", False, doc, None, "文档未入库或被同一文档编号的另一文件替换")
        return checks
    add("title", canon(d.title) in {canon(t) for t in rec["title"]}, rec["title"], d.title)
    add("number", canon(d.number) == canon(rec["number"] or ""), rec["number"], d.number)
    add("issuer", canon(d.issuer) in {canon(t) for t in rec["issuer"]}, rec["issuer"], d.issuer)
    add("date", (d.issue_date or None) == rec["date"], rec["date"], d.issue_date)
    ok, spans = _validity_ok(rec.get("validity"), d)
    add("validity", ok, rec.get("validity"), spans)
    shape = TOP_LABEL[rec["top_kind"]]
    tops = [c.label for c in view.clauses if shape.match(c.label)]
    add("top_parts", len(tops) == rec["top_parts"], rec["top_parts"], len(tops), rec["top_kind"])
    labels = {c.label.replace(" ", "") for c in view.clauses}
    for label in rec.get("labels", []):
        add("labels", label.replace(" ", "") in labels, label)
    for alts in rec.get("labels_any", []):
        add("labels", any(a.replace(" ", "") in labels for a in alts), alts)
    texts = view.clause_texts()
    for snippet in rec.get("same_clause", []):
        s = canon(snippet)
        add("same_clause", any(s in t for t in texts), snippet)
    for a, b in rec.get("different", []):
        ca, cb = canon(a), canon(b)
        found_a, found_b = any(ca in t for t in texts), any(cb in t for t in texts)
        together = [c.label for c, t in zip(view.clauses, texts, strict=True) if ca in t and cb in t]
        note = "" if found_a and found_b else "片段不在任何单个条款内"
        add("different", found_a and found_b and not together, [a, b], together, note)
    for lead in rec.get("leads", []):
        holders = _lead_holders(view, lead["task"])
        want_lead, want_others = _units(lead["lead"]), _units(lead.get("others", []))
        lead_ok = any(want_lead <= _units(ls) and not (_units(ls) & want_others) for _w, ls, _o in holders)
        add("leads", lead_ok, lead, [(w, ls) for w, ls, _o in holders])
        others_ok = any(want_others <= _units(os_) for _w, _l, os_ in holders)
        add("others", others_ok, lead, [(w, os_) for w, _l, os_ in holders])
    add("task_rows", len(view.rows) == rec["task_rows"], rec["task_rows"], len(view.rows))
    return checks


def score(records: list[dict], library) -> list[Check]:
    by_stem = documents_by_stem(library)
    checks: list[Check] = []
    for rec in records:
        d = by_stem.get(rec["doc"])
        if d is None:
            view = DocView(None)
        else:
            view = DocView(d, sorted(library.clauses(d.doc_id), key=lambda c: c.seq), library.task_rows(d.doc_id))
        checks += check_record(rec, view)
    return checks


def summarise(checks: list[Check]) -> dict:
    """Pass rate per field and overall, for dev and test."""
    out: dict = {}
    for split in ("dev", "test"):
        sub = [c for c in checks if c.split == split]
        per = {}
        for fld in (*FIELDS, "missing"):
            cs = [c for c in sub if c.field == fld]
            if cs:
                per[fld] = {"n": len(cs), "passed": sum(c.ok for c in cs), "rate": sum(c.ok for c in cs) / len(cs)}
        docs = sorted({c.doc for c in sub})
        out[split] = {
            "documents": len(docs),
            "checks": len(sub),
            "passed": sum(c.ok for c in sub),
            "overall": (sum(c.ok for c in sub) / len(sub)) if sub else None,
            "fields": per,
            "per_document": {
                doc: round(sum(c.ok for c in sub if c.doc == doc) / sum(1 for c in sub if c.doc == doc), 3)
                for doc in docs
            },
        }
    return out


# ----------------------------------------------------------------------------------------------- density


def density(libraries: list, stems: set[str] | None = None) -> list[dict]:
    """Clauses per DENSITY_CHARS characters of each document's text, and whether it has numbering."""
    rows = []
    seen = set()
    for library in libraries:
        for d in library.documents():
            stem = Path(d.source_path).stem
            if stem in seen or (stems is not None and stem not in stems):
                continue
            seen.add(stem)
            n = len(library.clauses(d.doc_id))
            chars = len(canon(d.text))
            rows.append({
                "doc": stem, "clauses": n, "chars": chars,
                "per_400": round(n * DENSITY_CHARS / chars, 2) if chars else None,
                "numbered": bool(_NUMBERING.search(d.text)),
            })
    return sorted(rows, key=lambda r: r["doc"])


def density_stems() -> set[str]:
    """../shared/corpus stems and the 36 bulk stems."""
    from eval.bulk import bulk_records

    return {p.stem for p in SHARED_CORPUS.iterdir() if p.is_file()} | {r["stem"] for r in bulk_records()}


# ----------------------------------------------------------------------------------------------- report


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def render(summary: dict, split: str, dens: list[dict]) -> str:
    s = summary[split]
    other = summary["test" if split == "dev" else "dev"]
    lines = [
        f"# Structural evaluation — {split}",
        "",
        f"`python -m eval.run_structure --write` · {s['documents']} documents, {s['checks']} checks, "
        f"overall {_pct(s['overall'])} % ({split}) · {_pct(other['overall'])} % (the other split)",
        "",
    ]
    rows = []
    for fld in (*FIELDS, "missing"):
        a, b = summary["dev"]["fields"].get(fld), summary["test"]["fields"].get(fld)
        if a or b:
            rows.append([fld, f"{_pct(a['rate'])} ({a['passed']}/{a['n']})" if a else "—",
                         f"{_pct(b['rate'])} ({b['passed']}/{b['n']})" if b else "—"])
    rows.append(["**overall**", _pct(summary["dev"]["overall"]), _pct(summary["test"]["overall"])])
    lines += [markdown_table(["field", "dev", "test"], rows), "", "## Per document", ""]
    lines += [markdown_table(["document", "pass rate"], [[d, _pct(r)] for d, r in s["per_document"].items()])]
    low = [r for r in dens if r["numbered"] and r["per_400"] is not None and r["per_400"] < 1]
    lines += ["", f"## Density rule (clauses per {DENSITY_CHARS} characters, documents with numbering)", ""]
    lines += [f"{len(low)} of {sum(r['numbered'] for r in dens)} numbered documents are below 1:", ""]
    lines += [markdown_table(["document", "clauses", "characters", f"per {DENSITY_CHARS}"],
                             [[r["doc"], r["clauses"], r["chars"], r["per_400"]] for r in low])]
    return "\n".join(lines) + "\n"


def run(write: bool = False, log: Callable[[str], None] = print) -> dict:
    records = load_records()
    library = gold_kb(records, log=log)
    checks = score(records, library)
    summary = summarise(checks)
    blib = bulk_kb(log=log)
    dens = density([library, blib], density_stems())
    low = [r["doc"] for r in dens if r["numbered"] and r["per_400"] is not None and r["per_400"] < 1]
    result = {"summary": summary, "density": dens, "density_low": low, "checks": checks}
    if write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().isoformat(timespec="seconds")
        for split in ("dev", "test"):
            data = {"split": split, "measured_at": stamp, "command": "python -m eval.run_structure --write",
                    **summary[split], "other_split_overall": summary["test" if split == "dev" else "dev"]["overall"],
                    "density_low": low, "density": dens}
            (RESULTS_DIR / f"structure_{split}.json").write_text(
                json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            (RESULTS_DIR / f"structure_{split}.md").write_text(render(summary, split, dens), encoding="utf-8")
        for split in ("dev", "test"):
            _write_failures(RESULTS_DIR / f"structure_failures_{split}.jsonl",
                            [r for r in records if r["split"] == split], checks)
    return result


def _write_failures(path: Path, records: list[dict], checks: list[Check]) -> None:
    """One line per document with its failed checks (dev and test in separate files: test stays unread)."""
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            failed = [c for c in checks if c.doc == rec["doc"] and not c.ok]
            if not failed:
                continue
            line = {
                "doc": rec["doc"], "split": rec["split"], "failed": len(failed),
                "checks": sum(1 for c in checks if c.doc == rec["doc"]),
                "failures": [{k: v for k, v in c.__dict__.items() if k not in ("doc", "split", "ok")} for c in failed],
            }
            fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


def write_floors(summary: dict, margin: float = FLOOR_MARGIN) -> dict:
    """eval/results/structure_floors.json: the measured overall pass rates minus ``margin`` (test is the CI floor)."""
    measured = {split: summary[split]["overall"] for split in ("dev", "test")}
    data = {
        "comment": "Structural floors: overall pass rate of eval/gold/structure.jsonl checks, measured minus the "
                   "margin; tests/test_eval_structure.py asserts the test split stays at or above floors.test. "
                   "Raise them when the figures improve; never lower them to make a change pass.",
        "command": "python -m eval.run_structure --write --write-floors",
        "margin": margin,
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "measured": measured,
        "floors": {k: round(max(0.0, v - margin), 3) for k, v in measured.items() if v is not None},
    }
    FLOORS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


def load_floors() -> dict:
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8")) if FLOORS_FILE.is_file() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.run_structure", description="结构评测：标题、文号、条款、牵头单位、任务表")
    parser.add_argument("--write", action="store_true", help="把结果写入 eval/results/structure_*")
    parser.add_argument("--write-floors", action="store_true", help="按本次测得的通过率（减 2 个百分点）写入 structure_floors.json")
    args = parser.parse_args(argv)
    if not SHARED_CORPUS.is_dir():
        print("未找到 ../shared/corpus，结构评测跳过", file=sys.stderr)
        return 0
    result = run(write=args.write, log=lambda m: print(m, file=sys.stderr))
    print(render(result["summary"], "dev", result["density"]))
    print(f"test overall: {_pct(result['summary']['test']['overall'])} %")
    if args.write_floors:
        write_floors(result["summary"])
    floor = load_floors().get("floors", {}).get("test")
    test_overall = result["summary"]["test"]["overall"]
    if floor is not None and test_overall is not None and test_overall < floor:
        print(f"test overall {_pct(test_overall)} % 低于下限 {_pct(floor)} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
