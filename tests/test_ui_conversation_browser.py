"""Conversations, feedback and corrections in a real browser (headless Chromium), signed in.

A staff user asks, follows up ("那5亿呢？") and judges the answer; staff never sees the 反馈与更正 page;
an administrator finds the feedback there, corrects the answer (grounded in the cited clause) and then
sees it served, marked 人工校正, to the same question; a correction with a figure the clause does not
hold is refused.
"""

from __future__ import annotations

import test_ui_signin_browser as signin
from test_ui_signin_browser import ADMIN, STAFF
from ui_fixtures import SCREENSHOTS, browser_marks, next_outcome, outcome

from kb.feedback import FeedbackLog

pytestmark = browser_marks()
server = signin.server  # the signed-in server: an administrator and a staff user on a copy of the built KB

REWARD_Q = "数字产品制造业企业营业收入首次达到1亿元能奖励多少？"
CORRECTED = "数字产品制造业企业年度营业收入首次达到1亿元的，一次性奖励20万元，奖励资金由市县两级财政各承担50%。"


def _sign_in(browser, url: str, name: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page = signin._sign_in(context, url, name)
    page.set_default_timeout(90_000)
    page.wait_for_timeout(1000)  # role-dependent tabs are set by the page's load event
    return context, page


def _say(page, text: str, turns: int) -> str:
    page.fill("#pk-chat-q textarea", text)
    page.click("#pk-chat-send")
    page.locator("#pk-chat .pk-chat-answer").nth(turns - 1).wait_for()
    return page.locator("#pk-chat .pk-chat-answer").nth(turns - 1).inner_text()


def _saved(page) -> str:
    """Click 保存更正 and return the message of that click (ui.render.numbered: a new outcome number), not
    the previous one or a stale render."""
    before = outcome(page, "#pk-fix-msg")
    page.click("#pk-fix-save")
    return next_outcome(page, "#pk-fix-msg", before)


def test_staff_follows_up_gives_feedback_and_admin_corrects(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    staff_ctx, page = _sign_in(browser, server.url, STAFF)
    try:
        assert page.get_by_role("tab", name="反馈与更正").count() == 0  # staff is refused the admin page
        page.get_by_role("tab", name="对话").click()
        first = _say(page, REWARD_Q, 1)
        assert "20万元" in first and "四（一）2" in first
        second = _say(page, "那5亿呢？", 2)
        assert "50万元" in second and "追问已补全为" in second and "5亿元" in second
        page.fill("#pk-fb-comment textarea", "希望写明申报时间")
        page.click("#pk-fb-useless")
        page.locator("#pk-fb-msg", has_text="已记录").wait_for()
        page.locator("#pk-chat-list label", has_text="数字产品制造业").first.wait_for()  # the sidebar lists it
        page.screenshot(path=str(SCREENSHOTS / "conversation.png"))
    finally:
        staff_ctx.close()
    logged = FeedbackLog(server.service.library.kb_dir / "kb.sqlite").entries()
    assert [(f.user, f.verdict, f.comment) for f in logged] == [(STAFF, "useless", "希望写明申报时间")]
    assert logged[0].question.endswith("首次达到5亿元能奖励多少？")

    admin_ctx, page = _sign_in(browser, server.url, ADMIN)
    try:
        page.get_by_role("tab", name="反馈与更正").click()
        page.locator("#pk-fb-table", has_text="希望写明申报时间").wait_for()
        page.click("#pk-fix-pick input")
        page.locator("[role=option]", has_text=f"#{logged[0].id}").first.click()
        page.wait_for_function("document.querySelector('#pk-fix-q textarea').value.length > 0")
        page.fill("#pk-fix-q textarea", REWARD_Q)
        page.fill("#pk-fix-a textarea", CORRECTED.replace("20万元", "30万元"))
        refused = _saved(page)
        assert "未保存" in refused and "30万元" in refused, refused  # refused: the clause states 20万元
        page.fill("#pk-fix-a textarea", CORRECTED)
        saved = _saved(page)
        assert "已保存人工校正" in saved, saved
        page.locator("#pk-curated", has_text=CORRECTED).wait_for()
        page.screenshot(path=str(SCREENSHOTS / "feedback_admin.png"))

        page.get_by_role("tab", name="对话").click()
        page.click("#pk-chat-new")
        served = _say(page, REWARD_Q, 1)
        assert "人工校正" in served and CORRECTED in served
        page.screenshot(path=str(SCREENSHOTS / "curated_answer.png"))
    finally:
        admin_ctx.close()
    audit = [e.action for e in server.service.audit.entries()]
    assert "correction" in audit and "feedback" in audit
