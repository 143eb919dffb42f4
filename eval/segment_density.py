"""Segmentation density on dev documents: clauses per 400 characters, longest clause, header fields.

    python -m eval.segment_density [--json OUT]

Reads every document of ../shared/corpus and every "dev_bulk" stem of eval/gold/splits.json (never a
test stem), parses it without building a KB, and prints one line per document. Issue 10's rule: a
document with numbering must have at least one clause per 400 characters.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from eval.bulk import bulk_available, bulk_files, document_split
from kb.parse import parse_text
from kb.readers import read_file

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_NUMBERING = re.compile(r"第[一二三四五六七八九十百零〇]+[条章]|(?:^|[。；：！\s])[一二三四五六七八九十百零〇]{1,3}、")


def dev_files() -> list[Path]:
    files = sorted(p for p in SHARED.iterdir() if p.is_file()) if SHARED.is_dir() else []
    if bulk_available():
        files += bulk_files(document_split()["dev_bulk"])
    return files


def measure(path: Path) -> dict:
    res = read_file(path)
    parsed = parse_text(res.text, str(path), res.fmt, res.warnings)
    text = parsed.document.text
    n = len(parsed.clauses)
    longest = max((len(c.text) for c in parsed.clauses if c.kind != "heading"), default=0)
    return {
        "doc": path.stem,
        "chars": len(text),
        "clauses": n,
        "rows": len(parsed.task_rows),
        "per400": round(n * 400 / max(len(text), 1), 2),
        "numbered": bool(_NUMBERING.search(text)),
        "longest": longest,
        "title": parsed.document.title,
        "number": parsed.document.number,
        "issuer": parsed.document.issuer,
        "date": parsed.document.issue_date,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rows = [measure(p) for p in dev_files()]
    for r in rows:
        flag = "LOW" if r["numbered"] and r["per400"] < 1 else "   "
        print(f"{flag} {r['doc'][:34]:34} {r['chars']:6} cl={r['clauses']:4} rows={r['rows']:3} "
              f"d={r['per400']:5} max={r['longest']:5} | {r['title'][:30]} | {r['number']} | {r['issuer'][:24]} | {r['date']}")
    low = [r for r in rows if r["numbered"] and r["per400"] < 1]
    print(f"documents {len(rows)}, numbered below 1/400: {len(low)}, longest clause {max(r['longest'] for r in rows)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
