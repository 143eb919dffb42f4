"""The sign-in face: /login and /logout routes and the gate that every request passes.

The gate (ASGI middleware) sends a browser that must sign in to /login, answers other such requests
with 401, and refuses a state-changing request whose session token lacks its CSRF header (403).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ui.auth import (
    CSRF_COOKIE,
    CSRF_HEADER,
    PUBLIC_PATHS,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    Authority,
    cookies_of,
    login_page,
    new_csrf,
    presented_key,
)
from ui.guard import ASGIApp, Receive, Scope, Send, is_loopback

#: read-only JSON endpoints that loopback clients may call without signing in (scripts on the server)
LOOPBACK_READ_PATHS = ("/api/ask", "/api/search")


class AuthGate:
    """Sign-in and CSRF in front of the whole app; puts the viewer in ``scope["state"]["viewer"]``."""

    def __init__(self, app: ASGIApp, authority: Authority) -> None:
        self.app = app
        self.authority = authority

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or (None,))[0]
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        key = presented_key(headers) if path.startswith("/api/") else None
        if key is not None:  # an API key decides alone: no cookie, no CSRF token, no loopback exemption
            viewer = self.authority.key_viewer(key)
            scope.setdefault("state", {})["viewer"] = viewer
            if viewer is None:
                await _json(send, 401, "接口密钥无效或已吊销")
                return
            await self.app(scope, receive, send)
            return
        viewer = self.authority.viewer(cookies_of(headers.get("cookie")), client)
        scope.setdefault("state", {})["viewer"] = viewer
        if path in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if viewer is not None and viewer.csrf and method in UNSAFE_METHODS and \
                headers.get(CSRF_HEADER, "") != viewer.csrf:
            await _json(send, 403, "拒绝请求：缺少或错误的防跨站令牌（CSRF），请刷新页面后重试")
            return
        if viewer is None:
            if path in ("", "/") and method == "GET":
                await RedirectResponse("login", status_code=303)(scope, receive, send)
                return
            if not (path in LOOPBACK_READ_PATHS and is_loopback(client)):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "login required"})
                    return
                await _json(send, 401, "请先登录")
                return
        await self.app(scope, receive, send)


async def _json(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None,
                http_only: bool) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only, samesite="strict",
                        secure=request.url.scheme == "https")


def make_signin_router(authority: Authority) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
        response = HTMLResponse(login_page(csrf, error, authority.anonymous), status_code=status)
        _set_cookie(response, request, CSRF_COOKIE, csrf, max_age=None, http_only=False)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/login")
    def login_form(request: Request) -> Response:
        viewer = request.state.viewer
        if viewer is not None and (viewer.csrf or viewer.local):
            return RedirectResponse("./", status_code=303)
        return page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or form.get("csrf_token") != cookie:
            return page(request, "页面已过期或请求来源不明，请重新登录", 403)
        client = request.client.host if request.client else None
        user, reason = authority.login(str(form.get("username", "")), str(form.get("password", "")), client)
        if user is None:
            return page(request, reason, 429 if "过多" in reason else 401)
        csrf = new_csrf()
        response = RedirectResponse("./", status_code=303)
        _set_cookie(response, request, CSRF_COOKIE, csrf, max_age=authority.session_seconds, http_only=False)
        _set_cookie(response, request, SESSION_COOKIE, authority.session_token(user, csrf),
                    max_age=authority.session_seconds, http_only=True)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        viewer = request.state.viewer
        form = await request.form()
        if viewer is None or not viewer.csrf or form.get("csrf_token") != viewer.csrf:
            return JSONResponse({"error": "拒绝请求：缺少或错误的防跨站令牌（CSRF）"}, status_code=403)
        authority.audit.record(viewer.name, "logout", viewer.name)
        response = RedirectResponse("login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/api/me")
    def me(request: Request) -> dict:
        viewer = request.state.viewer
        return {"name": viewer.name, "role": viewer.role, "role_text": viewer.role_text}

    return router
