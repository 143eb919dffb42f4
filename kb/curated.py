"""Curated answers: an administrator's correction of an answer, served first for the same question.

A correction must cite clauses that exist and be grounded (every unit, amount and date in it stands
verbatim in a cited clause, kb/grounding.py); it is refused otherwise and nothing is stored. A question
is "the same" when, folded, formalised and stripped of particles and punctuation, it equals a corrected
one, or holds the same figures and shares at least ``min_overlap`` of its character bigrams (Dice);
the threshold is data (kb/lexicon/curated.json). A correction whose clauses have left the KB (document
removed or re-read with other numbering) is not served. Corrections are recorded in the audit log.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb import lexicon
from kb.errors import PolicyKBError
from kb.grounding import ungrounded
from kb.models import Answer
from kb.normalize import fold
from kb.sidedb import SideDB
from kb.synonyms import formalise

if TYPE_CHECKING:
    from kb.audit import AuditLog
    from kb.library import Library
    from kb.retriever import Filters

CURATED_MARK = "人工校正"
MAX_ANSWER_CHARS = 2000
DB_NAME = "kb.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS curated_answers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  author TEXT NOT NULL,
  question TEXT NOT NULL,
  norm TEXT NOT NULL,
  answer TEXT NOT NULL,
  clause_ids TEXT NOT NULL,
  intent TEXT NOT NULL DEFAULT 'keyword',
  feedback_id INTEGER,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS curated_answers_norm ON curated_answers (norm)
"""
_SELECT = ("SELECT id, at, author, question, norm, answer, clause_ids, intent, feedback_id, active "
           "FROM curated_answers")


class CorrectionError(PolicyKBError):
    """A correction refused: no text, no or unknown clauses, or facts the cited clauses do not hold."""


@dataclass(frozen=True)
class MatchRule:
    min_overlap: float
    ignored: re.Pattern[str]


@cache
def match_rule() -> MatchRule:
    data = lexicon.load_json("curated.json")
    return MatchRule(float(data["min_overlap"]), re.compile(data["ignored"]))


def normalise(question: str) -> str:
    """The question as compared: folded, in the documents' words, without particles or punctuation."""
    return match_rule().ignored.sub("", formalise(fold(question or "")).lower())


