"""Word lists as data: one concept per file, one entry per line, a source note after a tab and '#'.

    entry<TAB># note                     (lists: fillers.txt, boilerplate.txt ...)
    key<TAB>value<TAB># note             (maps: colloquial.tsv)
    type<TAB>regex<TAB># note            (ordered patterns: answer_types.tsv)

Lines starting with '#' and blank lines are ignored. Files are read once per process.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        body = re.split(r"\t+#", line, maxsplit=1)[0]
        rows.append([cell for cell in body.split("\t") if cell != ""])
    return rows


@cache
def entries(name: str) -> tuple[str, ...]:
    """The entries of a list file, in file order."""
    return tuple(r[0] for r in _rows(name) if r)


@cache
def pairs(name: str) -> tuple[tuple[str, str], ...]:
    """(key, value) rows of a map or pattern file, in file order."""
    return tuple((r[0], r[1] if len(r) > 1 else "") for r in _rows(name) if r)


@cache
def alternation(name: str) -> re.Pattern[str]:
    """One regex matching any entry of a list file (entries are regex fragments), longest first."""
    items = sorted(entries(name), key=len, reverse=True)
    return re.compile("|".join(items)) if items else re.compile(r"(?!x)x")


def load_json(name: str) -> dict:
    path = HERE / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
