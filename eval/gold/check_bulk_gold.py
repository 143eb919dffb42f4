#!/usr/bin/env python3
"""Sanity checks for the held-out bulk gold (eval/gold/bulk_test.jsonl).

Usage:  python eval/gold/check_bulk_gold.py [FILE]

Every line parses; ids are unique; fields and values are valid; every gold quote (8-40 characters)
and every gold item (6-20 characters) occurs in its document's text, both sides in eval.common.canon
form; every expect string of an answerable question occurs there too, except yes/no words and the
amounts of "computed" questions. Prints counts by answer type, user, answerable and document.
Exit code 1 on any error.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from eval.bulk import bulk_files  # noqa: E402
from eval.common import canon  # noqa: E402

ANSWER_TYPES = {"unit", "money", "rate", "count", "date", "yesno", "conditions", "materials", "procedure",
                "definition", "list", "keyword"}
ITEM_TYPES = {"conditions", "materials", "procedure", "list"}
INTENTS = {"who_leads", "unit_tasks", "incentive", "validity", "target", "keyword", "condition"}
USERS = {"applicant", "civil_servant", "helpdesk"}
REQUIRED = ["id", "question", "doc", "split", "answer_type", "intent", "user", "answerable", "expect",
            "gold_quotes"]
#: Words a yes/no answer leads with; they need not stand in the document.
YESNO_WORDS = {"可以", "不可以", "能", "不能", "不算", "算", "属于", "不属于", "需要", "不需要", "有", "没有",
               "是", "不是", "不得", "应当"}


def check(path: Path) -> int:
    docs = {p.stem: canon(p.read_text(encoding="utf-8")) for p in bulk_files()}
    errors: list[str] = []
    rows: list[dict] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
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
        where = f"{where} {r['id']}"
        if r["id"] in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(r["id"])
        for key, allowed in (("answer_type", ANSWER_TYPES), ("intent", INTENTS), ("user", USERS)):
            if r[key] not in allowed:
                errors.append(f"{where}: bad {key} {r[key]!r}")
        text = docs.get(r["doc"])
        if text is None:
            errors.append(f"{where}: unknown doc {r['doc']!r}")
            continue
        if not r["answerable"]:
            if r["gold_quotes"] or r["expect"] or r.get("gold_items"):
                errors.append(f"{where}: unanswerable with quotes/expect/items")
            continue
        if not r["gold_quotes"] or not r["expect"]:
            errors.append(f"{where}: answerable without quotes/expect")
        if r["answer_type"] in ITEM_TYPES and not r.get("gold_items"):
            errors.append(f"{where}: {r['answer_type']} without gold_items")
        for q in r["gold_quotes"]:
            if not 8 <= len(q) <= 40:
                errors.append(f"{where}: quote length {len(q)}: {q}")
            if canon(q) not in text:
                errors.append(f"{where}: quote not in doc: {q}")
        for q in r.get("gold_items", []):
            if not 6 <= len(q) <= 20:
                errors.append(f"{where}: item length {len(q)}: {q}")
            if canon(q) not in text:
                errors.append(f"{where}: item not in doc: {q}")
        for e in r["expect"]:
            if e in YESNO_WORDS or r.get("computed"):
                continue
            if canon(e) not in text:
                errors.append(f"{where}: expect not in doc: {e}")
    print(f"== {path.name}: {len(rows)} questions")
    for key in ("answer_type", "user", "answerable", "doc", "intent"):
        c = Counter(str(r.get(key)) for r in rows)
        print(f"  {key}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    print(f"  computed: {sum(1 for r in rows if r.get('computed'))}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "bulk_test.jsonl"))
