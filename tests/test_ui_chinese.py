"""Chinese throughout (issue 12): Gradio's own strings in an English browser, the advice for a refused .doc,
and the "正在建立索引…" page the port serves while the app is built instead of refusing connections."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import TODAY
from ui_fixtures import QUESTION, chromium_missing_reason, free_port, running_server

from kb.library import Library
from ui.service import UIService, UploadError
from ui.startup import StartupShell


def _get(url: str, data: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def test_the_port_serves_a_starting_page_while_the_app_is_built(kb_copy: Path):
    import uvicorn

    from ui.app import build_app

    release = threading.Event()
    library = Library(kb_copy, today=lambda: TODAY)

    def build():
        release.wait(60)
        return build_app(library)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(StartupShell(build), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        while not server.started:
            time.sleep(0.05)
        status, page = _get(url)
        assert status == 503 and "正在建立索引" in page and 'http-equiv="refresh"' in page
        status, body = _get(url + "api/ask", json.dumps({"question": QUESTION}).encode())
        assert status == 503 and "正在启动" in json.loads(body)["error"]
        release.set()
        deadline = time.monotonic() + 120
        while _get(url)[0] == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _get(url)[0] == 200
        status, body = _get(url + "api/ask", json.dumps({"question": QUESTION}).encode())
        assert status == 200 and json.loads(body)["found"]
    finally:
        release.set()
        server.should_exit = True
        thread.join(timeout=15)


@pytest.mark.parametrize("name, advice", [("通知.doc", "另存为 .docx"), ("通知.wps", "另存为 .docx"),
                                          ("通知.ofd", "PDF")])
def test_a_refused_word_file_says_how_to_convert_it(tmp_path: Path, name: str, advice: str):
    service = UIService(Library(tmp_path / "kb", today=lambda: TODAY))
    src = tmp_path / "x.bin"
    src.write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    with pytest.raises(UploadError, match=advice):
        service.store_upload(src, name)
    report = service.ingest_uploads([(src, name)])[0]
    assert not report["ok"] and advice in report["error"]


@pytest.mark.browser
@pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")
def test_gradio_strings_are_chinese_in_an_english_browser(built_kb_dir: Path, browser):
    library = Library(built_kb_dir, today=lambda: TODAY)
    with running_server(library) as server:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(server.url)
            page.wait_for_selector("#pk-question textarea")
            page.get_by_role("tab", name="文件管理").click()
            upload = page.locator("#pk-upload")
            upload.wait_for()
            text = upload.inner_text() + page.locator("footer").inner_text()
            assert "Drop File Here" not in text and "Click to Upload" not in text and "Use via API" not in text
            assert "点击上传" in text
        finally:
            context.close()
