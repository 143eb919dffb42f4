"""Document management over the JSON API (issue 12): list, batch upload, correct, disable, re-parse, remove.

One server with users (so nothing is open), an admin key, a read key and a staff account. Listing
needs staff or a read key; every change needs an administrator; a cookie session must send its CSRF
token, a key need not; every change lands in the audit log and the upload batch is kept.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import TODAY
from test_ui_signin import Client
from ui_fixtures import running_server

from kb.accounts import Accounts
from kb.apikeys import ApiKeys
from kb.audit import AuditLog
from kb.library import Library

ADMIN, STAFF, PASSWORD = "管理员甲", "staff1", "correct-horse-9"
PARK_DOC = """关于推进蓝鲸测试园区建设的通知
测试〔2025〕7号

一、总体要求
到2025年底，建成蓝鲸测试园区并投入使用。
二、工作任务
（一）由市测试局牵头，市财政局配合，负责建设蓝鲸测试园区，对入驻企业给予最高20万元奖励。
"""
TERM = "蓝鲸测试园区"


def _multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _call(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None,
          raw: bytes | None = None) -> tuple[int, object]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode("utf-8"))


@pytest.fixture(scope="module")
def managed(kb_template: Path):
    db = kb_template / "kb.sqlite"
    accounts = Accounts(db)
    accounts.add(ADMIN, PASSWORD, "admin")
    accounts.add(STAFF, PASSWORD, "staff")
    keys = ApiKeys(db)
    _, admin_key = keys.add("运维系统", "admin")
    _, read_key = keys.add("只读系统", "read")
    with running_server(Library(kb_template, today=lambda: TODAY)) as running:
        yield running, {"X-API-Key": admin_key}, {"X-API-Key": read_key}, db


def _search(server, headers, q: str = TERM) -> list[dict]:
    status, hits = _call(server.url + "api/search?" + urllib.parse.urlencode({"q": q, "k": 5}), headers=headers)
    assert status == 200, hits
    return hits


def test_listing_needs_staff_or_a_key_and_changes_need_an_administrator(managed) -> None:
    server, admin, read, _ = managed
    assert _call(server.url + "api/documents")[0] == 401
    status, docs = _call(server.url + "api/documents", headers=read)
    assert status == 200 and docs
    plan = next(d for d in docs if d["number"] == "赣市发〔2022〕5号")
    assert plan["status"] == "启用" and plan["clauses"] > 100 and plan["rows"] > 10
    assert plan["uploader"] == "命令行或内置语料" and plan["stored_at"]
    for method, path, body in (("PATCH", f"api/documents/{plan['doc_id']}", {"enabled": False}),
                               ("DELETE", f"api/documents/{plan['doc_id']}", None),
                               ("POST", f"api/documents/{plan['doc_id']}/reparse", None)):
        status, refused = _call(server.url + path, method, body, headers=read)
        assert status == 403 and "管理员" in refused["error"]
    staff = Client(server.url)
    assert staff.login(STAFF, PASSWORD) == 303
    req_status, body = _patch_with_cookies(staff, plan["doc_id"], {"enabled": False}, csrf=True)
    assert req_status == 403 and "管理员" in body["error"]
    assert _call(server.url + f"api/documents/{plan['doc_id']}", headers=read)[1]["enabled"] is True


def _patch_with_cookies(client: Client, doc_id: str, body: dict, csrf: bool) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json",
               "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    if csrf:
        headers.update(client.csrf)
    return _call(client.base + f"api/documents/{doc_id}", "PATCH", body, headers=headers)


def test_batch_upload_correct_disable_reparse_remove(managed) -> None:
    server, admin, read, db = managed
    raw, ctype = _multipart([("蓝鲸园区通知.txt", PARK_DOC.encode()), ("旧格式.doc", b"\xd0\xcf\x11\xe0 old word")])
    status, batch = _call(server.url + "api/documents", "POST", raw=raw, headers={**admin, "Content-Type": ctype})
    assert status == 200, batch
    assert (batch["ok"], batch["failed"], batch["via"]) == (1, 1, "接口")
    ok, refused = batch["reports"]
    assert ok["name"] == "蓝鲸园区通知.txt" and ok["number"] == "测试〔2025〕7号" and ok["clauses"] >= 3
    assert "另存为 .docx" in refused["error"]
    doc_id = ok["doc_id"]
    listed = {d["doc_id"]: d for d in _call(server.url + "api/documents", headers=read)[1]}
    assert listed[doc_id]["uploader"] == "接口密钥 运维系统" and listed[doc_id]["status"] == "启用"
    status, batches = _call(server.url + "api/documents/batches", headers=admin)
    assert status == 200 and batches[0]["id"] == batch["id"] and len(batches[0]["reports"]) == 2
    assert any(h["doc_id"] == doc_id for h in _search(server, read))

    # a key needs no CSRF token; the correction shows in citations and survives a re-parse
    status, patched = _call(server.url + f"api/documents/{doc_id}", "PATCH",
                            {"number": "测试〔2025〕8号", "valid_to": "2025-12-31"}, headers=admin)
    assert status == 200, patched
    assert patched["changes"]["number"] == ["测试〔2025〕7号", "测试〔2025〕8号"]
    assert patched["document"]["corrected"]["number"] == "测试〔2025〕8号"
    assert {h["doc_number"] for h in _search(server, read) if h["doc_id"] == doc_id} == {"测试〔2025〕8号"}
    status, bad = _call(server.url + f"api/documents/{doc_id}", "PATCH", {"valid_to": "2025年底"}, headers=admin)
    assert status == 400 and "年-月-日" in bad["error"]

    status, report = _call(server.url + f"api/documents/{doc_id}/reparse", "POST", headers=admin)
    assert status == 200 and report["ok"] and report["doc_id"] == doc_id
    assert _call(server.url + f"api/documents/{doc_id}", headers=read)[1]["number"] == "测试〔2025〕8号"

    # disabled: its clauses leave search; enabled again: back
    status, off = _call(server.url + f"api/documents/{doc_id}", "PATCH", {"enabled": False}, headers=admin)
    assert status == 200 and off["document"]["status"] == "停用" and "已停用" in off["message"]
    assert not any(h["doc_id"] == doc_id for h in _search(server, read))
    assert _call(server.url + f"api/documents/{doc_id}", headers=read)[1]["enabled"] is False
    status, on = _call(server.url + f"api/documents/{doc_id}", "PATCH", {"enabled": True}, headers=admin)
    assert status == 200 and any(h["doc_id"] == doc_id for h in _search(server, read))

    # a cookie session must send its CSRF token
    browser = Client(server.url)
    assert browser.login(ADMIN, PASSWORD) == 303
    status, body = _patch_with_cookies(browser, doc_id, {"issuer": "市测试局"}, csrf=False)
    assert status == 403 and "CSRF" in body["error"]
    status, body = _patch_with_cookies(browser, doc_id, {"issuer": "市测试局"}, csrf=True)
    assert status == 200 and body["document"]["issuer"] == "市测试局"

    status, gone = _call(server.url + f"api/documents/{doc_id}", "DELETE", headers=admin)
    assert status == 200 and "已删除" in gone["message"]
    assert _call(server.url + f"api/documents/{doc_id}", headers=read)[0] == 404
    actions = [(e.actor, e.action) for e in AuditLog(db).entries()]
    for action in ("upload", "correction", "reparse", "disable", "enable", "remove"):
        assert ("接口密钥 运维系统", action) in actions, action
    assert (ADMIN, "correction") in actions


def test_openapi_lists_the_document_endpoints_in_chinese(managed) -> None:
    server, *_ = managed
    reader = Client(server.url)
    assert reader.login(STAFF, PASSWORD) == 303
    status, _, text = reader.request("openapi.json")
    assert status == 200
    schema = json.loads(text)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/documents"])
    assert {"get", "patch", "delete"} <= set(paths["/api/documents/{doc_id}"])
    assert "post" in paths["/api/documents/{doc_id}/reparse"] and "get" in paths["/api/documents/batches"]
    assert "multipart/form-data" in paths["/api/documents"]["post"]["requestBody"]["content"]
    for path in ("/api/documents", "/api/documents/{doc_id}"):
        for op in paths[path].values():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"])
    assert schema["components"]["schemas"]["DocumentPatch"]["examples"]
