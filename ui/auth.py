"""Sign-in, roles and CSRF for the shared server.

- Sessions are signed cookies (``pk_session``: HMAC-SHA256 over name, password stamp, CSRF token and
  expiry); nothing is kept in memory, a restart keeps people signed in, removing a user ends theirs.
- CSRF: the page's script copies the readable ``pk_csrf`` cookie into an ``X-CSRF-Token`` header on
  every same-origin POST; a state-changing request that carries a session must carry the session's token
  (another origin can neither read the cookie nor set the header). The sign-in form carries it as a field.
- Open mode: bound to loopback with no users, the server stays open as before (everyone is the local
  administrator). Otherwise pages need a signed-in user, or, with anonymous asking switched on, anyone
  may ask and search but not change anything.
- Login attempts are limited per user name and per client address (a sliding window).
- API keys (kb/apikeys.py): a JSON request under /api/ that carries ``X-API-Key: KEY`` or
  ``Authorization: Bearer KEY`` acts as that key (scope read -> 工作人员, admin -> 管理员); it carries no
  session, so it needs no CSRF token (a browser never attaches such a header to a cross-site request).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from kb.accounts import Accounts, User
from kb.apikeys import ApiKeys
from kb.audit import AuditLog
from ui.guard import is_loopback

SESSION_COOKIE = "pk_session"
CSRF_COOKIE = "pk_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: paths that need no sign-in (the sign-in page itself)
PUBLIC_PATHS = ("/login", "/logout", "/favicon.ico")


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a signed-in user, the local administrator of open mode, or an anonymous reader."""

    name: str
    role: str  # "admin", "staff" or "anonymous"
    csrf: str = ""
    local: bool = False
    key: str = ""  # the API key's name when the request came with one


    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "staff")

    @property
    def role_text(self) -> str:
        return {"admin": "管理员", "staff": "工作人员"}.get(self.role, "访客（只读）")


ANONYMOUS = Viewer("访客", "anonymous")
LOCAL_ADMIN = Viewer("本机", "admin", local=True)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key a request carries (``X-API-Key``, else ``Authorization: Bearer``), or None."""
    key = (headers.get("x-api-key") or "").strip()
    if key:
        return key
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def cookies_of(header: str | None) -> dict[str, str]:
    """A forgiving Cookie parser: one malformed cookie of another app never hides ours."""
    jar: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in jar:
            jar[name] = value.strip().strip('"')
    return jar


class RateLimiter:
    """At most ``limit`` failures per key within ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        now = time.monotonic()
        with self._lock:
            hits = self._live(key, now)
            return 0.0 if len(hits) < self.limit else hits[0] + self.window - now

    def fail(self, key: str) -> None:
        with self._lock:
            self._live(key, time.monotonic()).append(time.monotonic())

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


