"""有用/没用 on an answer, with an optional comment, kept with the question, the answer and its citations.

Rows live in the KB file (table ``answer_feedback``); each one is also written to the audit log, so an
administrator sees who judged what and when. ``rows()`` gives plain dicts for export (kb/export.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import PolicyKBError
from kb.sidedb import SideDB

if TYPE_CHECKING:
    from kb.audit import AuditLog

USEFUL, USELESS = "useful", "useless"
VERDICTS = {USEFUL: "有用", USELESS: "没用"}
MAX_COMMENT_CHARS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  verdict TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  citations TEXT NOT NULL,
  curated INTEGER NOT NULL DEFAULT 0,
  turn_id INTEGER
);
CREATE INDEX IF NOT EXISTS answer_feedback_question ON answer_feedback (question)
"""


class FeedbackError(PolicyKBError):
    """Feedback refused (unknown verdict, comment too long, nothing to judge)."""


@dataclass(frozen=True)
class Feedback:
    id: int
    at: str
    user: str
    verdict: str
    comment: str
    question: str
    answer: str
    citations: list[dict] = field(default_factory=list)
    curated: bool = False
    turn_id: int | None = None

    @property
    def verdict_text(self) -> str:
        return VERDICTS.get(self.verdict, self.verdict)

    def to_dict(self) -> dict:
        return {**self.__dict__, "verdict_text": self.verdict_text}


_SELECT = "SELECT id, at, user, verdict, comment, question, answer, citations, curated, turn_id FROM answer_feedback"


def _feedback(row: tuple) -> Feedback:
    return Feedback(*row[:7], json.loads(row[7]), bool(row[8]), row[9])


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class FeedbackLog:
    """Record and list feedback on answers in one KB file."""

    def __init__(self, db_path: str | Path, audit: AuditLog | None = None) -> None:
        self._db = SideDB(db_path, _SCHEMA)
        self.audit = audit

    def record(self, user: str, verdict: str, answer: dict, comment: str = "", turn_id: int | None = None) -> Feedback:
        """Store one judgement of ``answer`` (the JSON answer object); returns the stored row."""
        if verdict not in VERDICTS:
            raise FeedbackError("评价只能是“有用”或“没用”")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise FeedbackError(f"意见过长（{len(comment)} 字），请控制在 {MAX_COMMENT_CHARS} 字以内")
        question = str(answer.get("question") or "").strip()
        if not question:
            raise FeedbackError("没有可评价的回答：请先提问")
        citations = [{k: c.get(k) for k in ("doc_id", "doc_title", "doc_number", "clause_id", "label")}
                     for c in answer.get("citations") or []]
        row = (_now(), user or "（未知）", verdict, comment, question, str(answer.get("answer") or ""),
               json.dumps(citations, ensure_ascii=False), int(bool(answer.get("curated"))), turn_id)
        self._db.write("INSERT INTO answer_feedback (at, user, verdict, comment, question, answer, citations, curated, turn_id) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        new_id = int(self._db.query("SELECT MAX(id) FROM answer_feedback WHERE user = ?", (row[1],))[0][0])
        if self.audit is not None:
            self.audit.record(row[1], "feedback", question[:60], f"{VERDICTS[verdict]}" + (f"：{comment[:80]}" if comment else ""))
        return Feedback(new_id, row[0], row[1], verdict, comment, question, row[5], citations, bool(row[7]), turn_id)

    def entries(self, verdict: str | None = None, limit: int = 200) -> list[Feedback]:
        """The newest ``limit`` rows (only ``verdict`` ones when given), newest first."""
        sql = _SELECT
        args: tuple = ()
        if verdict:
            sql += " WHERE verdict = ?"
            args = (verdict,)
        rows = self._db.query(sql + " ORDER BY id DESC LIMIT ?", (*args, int(limit)))
        return [_feedback(r) for r in rows]

    def get(self, feedback_id: int) -> Feedback:
        rows = self._db.query(f"{_SELECT} WHERE id = ?", (int(feedback_id),))
        if not rows:
            raise FeedbackError(f"找不到反馈：{feedback_id}")
        return _feedback(rows[0])

    def rows(self, verdict: str | None = None) -> list[dict]:
        """Flat rows for export: 时间, 用户, 评价, 意见, 问题, 回答, 引用."""
        out = []
        for f in reversed(self.entries(verdict, limit=1_000_000)):
            cites = "\n".join(f"{c.get('doc_number') or c.get('doc_title') or ''} {c.get('label') or ''}".strip()
                              for c in f.citations)
            out.append({"id": f.id, "at": f.at, "user": f.user, "verdict": f.verdict_text, "comment": f.comment,
                        "question": f.question, "answer": f.answer, "citations": cites, "curated": f.curated})
        return out

    def close(self) -> None:
        self._db.close()
