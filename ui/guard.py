"""Request guards in front of the whole server (JSON API and Gradio alike).

Why an ASGI middleware of our own: Gradio, mounted on FastAPI, trusts every localhost origin on any port,
so a page served from another local port could drive upload, listing and removal in a browser. The
guard runs before Gradio sees the request and refuses

- a request whose ``Origin`` (or, without it, ``Sec-Fetch-Site: cross-site``) is another origin than
  the one the browser addressed (``Host``), unless that origin is configured as trusted;
- a ``Host`` that is not this machine's when the server is bound to loopback (DNS rebinding);
- a body larger than the route's limit (declared ``Content-Length`` or counted while it streams), before
  anything parses it;
- a file upload by anyone but a signed-in administrator (``write_check``, from ui/auth.py); without it
  (no users, server on loopback) only this machine may upload.

Every refusal is JSON ``{"error": "中文说明"}`` with 403 or 413, like the API's own errors.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths (after the mount prefix) that receive uploaded files.
UPLOAD_PATHS = ("/gradio_api/upload",)
#: JSON API paths whose body may be as large as an upload (the endpoint itself checks the role first)
API_UPLOAD_PATHS = ("/api/documents",)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and the usual names of this machine."""
    if not host:
        return False
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split_host(value: str) -> tuple[str, str]:
    """'example.org:8080' -> ('example.org', '8080'); '[::1]:7860' -> ('::1', '7860')."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest.lstrip(":")
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return (host, port) if host else (value, "")


@dataclass
class GuardPolicy:
    """What the guard lets through; built once from the serve options."""

    bind_host: str = "127.0.0.1"
    trusted_origins: frozenset[str] = field(default_factory=frozenset)
    max_body: int = 1024 * 1024
    max_upload_body: int = 60 * 1024 * 1024
    #: (headers, client address) -> refusal or None, for uploads; set when sign-in is configured
    write_check: Callable[[dict[str, str], str | None], str | None] | None = None

    @property
    def loopback_only(self) -> bool:
        return is_loopback(self.bind_host)

    def body_limit(self, path: str) -> int:
        return self.max_upload_body if path.endswith(UPLOAD_PATHS) or path in API_UPLOAD_PATHS else self.max_body

    def host_refusal(self, host_header: str | None) -> str | None:
        if not self.loopback_only:
            return None
        host, _ = _split_host(host_header or "")
        if is_loopback(host):
            return None
        return f"拒绝请求：服务只在本机地址上提供，请求的主机名“{host_header or '（空）'}”不是本机"

    def origin_refusal(self, headers: dict[str, str], scheme: str) -> str | None:
        origin = headers.get("origin")
        if origin is None:
            if headers.get("sec-fetch-site") == "cross-site":
                return "拒绝跨站请求：请求来自其他网站"
            return None
        if origin in self.trusted_origins:
            return None
        parts = urlsplit(origin)
        own_host = headers.get("host", "").lower()
        if origin == "null" or not parts.netloc:
            return "拒绝跨站请求：来源不明（Origin: null）"
        if parts.netloc.lower() == own_host and parts.scheme in ("http", "https"):
            return None
        return f"拒绝跨站请求：来源 {origin} 与本服务地址 {scheme}://{own_host} 不一致"

    def upload_refusal(self, path: str, client_host: str | None, headers: dict[str, str] | None = None) -> str | None:
        if not path.endswith(UPLOAD_PATHS):
            return None
        if self.write_check is not None:
            return self.write_check(headers or {}, client_host)
        if not is_loopback(client_host):
            return "拒绝上传：需要以管理员身份登录；未创建用户时只能在本机（127.0.0.1）上传或删除文件"
        return None


class _BodyTooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware applying a :class:`GuardPolicy` to every HTTP and WebSocket request."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        client = scope.get("client")
        refusal = (self.policy.host_refusal(headers.get("host"))
                   or self.policy.origin_refusal(headers, scope.get("scheme", "http"))
                   or self.policy.upload_refusal(path, client[0] if client else None, headers))
        if refusal:
            await _refuse(scope, receive, send, 403, refusal)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.policy.body_limit(path)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, 413, _too_large(limit))
            return
        seen = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _refuse(scope, receive, send, 413, _too_large(limit))


def _too_large(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"请求内容过大：超过 {size} 的上限，未处理"


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message[:100]})
        return
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def trusted_origins_from(values: Iterable[str]) -> frozenset[str]:
    """Origins named by the operator (``POLICYKB_TRUSTED_ORIGINS``, comma-separated), normalised."""
    return frozenset(v.strip().rstrip("/").lower() for v in values if v.strip())
