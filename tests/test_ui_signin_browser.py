"""Sign-in in a real browser (headless Chromium): staff and administrator, and a CSRF attempt from another origin.

Drives the page as people would: the sign-in form, the Gradio app behind it (whose requests carry the CSRF
token through the page's script), the administrator's upload and audit log, and a hostile page in the same
browser trying to remove a document and sign the administrator out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY
from test_security_browser import _serve_page
from ui_fixtures import QUESTION, SCREENSHOTS, browser_marks, running_server

from kb.accounts import Accounts
from kb.library import Library

pytestmark = browser_marks()

ADMIN, STAFF, PASSWORD = "管理员甲", "staff1", "correct-horse-9"
NOTICE = "关于浏览器登录测试的通知\n\n一、由市浏览器测试局牵头，负责登录测试工作。\n二、本通知自印发之日起施行。\n"

EVIL = """<!doctype html><meta charset="utf-8"><pre id="out">running</pre>
<form id="f" method="post" action="%(target)slogout" target="sink"><input name="csrf_token" value="guess"></form>
<iframe name="sink"></iframe>
<script>
(async () => {
  const r = {};
  try {
    const resp = await fetch(%(target_js)s + "gradio_api/queue/join", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({data: [%(doc)s, null], fn_index: %(fn)s, trigger_id: %(trigger)s,
                            session_hash: "evil2", event_data: null})});
    r.join = resp.status;
  } catch (err) { r.join = "blocked"; }
  document.getElementById("f").submit();
  await new Promise(res => setTimeout(res, 1500));
  document.getElementById("out").textContent = JSON.stringify(r);
})();
</script>"""


@pytest.fixture()
def server(kb_copy: Path):
    accounts = Accounts(kb_copy / "kb.sqlite")
    accounts.add(ADMIN, PASSWORD, "admin")
    accounts.add(STAFF, PASSWORD, "staff")
    library = Library(kb_copy, today=lambda: TODAY)
    with running_server(library) as running:
        yield running


def _sign_in(context, url: str, name: str):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#pk-login")
    page.fill("#pk-user", name)
    page.fill("#pk-pass", PASSWORD)
    page.click("#pk-login-submit")
    page.wait_for_selector("#pk-question textarea")
    page.locator(".pk-userbar", has_text=name).wait_for()
    return page


def test_staff_signs_in_asks_and_sees_no_admin_tabs(browser, server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server.url)
        page.wait_for_selector("#pk-login")
        page.fill("#pk-user", STAFF)
        page.fill("#pk-pass", "wrong-password")
        page.click("#pk-login-submit")
        assert "用户名或密码不正确" in page.locator("#pk-login-error").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "login.png"))
        page = _sign_in(context, server.url, STAFF)
        assert "工作人员" in page.locator(".pk-userbar").inner_text()
        page.wait_for_timeout(1000)  # the role-dependent tabs are set by the page's load event
        assert page.get_by_role("tab", name="文件管理").count() == 0
        assert page.get_by_role("tab", name="用户与日志").count() == 0
        page.fill("#pk-question textarea", QUESTION)
        page.click("#pk-ask")
        page.locator(".pk-answer.found").wait_for()
        assert "市行政审批局" in page.locator(".pk-answer-text").inner_text()
        page.click("#pk-logout")
        page.wait_for_selector("#pk-login")
    finally:
        context.close()


def test_admin_uploads_sees_the_audit_log_and_another_origin_cannot_act(browser, server, tmp_path: Path):
    source = tmp_path / "浏览器通知.txt"
    source.write_text(NOTICE, encoding="utf-8")
    library = server.service.library
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    try:
        page = _sign_in(context, server.url, ADMIN)
        page.get_by_role("tab", name="文件管理").click()
        page.locator("#pk-upload input[type=file]").set_input_files(str(source))
        report = page.locator(".pk-report.ok")
        report.wait_for()
        assert "关于浏览器登录测试的通知" in report.inner_text()
        page.get_by_role("tab", name="用户与日志").click()
        page.click("#pk-audit-refresh")
        page.locator(".pk-audit", has_text="浏览器通知.txt").wait_for()
        assert ADMIN in page.locator(".pk-audit").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "admin.png"))

        before = len(library.documents())
        value = server.service.removal_choices()[0][1]
        fn, trigger = _remove_event_signed(page, server)
        evil_url, httpd = _serve_page(EVIL % {"target": server.url, "target_js": json.dumps(server.url),
                                              "doc": json.dumps(value), "fn": fn, "trigger": trigger})
        try:
            evil = context.new_page()
            evil.goto(evil_url)
            evil.wait_for_function("document.getElementById('out').textContent !== 'running'", timeout=60_000)
            outcome = json.loads(evil.locator("#out").inner_text())
        finally:
            httpd.shutdown()
        assert outcome["join"] in ("blocked", 403), outcome
        assert len(library.documents()) == before, "a cross-origin page removed a document"
        me = page.evaluate("fetch('api/me').then(r => r.json())")
        assert me["name"] == ADMIN, "a cross-origin form signed the administrator out"
    finally:
        context.close()


def _remove_event_signed(page, server) -> tuple[int, int]:
    config = page.evaluate("fetch('config').then(r => r.json())")
    comp = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "pk-remove")
    dep = next(d for d in config["dependencies"] if [comp, "click"] in [list(t) for t in d["targets"]])
    return dep["id"], comp