@dataclass
class Authority:
    """Decides who a request comes from and what it may do; built once per server."""

    accounts: Accounts
    audit: AuditLog
    bind_host: str = "127.0.0.1"
    anonymous: bool = False
    session_seconds: int = 8 * 3600
    per_user: RateLimiter = field(default_factory=lambda: RateLimiter(5, 15 * 60))
    per_address: RateLimiter = field(default_factory=lambda: RateLimiter(20, 15 * 60))
    apikeys: ApiKeys | None = None

    def __post_init__(self) -> None:
        self._secret = self.accounts.secret()

    @property
    def open_mode(self) -> bool:
        """Loopback with no users: open to this machine as before sign-in existed."""
        return is_loopback(self.bind_host) and self.accounts.count() == 0

    # -- sessions ------------------------------------------------------------------------------------
    def _sign(self, data: bytes) -> str:
        return hmac.new(self._secret, data, hashlib.sha256).hexdigest()

    def session_token(self, user: User, csrf: str) -> str:
        payload = json.dumps({"u": user.name, "s": user.stamp, "c": csrf,
                              "e": int(time.time()) + self.session_seconds}, ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._sign(payload)

    def session_user(self, token: str | None) -> tuple[User, str] | None:
        """(user, csrf token) of a valid, unexpired session whose user still exists as signed."""
        body, _, mac = (token or "").partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            return None
        if not mac or not hmac.compare_digest(mac, self._sign(payload)):
            return None
        data = json.loads(payload)
        if int(data.get("e", 0)) < time.time():
            return None
        user = self.accounts.get(data.get("u"))
        if user is None or not hmac.compare_digest(user.stamp, str(data.get("s", ""))):
            return None
        return user, str(data.get("c", ""))

    def viewer(self, cookies: Mapping[str, str], client_host: str | None) -> Viewer | None:
        """The request's viewer, or None when it must sign in first."""
        if self.open_mode and is_loopback(client_host):
            return LOCAL_ADMIN
        found = self.session_user(cookies.get(SESSION_COOKIE))
        if found is not None:
            user, csrf = found
            return Viewer(user.name, user.role, csrf)
        return ANONYMOUS if self.anonymous else None

    def key_viewer(self, secret: str) -> Viewer | None:
        """The viewer an API key stands for, or None (unknown, revoked, or keys not configured)."""
        key = self.apikeys.verify(secret) if self.apikeys is not None else None
        if key is None:
            return None
        return Viewer(f"接口密钥 {key.name}", "admin" if key.is_admin else "staff", key=key.name)

    def viewer_of_headers(self, headers: Mapping[str, str], client_host: str | None) -> Viewer | None:
        return self.viewer(cookies_of(headers.get("cookie")), client_host)

    # -- sign-in ------------------------------------------------------------------------------------
    def login(self, name: str, password: str, client_host: str | None) -> tuple[User | None, str]:
        """(user, "") on success; (None, Chinese reason) otherwise. Failures count against both limits."""
        name = (name or "").strip()
        user_key, addr_key = f"u:{name}", f"a:{client_host or '?'}"
        wait = max(self.per_user.wait(user_key), self.per_address.wait(addr_key))
        if wait > 0:
            return None, f"登录尝试过多，请 {max(1, round(wait / 60))} 分钟后再试"
        user = self.accounts.authenticate(name, password)
        if user is None:
            self.per_user.fail(user_key)
            self.per_address.fail(addr_key)
            self.audit.record(name or "（空）", "login_failed", name, f"来自 {client_host or '未知地址'}")
            return None, "用户名或密码不正确"
        self.per_user.clear(user_key)
        self.audit.record(user.name, "login", user.name, f"来自 {client_host or '未知地址'}")
        return user, ""


def startup_problem(accounts: Accounts, host: str) -> str | None:
    """Why `policykb serve` must not start on ``host`` (None when it may)."""
    if not is_loopback(host) and accounts.count("admin") == 0:
        return (f"拒绝在 {host} 上启动：对本机以外开放时必须先创建至少一位管理员。\n"
                "  创建管理员：policykb user add 用户名 --role admin")
    return None


def first_start_hint(accounts: Accounts) -> str | None:
    if accounts.count() == 0:
        return ("尚未创建任何用户：目前只在本机开放，且本机访问者即管理员。\n"
                "  创建第一位管理员：policykb user add 用户名 --role admin（随后按提示输入密码）")
    return None


def anonymous_from_env() -> bool:
    return os.environ.get("POLICYKB_ANONYMOUS", "").strip().lower() in ("1", "true", "yes", "on")


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · policykb 政策文件问答</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; background:#f3f6fb; margin:0; }}
.box {{ max-width:380px; margin:12vh auto; background:#fff; border:1px solid #dbe3ef; border-radius:12px; padding:28px 32px; }}
h1 {{ font-size:20px; color:#1e3a5f; margin:0 0 4px; }} .sub {{ color:#6b7280; font-size:14px; margin-bottom:18px; }}
label {{ display:block; font-size:14px; color:#374151; margin:12px 0 4px; }}
input[type=text], input[type=password] {{ width:100%; box-sizing:border-box; padding:8px 10px; font-size:15px;
  border:1px solid #cbd5e1; border-radius:6px; }}
button {{ margin-top:18px; width:100%; padding:9px; font-size:16px; background:#1d4ed8; color:#fff; border:0;
  border-radius:6px; cursor:pointer; }}
.err {{ background:#fef2f2; color:#991b1b; border-radius:6px; padding:6px 10px; font-size:14px; margin-bottom:8px; }}
.note {{ color:#6b7280; font-size:13px; margin-top:14px; }} a {{ color:#1d4ed8; }}
</style></head><body><div class="box">
<h1>policykb 政策文件知识库</h1><div class="sub">请登录后使用</div>
{error}
<form method="post" action="login" id="pk-login">
<input type="hidden" name="csrf_token" value="{csrf}">
<label for="pk-user">用户名</label><input type="text" id="pk-user" name="username" autocomplete="username" required autofocus>
<label for="pk-pass">密码</label><input type="password" id="pk-pass" name="password" autocomplete="current-password" required>
<button type="submit" id="pk-login-submit">登录</button>
</form>
{note}
</div></body></html>"""


def login_page(csrf: str, error: str = "", anonymous: bool = False) -> str:
    err = f'<div class="err" id="pk-login-error">{html.escape(error)}</div>' if error else ""
    note = ('<div class="note">未登录也可<a href="./">只读提问与检索</a>。</div>' if anonymous else
            '<div class="note">账号由管理员创建（policykb user add）。</div>')
    return LOGIN_PAGE.format(csrf=html.escape(csrf), error=err, note=note)
