"""Exports (kb/export.py): answer, unit portfolio, search results, conversation, feedback as .xlsx and .docx,
read back with openpyxl and python-docx. The HTTP and UI downloads: tests/test_export_browser.py."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from docx import Document as WordDocument
from openpyxl import load_workbook
from ui_fixtures import QUESTION

from kb import export
from kb.export import ExportError


def _xlsx_text(data: bytes) -> dict[str, list[list[object]]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def _docx_text(data: bytes) -> str:
    doc = WordDocument(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_an_answer_exports_with_every_citation_in_full(answerer) -> None:
    answer = answerer.ask(QUESTION).to_dict()
    report = export.answer_report(answer)
    sheets = _xlsx_text(export.render(report, "xlsx"))
    assert list(sheets)[0] == "概要"
    summary = [r[0] for r in sheets["概要"] if r[0]]
    assert any("市行政审批局" in str(v) for v in summary) and f"问题：{QUESTION}" in summary
    cites = next(rows for name, rows in sheets.items() if name.startswith("引用条款"))
    assert cites[0][:4] == ["序号", "文件", "文号", "条款"]
    assert len(cites) - 1 == len(answer["citations"])
    row17 = next(r for r in cites[1:] if r[3] == "附件 17")
    assert row17[2] == "赣市发〔2022〕5号" and "市行政审批局" in row17[5]
    text = _docx_text(export.render(report, "docx"))
    assert "市行政审批局" in text and "附件 17" in text and "赣市发〔2022〕5号" in text
    assert report.filename("docx").startswith("回答_") and report.filename("docx").endswith(".docx")


def test_a_unit_portfolio_counts_what_the_unit_page_counts(library) -> None:
    from ui.service import UIService

    view = UIService(library).unit_view("市行政审批局")
    lead = sum(1 for i in view.items if i.role == "lead")
    shared = sum(1 for i in view.items if i.role == "shared")
    report = export.unit_report(library, "市行政审批局")
    assert report.meta[1] == f"牵头 {lead} 项，参与 {shared} 项" and lead > 0
    sheets = _xlsx_text(export.render(report, "xlsx"))
    led = next(rows for name, rows in sheets.items() if name.startswith("牵头的任务"))
    assert len(led) - 1 == lead
    assert any("赣南大数据交易中心" in str(r[4]) + str(r[5]) for r in led[1:])
    assert all("市行政审批局" in str(r[6]) for r in led[1:])
    assert "牵头的任务" in _docx_text(export.render(report, "docx"))
    with pytest.raises(ExportError, match="找不到单位"):
        export.unit_report(library, "不存在的局")


def test_search_conversation_and_feedback_exports() -> None:
    hit = {"doc_title": "某方案", "doc_number": "测〔2024〕1号", "label": "三（五）", "path": ["三、措施"],
           "text": "=HYPERLINK(\"http://x\")\x07 东数西算", "in_force": None, "similarity": 0.81}
    sheets = _xlsx_text(export.render(export.search_report("东数西算", [hit], "仅现行有效"), "xlsx"))
    rows = next(r for n, r in sheets.items() if n.startswith("检索结果"))
    assert rows[1][5] == "=HYPERLINK(\"http://x\") 东数西算"  # text, not a formula; the bell dropped
    assert rows[1][6] == "未载明有效期" and rows[1][7] == pytest.approx(0.81)
    assert "未找到相关条款" in _docx_text(export.render(export.search_report("停车费", []), "docx"))
    turns = [{"at": "2026-12-03T09:00:00", "asked": "那5亿呢？", "question": "营业收入首次达到5亿元奖励多少？",
              "carried": "沿用上一轮的主题", "answer": {"answer": "奖励50万元。[1]",
                                                      "citations": [{"doc_number": "赣市发〔2022〕5号", "label": "三（一）1"}]}}]
    conv = export.conversation_report({"title": "企业奖励咨询", "owner": "staff1", "created_at": "2026-12-03T09:00"}, turns)
    text = _docx_text(export.render(conv, "docx"))
    assert "那5亿呢？" in text and "奖励50万元" in text and "赣市发〔2022〕5号 三（一）1" in text
    fb = export.feedback_report([{"id": 1, "at": "2026-12-03T09:01", "user": "staff1", "verdict_text": "没用",
                                  "comment": "缺申报时间", "question": "q", "answer": "a", "citations": []}])
    assert "缺申报时间" in str(_xlsx_text(export.render(fb, "xlsx")))
    with pytest.raises(ExportError, match="格式"):
        export.render(fb, "pdf")


# -- over HTTP: /api/export/... ------------------------------------------------------------------------------


def test_http_exports_download_as_named_files(kb_template) -> None:
    from conftest import TODAY
    from ui_fixtures import running_server

    from kb.library import Library

    with running_server(Library(kb_template, today=lambda: TODAY)) as server:  # loopback, no users: open
        url = server.url + "api/export/unit?" + urllib.parse.urlencode({"unit": "市行政审批局", "format": "docx"})
        with urllib.request.urlopen(url, timeout=120) as resp:
            assert resp.headers["Content-Type"] == export.MEDIA_TYPES["docx"]
            disposition = resp.headers["Content-Disposition"]
            data = resp.read()
        assert "filename*=UTF-8''" in disposition and urllib.parse.quote("部门职责_市行政审批局") in disposition
        assert "牵头的任务" in _docx_text(data)
        req = urllib.request.Request(server.url + "api/export/answer", method="POST",
                                     data=json.dumps({"question": QUESTION, "format": "xlsx"}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            sheets = _xlsx_text(resp.read())
        assert any("市行政审批局" in str(r) for r in sheets["概要"])
        try:
            urllib.request.urlopen(server.url + "api/export/unit?unit=x&format=pdf", timeout=60)
        except urllib.error.HTTPError as err:
            assert err.code == 400 and "格式" in json.loads(err.read())["error"]
        else:
            raise AssertionError("pdf export accepted")


def test_cli_export_writes_files_that_read_back(built_kb_dir, tmp_path) -> None:
    import shutil

    from click.testing import CliRunner

    from kb.cli import main

    kb = shutil.copytree(built_kb_dir, tmp_path / "kb")
    runner = CliRunner()
    out = tmp_path / "unit.docx"
    done = runner.invoke(main, ["export", "unit", "市行政审批局", "--format", "docx", "-o", str(out), "--kb", str(kb)])
    assert done.exit_code == 0, done.output
    assert "已导出" in done.output and "牵头的任务" in _docx_text(out.read_bytes())
    out = tmp_path / "answer.xlsx"
    done = runner.invoke(main, ["export", "answer", QUESTION, "-o", str(out), "--kb", str(kb)])
    assert done.exit_code == 0, done.output
    assert any("市行政审批局" in str(r) for r in _xlsx_text(out.read_bytes())["概要"])
    refused = runner.invoke(main, ["export", "unit", "不存在的局", "-o", str(tmp_path / "x.xlsx"), "--kb", str(kb)])
    assert refused.exit_code != 0 and "找不到单位" in refused.output
