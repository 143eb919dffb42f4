"""The 36 广安 documents of ../shared/corpus-bulk as files the product ingests, and the document split.

Each JSON record becomes ``guangan36_NN.txt`` holding the flattened page exactly as published (no title
line is added: like ../shared/corpus/guangan_*.txt, the reader must find the title in the page itself).
The files are written once under ``eval/.cache/bulk-src`` and never copied into the project.
"""

from __future__ import annotations

import json
from pathlib import Path

from eval.common import BULK_JSON, CACHE_DIR, GOLD_DIR

BULK36_JSON = BULK_JSON
BULK36_SRC = CACHE_DIR / "bulk-src"


def bulk_available() -> bool:
    """True when ../shared/corpus-bulk holds the 36-document file (tests and benchmarks skip otherwise)."""
    return BULK36_JSON.is_file()


def bulk_records() -> list[dict]:
    """The records of the bulk file, in order: {"stem", "metadata", "content"}."""
    data = json.loads(BULK36_JSON.read_text(encoding="utf-8"))["data"]
    return [{"stem": f"guangan36_{i:02d}", "metadata": item["metadata"], "content": item["content"]}
            for i, item in enumerate(data)]


def bulk_files(stems: list[str] | None = None) -> list[Path]:
    """Write (once) and return the bulk documents as .txt files, all of them or those of ``stems``."""
    BULK36_SRC.mkdir(parents=True, exist_ok=True)
    wanted = set(stems) if stems is not None else None
    files = []
    for rec in bulk_records():
        if wanted is not None and rec["stem"] not in wanted:
            continue
        path = BULK36_SRC / f"{rec['stem']}.txt"
        text = rec["content"]
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def document_split() -> dict[str, list[str]]:
    """{"test": [...stems], "dev_bulk": [...stems]} from eval/gold/splits.json."""
    data = json.loads((GOLD_DIR / "splits.json").read_text(encoding="utf-8"))
    return {"test": list(data["test"]), "dev_bulk": list(data["dev_bulk"])}


def split_of(doc_stem: str) -> str:
    """'test' for a test document, else 'dev' (every document of ../shared/corpus is dev)."""
    return "test" if doc_stem in set(document_split()["test"]) else "dev"
