"""The append-only audit log: who changed what, and when (uploads, removals, corrections, users).

Rows live in the KB file (table ``audit_log``); triggers refuse UPDATE and DELETE, so a row once
written stays as written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from kb.sidedb import SideDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END
"""

#: action code -> what an administrator reads
ACTIONS = {
    "upload": "上传文件",
    "remove": "删除文件",
    "correction": "更正",
    "disable": "停用文件",
    "enable": "启用文件",
    "reparse": "重新解析",
    "apikey_add": "创建接口密钥",
    "apikey_revoke": "吊销接口密钥",
    "feedback": "反馈",
    "user_add": "添加用户",
    "user_remove": "删除用户",
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str

    @property
    def action_text(self) -> str:
        return ACTIONS.get(self.action, self.action)

    def to_dict(self) -> dict:
        return {**asdict(self), "action_text": self.action_text}


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class AuditLog:
    """Append and read the audit log of one KB file."""

    def __init__(self, db_path: str | Path) -> None:
        self._db = SideDB(db_path, _SCHEMA)

    def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        self._db.write("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                       (_now(), actor or "（未知）", action, target, detail))

    def entries(self, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` entries, newest first."""
        rows = self._db.query("SELECT id, at, actor, action, target, detail FROM audit_log "
                              "ORDER BY id DESC LIMIT ?", (int(limit),))
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
