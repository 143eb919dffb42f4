"""Cross-origin attacks in a real browser: a page from another local port can neither read nor remove.

Issue 13 found that a page served from another port on the same machine could chain upload, listing and
browse in Chromium and read the data back, and call remove. Here such a page runs in headless Chromium
against a real server; the server's own page, opened normally, still removes a document.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from pathlib import Path

from conftest import TODAY
from ui_fixtures import (
    browser_marks,
    free_port,
    running_server,
)

from kb.library import Library

pytestmark = browser_marks()

EVIL_PAGE = """<!doctype html><meta charset="utf-8"><title>evil</title><pre id="out">running</pre>
<script>
const target = %(target)s;
const results = {};
async function attempt(name, url, options) {
  try {
    const resp = await fetch(url, options);
    results[name] = {status: resp.status, body: (await resp.text()).slice(0, 2000)};
  } catch (err) { results[name] = {blocked: String(err)}; }
}
(async () => {
  await attempt("search", target + "api/search?q=" + encodeURIComponent("东数西算"), {});
  await attempt("config", target + "config", {});
  await attempt("join", target + "gradio_api/queue/join", {method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({data: [%(doc)s, null], fn_index: %(fn)s, trigger_id: %(trigger)s,
                            session_hash: "evilsession", event_data: null})});
  await attempt("data", target + "gradio_api/queue/data?session_hash=evilsession", {});
  await attempt("simple_post", target + "gradio_api/queue/join", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: "{}"});
  document.getElementById("out").textContent = JSON.stringify(results);
})();
</script>"""


def _serve_page(html: str) -> tuple[str, http.server.ThreadingHTTPServer]:
    body = html.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/", httpd


def _remove_event(server) -> tuple[int, int]:
    with urllib.request.urlopen(server.url + "config", timeout=30) as resp:
        config = json.loads(resp.read())
    comp = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "pk-remove")
    dep = next(d for d in config["dependencies"] if [comp, "click"] in [list(t) for t in d["targets"]])
    return dep["id"], comp


def test_a_page_from_another_local_port_can_neither_read_nor_remove(browser, kb_copy: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    with running_server(library) as server:
        before = len(library.documents())
        # the attacker knows a valid removal value: the worst case, as if it had read one listing
        value = server.service.removal_choices()[0][1]
        fn, trigger = _remove_event(server)
        evil_url, httpd = _serve_page(EVIL_PAGE % {"target": json.dumps(server.url), "doc": json.dumps(value),
                                                   "fn": fn, "trigger": trigger})
        context = browser.new_context(locale="zh-CN")
        try:
            page = context.new_page()
            page.goto(evil_url)
            page.wait_for_function("document.getElementById('out').textContent !== 'running'", timeout=60_000)
            results = json.loads(page.locator("#out").inner_text())
        finally:
            context.close()
            httpd.shutdown()
        for name in ("search", "config", "join", "data"):
            outcome = results[name]
            assert "blocked" in outcome or outcome["status"] == 403, (name, outcome)
            assert "东数西算" not in outcome.get("body", "")
        assert len(library.documents()) == before, "a cross-origin page removed a document"


def test_the_servers_own_page_still_removes_a_document(browser, kb_copy: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    with running_server(library) as server:
        title = library.documents()[0].title
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(server.url)
            page.get_by_role("tab", name="文件管理").click()
            page.locator("#pk-remove-doc input").click()
            page.get_by_role("option", name=title).first.click()
            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#pk-remove")
            page.locator("#pk-remove-msg", has_text="已删除").wait_for()
        finally:
            context.close()
        assert library.documents() == []
