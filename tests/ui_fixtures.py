"""Helpers for the UI tests: run the policykb server in-process on a free port, find Debian's chromium.

The built KB itself comes from conftest.py (`built_kb_dir`, built once per session; `kb_copy` for tests
that write).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The README's screenshots are refreshed only on request (POLICYKB_SCREENSHOTS=1), so a test run leaves the
# tree clean; otherwise they go to a temporary folder (still taken: a page that cannot render fails).
SCREENSHOTS = (REPO / "eval" / "screenshots" if os.environ.get("POLICYKB_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "policykb-screenshots")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
QUESTION = "谁牵头探索建设赣南大数据交易中心？"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str  # with a trailing slash
    app: object

    @property
    def service(self):
        return self.app.state.service


@contextmanager
def running_server(library, **options) -> Iterator[RunningServer]:
    """build_app(library, **options) served by uvicorn in a daemon thread; stopped on exit."""
    import uvicorn

    from ui.app import build_app

    app = build_app(library, **options)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"policykb-ui-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the policykb server did not start")
        time.sleep(0.05)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}/", app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def copy_kb(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@contextmanager
def launched_chromium() -> Iterator[object]:
    """Debian's chromium, headless, through Playwright (no browser download); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def browser_marks() -> list:
    """The marks of a browser test module: `-m browser`, skipped (with the reason) when Chromium is absent."""
    import pytest

    reason = chromium_missing_reason()
    return [pytest.mark.browser, pytest.mark.skipif(reason is not None, reason=reason or "")]


def outcome(page, container: str) -> str:
    """The number of the outcome `container` shows now (ui.render.numbered), "" before any."""
    return page.evaluate("sel => document.querySelector(sel + ' [data-outcome]')?.dataset.outcome ?? ''", container)


def next_outcome(page, container: str, before: str) -> str:
    """Wait for an outcome other than `before`: the event's own output has arrived (until then the card
    still shows the previous answer under a "processing" tracker), and return its text."""
    page.wait_for_function("([sel, b]) => { const e = document.querySelector(sel + ' [data-outcome]');"
                           " return e !== null && e.dataset.outcome !== b; }", arg=[container, before])
    return page.locator(f"{container} [data-outcome]").first.inner_text()
