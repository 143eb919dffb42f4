"""Users of a shared policykb server: names, roles and slow password hashes, in the KB file.

Passwords are hashed with scrypt (hashlib, N=2**14, r=8, p=1, 16-byte salt); the session-signing secret
lives next to them (table ``auth_meta``) so a restart keeps people signed in. A user's ``stamp`` changes
with the password, so removing a user or changing the password ends their sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kb.errors import PolicyKBError
from kb.sidedb import SideDB

ROLES = {"admin": "管理员", "staff": "工作人员"}
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.\-@\u4e00-\u9fff]{1,32}$")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
  pw_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""


class AccountError(PolicyKBError):
    """A user could not be added or removed as asked (the message says why)."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


_DUMMY_HASH = hash_password(secrets.token_hex(8))  # unknown names cost as much time as wrong passwords


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str
    stamp: str  # changes with the password hash; sessions carry it

    @property
    def role_text(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(name: str, role: str, pw_hash: str, created_at: str) -> User:
    return User(name, role, created_at, hashlib.sha256(pw_hash.encode()).hexdigest()[:16])


class Accounts:
    """The user table of one KB file."""

    def __init__(self, db_path: str | Path) -> None:
        self._db = SideDB(db_path, _SCHEMA)

    def secret(self) -> bytes:
        """The key sessions are signed with; created once per KB."""
        self._db.write("INSERT OR IGNORE INTO auth_meta VALUES ('session_secret', ?)", (secrets.token_hex(32),))
        return bytes.fromhex(self._db.query("SELECT value FROM auth_meta WHERE key = 'session_secret'")[0][0])

    def users(self) -> list[User]:
        return [_user(*row) for row in self._db.query(
            "SELECT name, role, pw_hash, created_at FROM users ORDER BY role, name")]

    def get(self, name: str | None) -> User | None:
        if not name:
            return None
        rows = self._db.query("SELECT name, role, pw_hash, created_at FROM users WHERE name = ?", (name,))
        return _user(*rows[0]) if rows else None

    def count(self, role: str | None = None) -> int:
        if role:
            return self._db.query("SELECT count(*) FROM users WHERE role = ?", (role,))[0][0]
        return self._db.query("SELECT count(*) FROM users")[0][0]

    def add(self, name: str, password: str, role: str) -> User:
        name = (name or "").strip()
        if not _NAME.match(name):
            raise AccountError("用户名应为 1–32 个汉字、字母、数字或 . - _ @，不含空格")
        if role not in ROLES:
            raise AccountError(f"角色应为 {' 或 '.join(ROLES)}（{'、'.join(ROLES.values())}）")
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
        if self.get(name) is not None:
            raise AccountError(f"用户 {name} 已存在")
        created = datetime.now().astimezone().isoformat(timespec="seconds")
        self._db.write("INSERT INTO users VALUES (?, ?, ?, ?)", (name, role, hash_password(password), created))
        user = self.get(name)
        assert user is not None
        return user

    def remove(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AccountError(f"没有用户 {name}")
        if user.is_admin and self.count("admin") == 1 and self.count() > 1:
            raise AccountError("不能删除唯一的管理员：请先添加另一位管理员")
        self._db.write("DELETE FROM users WHERE name = ?", (name,))
        return user

    def authenticate(self, name: str, password: str) -> User | None:
        rows = self._db.query("SELECT name, role, pw_hash, created_at FROM users WHERE name = ?", ((name or "").strip(),))
        if not rows:
            verify_password(password or "", _DUMMY_HASH)
            return None
        return _user(*rows[0]) if verify_password(password or "", rows[0][2]) else None

    def close(self) -> None:
        self._db.close()
