"""The Gradio UI in a real browser: Playwright drives Debian's headless chromium (no browser download).

Each test saves a screenshot of its tab; with POLICYKB_SCREENSHOTS=1 under eval/screenshots/ for the README.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ui_fixtures import (
    QUESTION,
    SCREENSHOTS,
    browser_marks,
    running_server,
)

from kb.library import Library

pytestmark = browser_marks()

TODAY = date(2026, 11, 29)
TIMEOUT = 60_000  # ms; the first answer may wait for the index to load
VIEWPORT = {"width": 1280, "height": 1000}

UPLOAD_DOC = """关于支持窗口服务数字化的通知
测试〔2024〕8号

一、服务要求
（一）推行“一窗受理”，2024年底前完成。牵头单位：市数据局。责任单位：市政务服务中心。
二、支持政策
（一）对完成窗口数字化改造的单位，给予一次性5万元补助。
"""


@pytest.fixture(scope="module")
def server(built_kb_dir: Path):
    library = Library(built_kb_dir, today=lambda: TODAY)
    with running_server(library) as running:
        yield running


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield page
    context.close()


def _open(page, url: str, tab: str | None = None) -> None:
    page.goto(url)
    page.wait_for_selector("#pk-question textarea")
    if tab:
        page.get_by_role("tab", name=tab).click()


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.wait_for_timeout(600)  # let Gradio's fade-outs (progress overlays, closing dropdowns) finish
    page.screenshot(path=str(SCREENSHOTS / name))


def test_ask_shows_the_answer_and_its_citation(page, server):
    _open(page, server.url)
    page.fill("#pk-question textarea", QUESTION)
    page.click("#pk-ask")
    card = page.locator(".pk-answer.found")
    card.wait_for()
    assert "市行政审批局" in card.locator(".pk-answer-text").inner_text()
    cite = card.locator("details.pk-cite").first
    assert "附件 17" in cite.locator("> summary").inner_text()
    assert cite.locator("> summary .pk-badge").inner_text() == "未载明有效期"
    assert "市行政审批局" in cite.locator(".pk-cite-body").inner_text()
    _shot(page, "qa.png")
    # 复制引用 puts the citation (title, 文号, label) on the clipboard
    cite.locator(".pk-copy").click()
    copied = page.evaluate("window.__policykbLastCopy")
    assert "赣市发〔2022〕5号" in copied and "附件 17" in copied
    # 在原文中查看 shows the clause among its neighbours
    cite.locator(".pk-ctx > summary").click()
    assert cite.locator(".pk-ctx-item").count() >= 3
    assert "市行政审批局" in cite.locator(".pk-ctx-item.current").inner_text()
    assert "附件 16" in cite.locator(".pk-ctx").inner_text()

    # a question the documents do not answer looks different and lists the nearest clauses
    page.fill("#pk-question textarea", "如何申请房屋维修基金？")
    page.click("#pk-ask")
    missing = page.locator(".pk-answer.notfound")
    missing.wait_for()
    assert "未找到" in missing.inner_text()
    assert missing.locator(".pk-tag.maybe").count() >= 1


def test_unit_view_lists_what_a_unit_leads_and_shares(page, server):
    _open(page, server.url, "按部门查职责")
    box = page.locator("#pk-unit input")
    box.click()
    box.press_sequentially("行政审批", delay=30)
    box.press("End")  # Gradio filters the options on key-up
    option = page.get_by_role("option", name="市行政审批局", exact=True)
    option.click()
    view = page.locator(".pk-unit")
    view.wait_for()
    head = view.locator(".pk-unit-head").inner_text()
    assert "市行政审批局" in head and "牵头 6 项" in head
    assert "探索建设赣南大数据交易中心" in view.inner_text()
    assert view.locator(".pk-unit-doc-head").first.inner_text().startswith("《关于进一步做优做强数字经济的实施方案》")
    _shot(page, "units.png")


def test_keyword_search_highlights_hits(page, server):
    _open(page, server.url, "条款检索")
    page.locator("#pk-search-q textarea").fill("东数西算")
    hit = page.locator(".pk-hit").first
    hit.wait_for()
    assert page.locator(".pk-search-head").inner_text().startswith("“东数西算”")
    assert "东数西算" in page.locator(".pk-hit mark").all_inner_texts()
    _shot(page, "search.png")


def test_browse_shows_the_clause_tree(page, server):
    _open(page, server.url, "文件浏览")
    tree = page.locator(".pk-tree")
    tree.wait_for()
    page.locator(".pk-node[data-clause$='#三（五）'] > summary").click()
    clause = page.locator(".pk-node[data-clause$='#三（五）3']")
    clause.locator("> summary").click()
    assert "大数据交易中心" in clause.locator(".pk-node-body").inner_text()
    clause.locator("> summary").scroll_into_view_if_needed()
    _shot(page, "browse.png")


def test_upload_lists_the_new_document(browser, kb_copy: Path, tmp_path: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    source = tmp_path / "窗口服务通知.txt"
    source.write_text(UPLOAD_DOC, encoding="utf-8")
    with running_server(library) as server:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        try:
            _open(page, server.url, "文件管理")
            page.locator("#pk-upload input[type=file]").set_input_files(str(source))
            report = page.locator(".pk-report.ok")
            report.wait_for()
            assert "窗口服务通知.txt" in report.inner_text()
            assert "关于支持窗口服务数字化的通知" in report.inner_text()
            page.locator(".pk-docs td", has_text="关于支持窗口服务数字化的通知").wait_for()
            assert "已收录 2 个文件" in page.locator(".pk-docs").inner_text()
            _shot(page, "manage.png")
            # the new document is answerable right away
            page.get_by_role("tab", name="问答").click()
            page.fill("#pk-question textarea", "谁牵头推行一窗受理？")
            page.click("#pk-ask")
            page.locator(".pk-answer.found").wait_for()
            assert "市数据局" in page.locator(".pk-answer-text").inner_text()
        finally:
            context.close()
    stored = list((kb_copy / "uploads").rglob("*.txt"))
    assert [p.name for p in stored] == ["窗口服务通知.txt"]
