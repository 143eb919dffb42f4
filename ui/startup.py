"""The port answers from the first second: a Chinese "正在建立索引…" page while the real app is built.

`StartupShell` is the ASGI app uvicorn serves. It builds the real app (index loading or building takes
up to a minute) in a worker thread once the server is up, answers every request meanwhile with 503 and
a page that reloads itself (JSON for /api), then enters the real app's lifespan and hands over to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

STARTING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<title>正在启动 · policykb 政策文件问答</title>
<style>body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; background:#f3f6fb; }
.box { max-width:460px; margin:18vh auto; background:#fff; border:1px solid #dbe3ef; border-radius:12px; padding:28px 32px; }
h1 { font-size:20px; color:#1e3a5f; } p { color:#4b5563; }</style></head>
<body><div class="box" id="pk-starting"><h1>正在建立索引…</h1><p>{message}</p><p>页面每 3 秒自动刷新，就绪后会自动打开。</p></div></body></html>"""


class StartupShell:
    """Serve a start-up page until ``build()`` returns the real ASGI app, then delegate to it."""

    def __init__(self, build: Callable[[], object]) -> None:
        self._build = build
        self.app = None
        self.error: str | None = None
        self._lifespan = None
        self._task: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self.app is not None

    async def _start(self) -> None:
        try:
            app = await asyncio.to_thread(self._build)
            lifespan = app.router.lifespan_context(app)
            await lifespan.__aenter__()
            self._lifespan = lifespan
            self.app = app
        except Exception as exc:  # shown on the page; the log keeps the trace
            log.exception("building the app failed")
            self.error = f"启动失败：{exc}"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self._task = asyncio.create_task(self._start())
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self._lifespan is not None:
                        await self._lifespan.__aexit__(None, None, None)
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})
            return
        message = self.error or "服务刚刚启动，正在加载或建立检索索引，首次启动约需一分钟。"
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"error": f"服务正在启动：{message}"}, ensure_ascii=False).encode()
            kind = b"application/json; charset=utf-8"
        else:
            body = STARTING_PAGE.replace("{message}", message).encode()
            kind = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", b"3"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
