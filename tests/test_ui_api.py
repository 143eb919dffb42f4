"""The server behind `policykb serve`: JSON API, OpenAPI schema, gradio_client, escaping, upload safety."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from ui_fixtures import QUESTION, running_server

from kb.library import Library
from ui import render
from ui.service import UIService, UploadError, display_name, safe_stem

TODAY = date(2026, 11, 29)
CJK = re.compile(r"[\u4e00-\u9fff]")

SCRIPT_DOC = """关于测试页面转义的通知
测试〔2024〕1号

一、总体要求
各单位在页面中显示条款时必须转义。<script>alert(1)</script>
二、工作任务
（一）由市测试局牵头，负责检查 <b>加粗</b> 与 <img src=x onerror=alert(2)> 的显示。
"""


@pytest.fixture(scope="module")
def server(built_kb_dir: Path):
    library = Library(built_kb_dir, today=lambda: TODAY)
    with running_server(library) as running:
        yield running


def _request(url: str, data: dict | None = None, raw: bytes | None = None) -> tuple[int, object]:
    body = raw if raw is not None else (json.dumps(data).encode() if data is not None else None)
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode("utf-8"))


def _search_url(server, **params) -> str:
    return server.url + "api/search?" + urllib.parse.urlencode(params)


def test_ask_returns_the_lead_unit_and_the_cited_row(server):
    status, answer = _request(server.url + "api/ask", {"question": QUESTION})
    assert status == 200
    assert answer["found"] is True
    assert "市行政审批局" in answer["answer"]
    assert "附件 17" in [c["label"] for c in answer["citations"]]
    assert set(answer) == {"question", "found", "intent", "answer", "citations", "warnings", "curated", "answer_type"}
    assert answer["answer_type"] == "unit"
    cited = next(c for c in answer["citations"] if c["label"] == "附件 17")
    assert "市行政审批局" in cited["text"] and cited["doc_number"] == "赣市发〔2022〕5号"


def test_search_returns_citations(server):
    status, hits = _request(_search_url(server, q="东数西算", k=5))
    assert status == 200
    assert 1 <= len(hits) <= 5
    assert any("东数西算" in h["text"] for h in hits)
    assert {"doc_id", "doc_title", "doc_number", "clause_id", "label", "path", "text", "score"} <= set(hits[0])


def test_search_filters(server):
    status, hits = _request(_search_url(server, q="数据", k=10, unit="市行政审批局", chapter="附件"))
    assert status == 200 and hits
    assert all(h["path"][0] == "附件" for h in hits)
    status, body = _request(_search_url(server, q="数据", doc="没有这个文件"))
    assert status == 400 and CJK.search(body["error"])


@pytest.mark.parametrize(
    "payload",
    [{"question": ""}, {"question": "   "}, {}, {"question": "问" * 501}, {"question": 12}],
)
def test_bad_questions_get_400_with_a_chinese_message(server, payload):
    status, body = _request(server.url + "api/ask", payload)
    assert status == 400
    assert CJK.search(body["error"]), body


def test_malformed_requests_get_400_with_a_chinese_message(server):
    status, body = _request(server.url + "api/ask", raw=b"{not json")
    assert status == 400 and CJK.search(body["error"])
    status, body = _request(_search_url(server, q=""))
    assert status == 400 and CJK.search(body["error"])
    status, body = _request(_search_url(server, q="数据", k=500))
    assert status == 400 and "k" in body["error"]


def test_openapi_schema_lists_both_endpoints(server):
    status, schema = _request(server.url + "openapi.json")
    assert status == 200
    assert "post" in schema["paths"]["/api/ask"]
    assert "get" in schema["paths"]["/api/search"]
    assert "question" in json.dumps(schema["components"]["schemas"]["AskRequest"])


def test_gradio_client_ask_matches_the_json_api(server):
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    via_gradio = client.predict(QUESTION, api_name="/ask")
    _, via_json = _request(server.url + "api/ask", {"question": QUESTION})
    assert via_gradio == via_json
    hits = client.predict("东数西算", 3, api_name="/search")
    assert 1 <= len(hits) <= 3 and "东数西算" in hits[0]["text"]
    with pytest.raises(Exception, match="问题为空"):
        client.predict("  ", api_name="/ask")


def test_page_is_served(server):
    with urllib.request.urlopen(server.url, timeout=30) as resp:
        page = resp.read().decode("utf-8")
    assert resp.status == 200 and "<html" in page


# -- escaping, uploads, removal (a private copy of the KB: these write) -----------------------------------


def test_document_text_and_questions_are_escaped(kb_copy: Path, tmp_path: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    service = UIService(library)
    service.warm()
    source = tmp_path / "escape.txt"
    source.write_text(SCRIPT_DOC, encoding="utf-8")

    # answering keeps working while the upload is read and indexed
    answers: list[bool] = []

    def ask_meanwhile() -> None:
        for _ in range(3):
            answers.append(service.ask(QUESTION).found)

    asker = threading.Thread(target=ask_meanwhile)
    asker.start()
    reports = service.ingest_uploads([(source, "escape.txt")])
    asker.join(timeout=120)
    assert answers == [True, True, True]
    assert reports[0]["ok"], reports
    doc_id = reports[0]["doc_id"]

    html = service.search_html("alert 转义", doc_id=doc_id)
    assert "&lt;script&gt;alert" in html and "&lt;/script&gt;" in html
    assert "<script>" not in html and "<img" not in html and "<b>" not in html

    tree = service.browse_html(doc_id)
    assert "&lt;script&gt;" in tree and "<script>" not in tree and "<img" not in tree

    # markup in a question is dropped before answering; what is shown stays inert text
    card = service.answer_html("<script>alert(3)</script>页面转义有什么要求？")
    assert "alert(3)" in card and "<script>" not in card and "&lt;script&gt;alert(3)" not in card

    table = service.documents_html()
    assert "关于测试页面转义的通知" in table

    # the uploaded copy lives under <kb>/uploads with a generated folder name
    stored = Path(library.document(doc_id).source_path)
    assert stored.resolve().parent.parent == (kb_copy / "uploads").resolve()

    message = service.remove(doc_id)
    assert "已删除" in message
    assert library.document(doc_id) is None
    assert not stored.exists()
    assert service.ask(QUESTION).found


def test_highlight_escapes_and_marks():
    html = render.highlight("<b>大数据</b>交易中心", render.query_terms("大数据交易中心在哪"))
    assert html.startswith("&lt;b&gt;<mark>大数据</mark>&lt;/b&gt;<mark>交易中心</mark>")
    assert render.highlight("a<b", set()) == "a&lt;b"


def test_validity_badges():
    assert "已过期（2022—2023年）" in render.validity_badge(False, "该条款所属政策措施有效期为2022—2023年，已于2023年底到期")
    assert "现行有效" in render.validity_badge(True, "该条款所属文件有效期为2024年1月1日至2028年12月31日，现行有效")
    assert "未载明有效期" in render.validity_badge(None, "文件未载明有效期")


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\..\\policy.docx", "policy.docx"),
        ("a\x00b.txt", "ab.txt"),
        ("..", "未命名文件"),
        ("", "未命名文件"),
    ],
)
def test_uploaded_names_never_carry_a_path(raw, shown):
    assert display_name(raw) == shown
    stem = safe_stem(raw)
    assert "/" not in stem and "\\" not in stem and ".." not in stem and "\x00" not in stem


def test_uploads_are_stored_under_the_kb_with_safe_names(tmp_path: Path):
    library = Library(tmp_path / "kb", today=lambda: TODAY, max_bytes=1000)
    service = UIService(library)
    src = tmp_path / "in.txt"
    src.write_text("测试", encoding="utf-8")
    dest, name = service.store_upload(src, "../../../evil/../通知（2024）.txt")
    assert name == "通知（2024）.txt"
    assert dest.resolve().parent.parent == (tmp_path / "kb" / "uploads").resolve()
    assert dest.name == "通知（2024）.txt"
    with pytest.raises(UploadError, match="不支持的文件类型 .exe"):
        service.store_upload(src, "setup.exe")
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(UploadError, match="超过上限"):
        service.store_upload(big, "big.txt")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UploadError, match="文件为空"):
        service.store_upload(empty, "empty.txt")


def test_failed_uploads_name_the_file_and_the_reason(tmp_path: Path):
    library = Library(tmp_path / "kb", today=lambda: TODAY)
    service = UIService(library)
    bad = tmp_path / "upload.pdf"
    bad.write_bytes(b"%PDF-1.4\n truncated")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    reports = service.ingest_uploads([(bad, "政策.pdf"), (exe, "tool.exe")])
    assert [r["ok"] for r in reports] == [False, False]
    assert reports[0]["name"] == "政策.pdf" and "政策.pdf" in reports[0]["error"]
    assert "uploads" not in reports[0]["error"]
    assert "不支持的文件类型" in reports[1]["error"]
    html = render.ingest_reports(reports)
    assert "政策.pdf" in html and "tool.exe" in html and "导入失败" in html
    assert not any((tmp_path / "kb" / "uploads").rglob("*.pdf")), "a refused file is not kept"
