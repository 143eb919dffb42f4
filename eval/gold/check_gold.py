#!/usr/bin/env python3
"""Sanity checks for the gold question sets in this folder.

Usage:  python eval/gold/check_gold.py [--corpus DIR] [--strict]

For every line of ganzhou.jsonl and shared.jsonl: the line parses, the id is unique, the fields
and their values are valid, every gold quote (8-40 characters, no whitespace) occurs in the
whitespace-free text of its document, and every expect string of an answerable question occurs
there too (except for questions marked "computed": true, whose expected amount is the result of
applying the clause's rule to figures given in the question). Prints counts by intent, user and
split. Exit code 1 on any error. Quotes found more than once in their document are reported as
notes (--strict turns them into errors).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
INTENTS = {"who_leads", "unit_tasks", "incentive", "validity", "target", "keyword", "condition"}
USERS = {"applicant", "civil_servant", "helpdesk"}
SPLITS = {"dev", "test"}
REQUIRED = ["id", "question", "doc", "intent", "user", "answerable", "gold_quotes", "expect", "split"]
WS = re.compile(r"\s+")


def squeeze(text: str) -> str:
    return WS.sub("", text)


def read_doc(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".html":
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(path.read_bytes(), "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        return soup.get_text(" ")
    if suffix == ".pdf":
        import pypdf

        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    return path.read_text(encoding="utf-8")


def load_corpus(corpus: Path) -> dict[str, str]:
    docs: dict[str, str] = {}
    # prefer .txt over .pdf when both exist (the Ganzhou plan ships as both)
    for path in sorted(corpus.iterdir(), key=lambda p: (p.stem, p.suffix != ".txt")):
        if path.suffix.lower() not in {".txt", ".html", ".pdf"} or path.stem in docs:
            continue
        docs[path.stem] = squeeze(read_doc(path))
    return docs


def check_file(path: Path, docs: dict[str, str], seen: set[str], strict: bool) -> tuple[list, list, list]:
    errors, notes, rows = [], [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        if not line.strip():
            errors.append(f"{where}: blank line")
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: bad JSON ({exc})")
            continue
        rows.append(r)
        missing = [k for k in REQUIRED if k not in r]
        if missing:
            errors.append(f"{where}: missing {missing}")
            continue
        where = f"{path.name}:{n} {r['id']}"
        if r["id"] in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(r["id"])
        if r["intent"] not in INTENTS:
            errors.append(f"{where}: bad intent {r['intent']}")
        if r["user"] not in USERS:
            errors.append(f"{where}: bad user {r['user']}")
        if r["split"] not in SPLITS:
            errors.append(f"{where}: bad split {r['split']}")
        if not r["answerable"]:
            if r["gold_quotes"] or r["expect"]:
                errors.append(f"{where}: unanswerable with quotes/expect")
            if r["doc"] and r["doc"] not in docs:
                errors.append(f"{where}: unknown doc {r['doc']}")
            continue
        text = docs.get(r["doc"])
        if text is None:
            errors.append(f"{where}: unknown doc {r['doc']!r}")
            continue
        if not r["gold_quotes"] or not r["expect"]:
            errors.append(f"{where}: answerable without quotes/expect")
        for q in r["gold_quotes"]:
            if WS.search(q):
                errors.append(f"{where}: quote has whitespace: {q}")
            if not 8 <= len(q) <= 40:
                errors.append(f"{where}: quote length {len(q)}: {q}")
            c = text.count(q)
            if c == 0:
                errors.append(f"{where}: quote not in doc: {q}")
            elif c > 1:
                (errors if strict else notes).append(f"{where}: quote occurs {c}x: {q}")
        for e in r["expect"]:
            if e not in text and not r.get("computed"):
                errors.append(f"{where}: expect not in doc: {e}")
    return errors, notes, rows


def report(name: str, rows: list[dict]) -> None:
    ans = [r for r in rows if r["answerable"]]
    print(f"== {name}: {len(rows)} questions, {len(rows) - len(ans)} unanswerable")
    for key in ("intent", "user", "split", "doc"):
        c = Counter(r[key] or "(any)" for r in rows)
        print(f"  {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    c = Counter((r["intent"], r["split"]) for r in rows)
    print("  intent x split: " + ", ".join(f"{i}/{s}={v}" for (i, s), v in sorted(c.items())))
    c = Counter((r["answerable"], r["split"]) for r in rows)
    print("  answerable x split: " + ", ".join(f"{a}/{s}={v}" for (a, s), v in sorted(c.items())))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="folder with the documents")
    ap.add_argument("--strict", action="store_true", help="repeated quotes are errors")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not print notes")
    args = ap.parse_args()
    corpus = args.corpus
    if corpus is None:
        for cand in (HERE.parents[2] / "shared" / "corpus", Path("/work/shared/corpus"), HERE.parents[1] / "corpus"):
            if cand.is_dir():
                corpus = cand
                break
    docs = load_corpus(corpus)
    seen: set[str] = set()
    all_errors = []
    for name in ("ganzhou.jsonl", "shared.jsonl"):
        path = HERE / name
        if not path.exists():
            all_errors.append(f"{name}: missing")
            continue
        errors, notes, rows = check_file(path, docs, seen, args.strict)
        report(name, rows)
        if notes and not args.quiet:
            print(f"  notes ({len(notes)}):")
            for x in notes:
                print("   ", x)
        all_errors += errors
    for e in all_errors:
        print("ERROR", e)
    print("OK" if not all_errors else f"{len(all_errors)} errors")
    return 1 if all_errors else 0


if __name__ == "__main__":
    sys.exit(main())
