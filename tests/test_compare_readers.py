"""Reader comparison (issue 10): the scoring functions of eval/compare_readers.py on a synthetic page.

No network and no corpus: the page is built here. The library readers are exercised only when
trafilatura / pdfplumber are installed (they are not project dependencies).
"""

from __future__ import annotations

import pytest

from eval.compare_readers import (
    boilerplate,
    is_chrome,
    is_text_row,
    join_lines,
    markdown_rows_to_tabs,
    row_probes,
    serial_rows,
    snippet_recall,
    with_title,
)

TITLE = "关于印发某市老年人助餐服务办法的通知"
PAGE = "\n".join([
    "首页 > 政务公开 > 通知公告",  # before the title: outside
    TITLE,
    "某民规字〔2024〕3号",
    "第一条 为规范助餐服务，制定本办法。",
    "【打印】",  # chrome inside the body
    "第二条 设有满足老年人需求的无障碍设施；",  # mentions 无障碍 but is a body sentence
    "序号\t工作任务\t牵头单位",
    "1\t建设长者饭堂\t市民政局",
    "2\t\t市财政局",
    "某市民政局",
    "2024年3月14日",
    "网站地图 | 联系我们",  # after the end: outside (and chrome)
    "版权所有：某市人民政府 备案号：粤ICP备0000号",
])
SNIPPETS = ["为规范助餐服务，制定本办法", "满足老年人需求的无障碍设施", "不在页面里的片段"]


def test_snippet_recall_counts_canonical_containment() -> None:
    recall, missed = snippet_recall(PAGE.replace("，", " ，"), SNIPPETS)  # whitespace does not matter
    assert recall == pytest.approx(2 / 3)
    assert missed == ["不在页面里的片段"]
    assert snippet_recall(PAGE, []) == (None, [])


def test_boilerplate_counts_lines_outside_the_document_and_chrome() -> None:
    bp = boilerplate(PAGE, [TITLE], "某民规字〔2024〕3号", SNIPPETS[:2])
    assert bp.outside_before == len("首页>政务公开>通知公告")
    assert bp.outside_after == len("网站地图|联系我们") + len("版权所有：某市人民政府备案号：粤ICP备0000号")
    assert bp.chrome == len("【打印】")
    assert bp.repeated == 0
    assert "第二条 设有满足老年人需求的无障碍设施；" not in bp.lines
    assert 0 < bp.share < 0.5


def test_boilerplate_counts_lines_repeated_on_another_page_of_the_site() -> None:
    other = "另一页\n本网站由某市政务服务数据管理局维护\n"
    page = PAGE.replace("某市民政局\n", "某市民政局\n本网站由某市政务服务数据管理局维护\n")
    bp = boilerplate(page, [TITLE], None, SNIPPETS[:2], [other])
    assert bp.repeated == len("本网站由某市政务服务数据管理局维护")


def test_boilerplate_starts_at_the_first_snippet_without_a_title() -> None:
    bp = boilerplate("导航一\n导航二\n第一条 为规范助餐服务，制定本办法。\n", ["另一个标题"], None, SNIPPETS[:1])
    assert bp.outside_before == len("导航一导航二")


def test_chrome_is_short_and_not_a_sentence() -> None:
    assert is_chrome("扫一扫在手机打开当前页")
    assert is_chrome("— 3 —")
    assert not is_chrome("（二）设有满足老年人需求的无障碍设施并进行适老化改造；")
    assert not is_chrome("由市级财政给予承办单位一次性补贴。")


def test_serial_rows_and_row_probes() -> None:
    assert serial_rows(PAGE) == 2
    passed, missed = row_probes(PAGE, [("1", "建设长者饭堂", "市民政局"), ("2", "建设长者饭堂", "市财政局")])
    assert passed == 1  # row 2 lost its merged task cell
    assert missed == ["2 / 建设长者饭堂 / 市财政局"]


def test_markdown_rows_become_tab_rows_and_title_is_put_first() -> None:
    text = markdown_rows_to_tabs("正文\n| 序号 | 工作任务 | 牵头单位 |\n| 1 | 建设长者饭堂 | 市民政局 |")
    assert text.splitlines()[2] == "1\t建设长者饭堂\t市民政局"
    assert with_title(TITLE, "正文").splitlines()[0] == TITLE
    assert with_title(TITLE, f"{TITLE}\n正文").count(TITLE) == 1


def test_wrapped_lines_are_joined_until_a_sentence_or_numbering_ends_them() -> None:
    lines = [("一、总体情况", 100.0, 12.0, 500.0), ("为规范助餐服务，本市", 500.0, 12.0, 500.0),
             ("制定本办法。", 200.0, 12.0, 500.0), ("（一）适用范围", 150.0, 12.0, 500.0)]
    assert join_lines(lines) == ["一、总体情况", "为规范助餐服务，本市制定本办法。", "（一）适用范围"]
    assert is_text_row(["同一段文字", "同一段文字", ""])
    assert not is_text_row(["1", "建设长者饭堂"])


def test_library_readers_on_a_synthetic_page(tmp_path) -> None:
    trafilatura = pytest.importorskip("trafilatura")
    from eval.compare_readers import read_trafilatura

    body = "".join(f"<p>第{n}条 为规范助餐服务，各区民政部门应当按照本办法组织实施第{n}项工作。</p>" for n in "一二三四五")
    html = (f"<html><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a> <a href='/a'>政务公开</a></div>"
            f"<article><h1>{TITLE}</h1>{body}</article><div class='footer'>版权所有：某市人民政府</div></body></html>")
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    assert trafilatura is not None
    text = read_trafilatura(page)
    assert snippet_recall(text, ["各区民政部门应当按照本办法组织实施第五项工作"])[0] == 1.0
    assert "版权所有" not in text


def test_unhide_body_drops_only_a_hiding_style() -> None:
    from eval.compare_readers import unhide_body

    assert unhide_body("<html><body style='visibility: hidden'><p>正文</p>") == "<html><body><p>正文</p>"
    assert unhide_body('<body class="x" style="display:none">') == '<body class="x">'
    assert unhide_body('<body style="color: red">') == '<body style="color: red">'
