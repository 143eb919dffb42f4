"""接口密钥 in the 用户与日志 tab, in a real browser (headless Chromium), signed in (issue 12).

The administrator creates a read key and sees its secret once (the listing shows only its prefix), the
key opens /api/documents, the administrator revokes it in the page and the same key is then refused;
both changes are in the audit log.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import test_ui_signin_browser as signin
from test_doc_management_browser import _sign_in
from test_ui_signin_browser import ADMIN
from ui_fixtures import SCREENSHOTS, browser_marks, next_outcome, outcome

from kb.audit import AuditLog

pytestmark = browser_marks()
server = signin.server  # an administrator and a staff user on a copy of the built KB


def _documents(url: str, key: str | None) -> int:
    req = urllib.request.Request(url + "api/documents", headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            json.loads(resp.read().decode("utf-8"))
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _click(page, button: str) -> str:
    before = outcome(page, "#pk-key-msg")
    page.click(button)
    return next_outcome(page, "#pk-key-msg", before)


def test_admin_creates_a_key_shown_once_and_revokes_it(browser, server):
    context, page = _sign_in(browser, server.url, ADMIN)
    try:
        page.get_by_role("tab", name="用户与日志").click()
        page.locator("#pk-keys", has_text="还没有接口密钥").wait_for()
        page.fill("#pk-key-name input, #pk-key-name textarea", "运维系统")
        message = _click(page, "#pk-key-add")
        assert "只显示这一次" in message
        secret = page.locator("#pk-key-msg .pk-secret").inner_text().strip()
        assert secret.startswith("pk_") and len(secret) > 30
        listing = page.locator("#pk-keys tr", has_text="运维系统")
        listing.wait_for()
        assert "只读" in listing.inner_text() and secret[:10] in listing.inner_text() and "有效" in listing.inner_text()
        assert secret not in page.locator("#pk-keys").inner_text()  # only its prefix is listed
        page.fill("#pk-key-name input, #pk-key-name textarea", "运维系统")
        assert "已有名为 运维系统" in _click(page, "#pk-key-add")  # names are unique
        assert page.locator("#pk-key-msg .pk-secret").count() == 0  # the secret is gone from the page

        assert _documents(server.url, None) == 401
        assert _documents(server.url, secret) == 200

        page.click("#pk-key-pick input")
        page.locator("[role=option]", has_text="运维系统").first.click()
        page.once("dialog", lambda dialog: dialog.accept())
        assert "已吊销密钥 运维系统" in _click(page, "#pk-key-revoke")
        page.locator("#pk-keys tr", has_text="已吊销").wait_for()
        assert _documents(server.url, secret) == 401
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "apikeys.png"), full_page=True)
    finally:
        context.close()
    actions = [(e.actor, e.action, e.target) for e in AuditLog(server.service.library.kb_dir / "kb.sqlite").entries()]
    assert (ADMIN, "apikey_add", "运维系统") in actions and (ADMIN, "apikey_revoke", "运维系统") in actions
