"""Gradio's own strings in Chinese whatever the browser's language.

Gradio picks its built-in strings (upload box, footer, errors) from ``navigator.language`` while its
module starts, before the app's ``head`` is injected; so the served page itself gets, first thing in
``<head>``, a script that reports zh-CN as the browser's language.
"""

from __future__ import annotations

from ui.guard import ASGIApp, Receive, Scope, Send

SCRIPT = (b"<script>try{Object.defineProperty(Navigator.prototype,'language',{get:function(){return 'zh-CN'},"
          b"configurable:true});Object.defineProperty(Navigator.prototype,'languages',{get:function(){"
          b"return ['zh-CN','zh']},configurable:true})}catch(e){}</script>")


class ChinesePage:
    """Insert :data:`SCRIPT` after ``<head>`` in the app's HTML page (GET /)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") not in ("", "/"):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]}
        start: dict = {}
        chunks: list[bytes] = []

        async def buffered(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            kind = dict(start.get("headers", [])).get(b"content-type", b"")
            if kind.startswith(b"text/html") and b"<head>" in body:
                body = body.replace(b"<head>", b"<head>" + SCRIPT, 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)
