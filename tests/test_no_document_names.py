"""Code under kb/ names no place, programme or bureau of the gold documents: answers must come from
mechanisms, and any vocabulary lives in kb/lexicon/ as data (issue 11, item 7).

Names are taken from the dev gold (eval/gold/ganzhou, shared, bulk_dev: expected units, programmes
quoted in gold clauses) and from the issuers of ../shared/corpus (their places); string literals of kb/**/*.py (docstrings and comments
aside, they are explanation) must hold none of them."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold"
DEV_GOLD = ("ganzhou.jsonl", "shared.jsonl", "bulk_dev.jsonl")
SHARED = ROOT.parent / "shared" / "corpus"
# an issuer names its place: 赣州市人民政府, 广安市人民政府办公室, 天河区人民政府
_ISSUER_PLACE = re.compile(r"([\u4e00-\u9fff]{2})(?:市|区|县)(?:人民政府|委员会|委办公室)")
_UNIT = re.compile(r"^[\u4e00-\u9fff]{2,16}(?:局|委|办|中心|集团|办公室|部)$")
_PROGRAMME = re.compile(r"“([\u4e00-\u9fff+0-9A-Za-z]{3,12})”(?:计划|工程|行动|专项)")


def gold_names() -> set[str]:
    names: set[str] = set()
    for name in DEV_GOLD:
        path = GOLD / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            for quote in r.get("gold_quotes", []):
                names.update(m.group(1) for m in _PROGRAMME.finditer(quote))
            for e in r.get("expect", []):
                if _UNIT.match(e) and len(e) >= 4:
                    names.add(e)
    if SHARED.is_dir():
        for path in SHARED.iterdir():
            if path.suffix in (".txt", ".html"):
                text = path.read_text(encoding="utf-8", errors="ignore")
                names.update(m.group(1) for m in _ISSUER_PLACE.finditer(text)
                             if not re.search(r"[市区县须经由在和及与的]", m.group(1)))
    return names


def code_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.skipif(not (GOLD / "ganzhou.jsonl").exists(), reason="gold sets absent")
def test_kb_code_names_no_gold_document_place_or_bureau() -> None:
    names = gold_names()
    assert len(names) >= 5  # the scan has something to look for
    hits = []
    for path in sorted((ROOT / "kb").rglob("*.py")):
        for line, text in code_strings(path):
            for name in names:
                if name in text:
                    hits.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not hits, "kb/ code names places or bureaus of the gold documents:\n" + "\n".join(hits)
