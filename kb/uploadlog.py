"""Every upload batch's report, kept (table ``upload_batches`` in the KB file): who uploaded what, when,
and what became of each file (counts and warnings, or the reason it failed).

The document table keeps only the latest copy of a document; this log is what lets the document list
say who uploaded it and when, and lets an administrator read an earlier batch's report again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kb.sidedb import SideDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  via TEXT NOT NULL DEFAULT '',
  reports TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class UploadBatch:
    id: int
    at: str
    actor: str
    via: str  # 页面, 接口, 重新解析 ...
    reports: list[dict] = field(default_factory=list)

    @property
    def ok_count(self) -> int:
        return sum(1 for r in self.reports if r.get("ok"))

    @property
    def failed_count(self) -> int:
        return len(self.reports) - self.ok_count

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.at, "actor": self.actor, "via": self.via, "reports": self.reports,
                "ok": self.ok_count, "failed": self.failed_count}


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class UploadLog:
    """Append and read the upload batches of one KB file."""

    def __init__(self, db_path: str | Path) -> None:
        self._db = SideDB(db_path, _SCHEMA)

    def record(self, actor: str, reports: list[dict], via: str = "") -> UploadBatch:
        at = _now()
        kept = [{k: v for k, v in r.items() if k != "stored"} for r in reports]
        self._db.write("INSERT INTO upload_batches (at, actor, via, reports) VALUES (?, ?, ?, ?)",
                       (at, actor or "（未知）", via, json.dumps(kept, ensure_ascii=False)))
        row = self._db.query("SELECT max(id) FROM upload_batches WHERE at = ? AND actor = ?", (at, actor or "（未知）"))
        return UploadBatch(int(row[0][0]), at, actor or "（未知）", via, kept)

    def batches(self, limit: int = 50) -> list[UploadBatch]:
        """The newest ``limit`` batches, newest first."""
        rows = self._db.query("SELECT id, at, actor, via, reports FROM upload_batches ORDER BY id DESC LIMIT ?",
                              (int(limit),))
        return [UploadBatch(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def get(self, batch_id: int) -> UploadBatch | None:
        rows = self._db.query("SELECT id, at, actor, via, reports FROM upload_batches WHERE id = ?", (int(batch_id),))
        return UploadBatch(rows[0][0], rows[0][1], rows[0][2], rows[0][3], json.loads(rows[0][4])) if rows else None

    def uploaders(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (who, when) of the latest batch that stored it successfully."""
        out: dict[str, tuple[str, str]] = {}
        for actor, at, reports in self._db.query("SELECT actor, at, reports FROM upload_batches ORDER BY id"):
            for r in json.loads(reports):
                if r.get("ok") and r.get("doc_id"):
                    out[r["doc_id"]] = (actor, at)
        return out

    def close(self) -> None:
        self._db.close()
