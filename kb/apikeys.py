"""API keys for integrators: created by an administrator, shown once, only their hash kept (table ``api_keys``).

A key is 32 random bytes (``pk_`` + URL-safe base64), so a plain SHA-256 is enough to store it: there is
nothing to guess, and a slow hash would cost every API call. The first characters (``prefix``) stay
readable so that a listing can say which key is which. Scopes: ``read`` (ask, search, list, export) and
``admin`` (also upload, remove, correct, disable).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from kb.errors import PolicyKBError
from kb.sidedb import SideDB

SCOPES = {"read": "只读", "admin": "管理"}
PREFIX = "pk_"
_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,40}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  name TEXT PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('read', 'admin')),
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT,
  last_used_at TEXT
)
"""


class ApiKeyError(PolicyKBError):
    """A key could not be created or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    scope: str
    prefix: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    last_used_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_text(self) -> str:
        return SCOPES.get(self.scope, self.scope)

    @property
    def is_admin(self) -> bool:
        return self.scope == "admin"

    def to_dict(self) -> dict:
        return {**asdict(self), "active": self.active, "scope_text": self.scope_text}


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiKeys:
    """Create, list, revoke and check the API keys of one KB file."""

    _COLUMNS = "name, scope, prefix, created_at, created_by, revoked_at, last_used_at"

    def __init__(self, db_path: str | Path) -> None:
        self._db = SideDB(db_path, _SCHEMA)

    def add(self, name: str, scope: str = "read", created_by: str = "（命令行）") -> tuple[ApiKey, str]:
        """A new key: (its record, the secret, shown this once and never stored)."""
        name = (name or "").strip()
        if not _NAME.match(name):
            raise ApiKeyError("密钥名称应为 1–40 个字符（汉字、字母、数字或 . - _ @）")
        if scope not in SCOPES:
            raise ApiKeyError(f"未知的权限范围：{scope}（可选 read 只读、admin 管理）")
        if self._db.query("SELECT 1 FROM api_keys WHERE name = ?", (name,)):
            raise ApiKeyError(f"已有名为 {name} 的密钥（已吊销的名称也不能重复使用）")
        secret = PREFIX + secrets.token_urlsafe(32)
        self._db.write("INSERT INTO api_keys (name, scope, key_hash, prefix, created_at, created_by) VALUES "
                       "(?, ?, ?, ?, ?, ?)", (name, scope, key_hash(secret), secret[:10], _now(), created_by))
        return self.get(name), secret  # type: ignore[return-value]

    def get(self, name: str) -> ApiKey | None:
        rows = self._db.query(f"SELECT {self._COLUMNS} FROM api_keys WHERE name = ?", (name,))
        return ApiKey(*rows[0]) if rows else None

    def keys(self) -> list[ApiKey]:
        return [ApiKey(*r) for r in self._db.query(f"SELECT {self._COLUMNS} FROM api_keys ORDER BY created_at, name")]

    def revoke(self, name: str) -> ApiKey:
        key = self.get((name or "").strip())
        if key is None:
            raise ApiKeyError(f"没有名为 {name} 的密钥")
        if not key.active:
            raise ApiKeyError(f"密钥 {name} 已吊销（{key.revoked_at}）")
        self._db.write("UPDATE api_keys SET revoked_at = ? WHERE name = ?", (_now(), key.name))
        return self.get(key.name)  # type: ignore[return-value]

    def verify(self, secret: str | None) -> ApiKey | None:
        """The active key ``secret`` is, or None (unknown, malformed or revoked)."""
        if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        digest = key_hash(secret)
        rows = self._db.query(f"SELECT {self._COLUMNS}, key_hash FROM api_keys WHERE key_hash = ?", (digest,))
        if not rows or not hmac.compare_digest(rows[0][-1], digest):
            return None
        key = ApiKey(*rows[0][:-1])
        if not key.active:
            return None
        self._db.write("UPDATE api_keys SET last_used_at = ? WHERE name = ?", (_now(), key.name))
        return key

    def close(self) -> None:
        self._db.close()