def _figures(norm: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+", norm))


def _bigrams(norm: str) -> set[str]:
    return {norm[i : i + 2] for i in range(len(norm) - 1)} or {norm}


def overlap(a: str, b: str) -> float:
    """Dice share of the character bigrams of two normalised questions."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def near_identical(norm: str, other: str) -> bool:
    if norm == other:
        return True
    return _figures(norm) == _figures(other) and overlap(norm, other) >= match_rule().min_overlap


@dataclass(frozen=True)
class Correction:
    id: int
    at: str
    author: str
    question: str
    norm: str
    answer: str
    clause_ids: list[str] = field(default_factory=list)
    intent: str = "keyword"
    feedback_id: int | None = None
    active: bool = True

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _correction(row: tuple) -> Correction:
    return Correction(*row[:6], json.loads(row[6]), row[7], row[8], bool(row[9]))


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def best_match(corrections: list[Correction], question: str) -> Correction | None:
    """The newest active correction for an equal normalised question, else the closest near-identical one."""
    norm = normalise(question)
    if not norm:
        return None
    active = [c for c in corrections if c.active]
    exact = [c for c in active if c.norm == norm]
    if exact:
        return max(exact, key=lambda c: c.id)
    near = [(overlap(norm, c.norm), c.id, c) for c in active if near_identical(norm, c.norm)]
    return max(near)[2] if near else None


def as_answer(library: Library, correction: Correction, question: str, filters: Filters | None = None) -> Answer | None:
    """The correction as an answer to ``question`` with live citations (validity by today's clock); None
    when a cited clause has left the KB or lies outside the filters' document."""
    clauses = [library.clause(cid) for cid in correction.clause_ids]
    if not clauses or any(c is None for c in clauses):
        return None
    if filters is not None and filters.doc_id and any(c.doc_id != filters.doc_id for c in clauses):
        return None
    citations = [library.cite(c) for c in clauses]
    warnings = [f"本回答经管理员{correction.author}人工校正（{correction.at[:10]}）"]
    for cite in citations:
        if cite.in_force is False and cite.validity_note and cite.validity_note not in warnings:
            warnings.append(cite.validity_note)
    return Answer(question, True, correction.intent or "keyword", correction.answer, citations, warnings, curated=True)


class CuratedAnswers:
    """Add, list and withdraw corrections in one KB file."""

    def __init__(self, db_path: str | Path, audit: AuditLog | None = None) -> None:
        self._db = SideDB(db_path, _SCHEMA)
        self.audit = audit

    def add(self, library: Library, question: str, answer: str, clause_ids: list[str], author: str,
            intent: str = "keyword", feedback_id: int | None = None) -> Correction:
        """Check and store a correction; raises CorrectionError (in Chinese) and stores nothing when it fails."""
        question = (question or "").strip()
        answer = (answer or "").strip()
        if not normalise(question):
            raise CorrectionError("请填写要更正的问题")
        if not answer:
            raise CorrectionError("更正的回答为空，请填写回答")
        if len(answer) > MAX_ANSWER_CHARS:
            raise CorrectionError(f"更正的回答过长（{len(answer)} 字），请控制在 {MAX_ANSWER_CHARS} 字以内")
        ids = list(dict.fromkeys(c.strip() for c in clause_ids or [] if c and c.strip()))
        if not ids:
            raise CorrectionError("更正的回答必须引用至少一条原文条款")
        missing = [cid for cid in ids if library.clause(cid) is None]
        if missing:
            raise CorrectionError("引用的条款不存在：" + "、".join(missing))
        texts = [library.clause(cid).text for cid in ids]
        loose = ungrounded(answer, texts, library.units().keys())
        if loose:
            raise CorrectionError("更正的回答中以下内容在所引条款中找不到，请改为条款原文或补充引用："
                                  + "、".join(dict.fromkeys(loose)))
        at = _now()
        self._db.write("INSERT INTO curated_answers (at, author, question, norm, answer, clause_ids, intent, feedback_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (at, author, question, normalise(question), answer, json.dumps(ids, ensure_ascii=False),
                        intent or "keyword", feedback_id))
        new_id = int(self._db.query("SELECT MAX(id) FROM curated_answers")[0][0])
        if self.audit is not None:
            self.audit.record(author, "correction", f"回答：{question[:60]}", f"{answer[:80]}（引用 {len(ids)} 条）")
        return self.get(new_id)

    def get(self, correction_id: int) -> Correction:
        rows = self._db.query(f"{_SELECT} WHERE id = ?", (int(correction_id),))
        if not rows:
            raise CorrectionError(f"找不到更正：{correction_id}")
        return _correction(rows[0])

    def entries(self, include_withdrawn: bool = False) -> list[Correction]:
        sql = _SELECT + ("" if include_withdrawn else " WHERE active = 1")
        return [_correction(r) for r in self._db.query(sql + " ORDER BY id DESC")]

    def withdraw(self, correction_id: int, author: str) -> Correction:
        found = self.get(correction_id)
        self._db.write("UPDATE curated_answers SET active = 0 WHERE id = ?", (found.id,))
        if self.audit is not None:
            self.audit.record(author, "correction", f"回答：{found.question[:60]}", "撤回人工校正")
        return self.get(found.id)

    def rows(self) -> list[dict]:
        """Flat rows for export."""
        return [{**c.to_dict(), "clause_ids": "\n".join(c.clause_ids), "active": "有效" if c.active else "已撤回"}
                for c in reversed(self.entries(include_withdrawn=True))]

    def close(self) -> None:
        self._db.close()


_READ_ATTEMPTS = 3


class _Reader:
    """Reads corrections without creating anything: a KB that never had one is left as it is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def corrections(self) -> list[Correction]:
        with self._lock:
            if self._conn is None:
                if not self.path.is_file():
                    return []
                self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            for attempt in range(_READ_ATTEMPTS):
                try:
                    rows = self._conn.execute(_SELECT + " WHERE active = 1").fetchall()
                    break
                except sqlite3.OperationalError as exc:
                    if "no such table" in str(exc):  # a KB that never had a correction
                        return []
                    # a busy or locked KB is not "no corrections": an administrator's answer would be
                    # silently replaced by the answerer's; try again, then say so
                    if attempt == _READ_ATTEMPTS - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        return [_correction(r) for r in rows]


def _pg_corrections(database: str) -> list[Correction]:
    """The active corrections on PostgreSQL (kb.pgstore): the table is made with the schema, no file to spare."""
    with _READERS_LOCK:
        if database not in _PG_READERS:
            from kb.pgstore import PgSideDB

            _PG_READERS[database] = PgSideDB(database, _SCHEMA)
        db = _PG_READERS[database]
    return [_correction(r) for r in db.query(_SELECT + " WHERE active = 1")]


_READERS: dict[Path, _Reader] = {}
_PG_READERS: dict[str, object] = {}
_READERS_LOCK = threading.Lock()


def serve(library: Library, question: str, filters: Filters | None = None) -> Answer | None:
    """The curated answer for ``question`` in this library's KB, or None (the answerer then answers)."""
    database = getattr(library, "database", None)
    if database:
        corrections = _pg_corrections(database)
    else:
        path = library.kb_dir / DB_NAME
        with _READERS_LOCK:
            reader = _READERS.setdefault(path, _Reader(path))
        corrections = reader.corrections()
    if not corrections:
        return None
    found = best_match(corrections, question)
    return as_answer(library, found, question, filters) if found is not None else None
