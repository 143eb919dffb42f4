"""Security of the server's write paths: no client-named file or URL is ever read; other origins are refused.

The attacks are the ones of issue 13, replayed over real HTTP against a real server on loopback: an upload
event whose FileData names a file elsewhere on disk (or a URL), a request from another local origin, a
removal without the server's token, an oversized body. A secret file outside the KB must never reach any
answer, search hit or page.
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
from ui_fixtures import running_server

from kb.library import Library
from ui.guard import GuardPolicy, is_loopback
from ui.uploads import UploadRefused, checked_upload_path, private_upload_dir

SECRET = "DB_PASSWORD=zq7-policykb-canary-3141"


@pytest.fixture()
def server(kb_copy: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    with running_server(library) as running:
        yield running


@pytest.fixture()
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.md"
    path.parent.mkdir()
    path.write_text(f"# 内部配置\n\n一、数据库口令\n{SECRET}\n二、其他\n东数西算 机房口令同上。\n", encoding="utf-8")
    return path


def _http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
          method: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def _event_ids(url: str, elem_id: str, trigger: str) -> tuple[int, int]:
    """(fn_index, component id) of the event ``trigger`` on the component with ``elem_id``."""
    status, body = _http(url + "config")
    assert status == 200, body
    config = json.loads(body)
    comp = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    for dep in config["dependencies"]:
        if [comp, trigger] in [list(t) for t in dep["targets"]]:
            return dep["id"], comp
    raise AssertionError(f"no {trigger} event on {elem_id}")


def _run_event(url: str, fn_index: int, trigger_id: int, data: list, headers: dict[str, str] | None = None) -> str:
    """Join the queue with ``data`` as a browser would and return the whole event stream."""
    session = uuid.uuid4().hex[:11]
    payload = {"data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": session,
               "event_data": None}
    status, body = _http(url + "gradio_api/queue/join", data=json.dumps(payload).encode(),
                         headers={"Content-Type": "application/json", **(headers or {})})
    if status != 200:
        return f"HTTP {status} {body}"
    status, stream = _http(url + f"gradio_api/queue/data?session_hash={session}", headers=headers)
    return stream


def _search(url: str, query: str) -> str:
    return _http(url + "api/search?" + urllib.parse.urlencode({"q": query, "k": 50}))[1]


def _doc_count(server) -> int:
    return len(server.service.library.documents())


@pytest.mark.parametrize("target", ["secret", "url"])
def test_a_client_named_path_or_url_in_the_upload_event_is_refused(server, secret_file: Path, target: str):
    fn_index, comp = _event_ids(server.url, "pk-upload", "upload")
    path = str(secret_file) if target == "secret" else "https://example.invalid/secret.md"
    filedata = {"path": path, "orig_name": "secret.md", "meta": {"_type": "gradio.FileData"}}
    before = _doc_count(server)
    stream = _run_event(server.url, fn_index, comp, [[filedata], None])
    assert "process_completed" in stream
    assert SECRET not in stream
    assert _doc_count(server) == before
    assert "zq7-policykb-canary" not in _search(server.url, "DB_PASSWORD 数据库口令")
    copies = [p for p in private_upload_dir().rglob("*") if p.is_file() and SECRET in p.read_text("utf-8", "ignore")]
    assert copies == [], "the secret was copied into the upload folder"


def test_a_file_uploaded_through_the_route_is_ingested(server, tmp_path: Path):
    """The honest path still works: upload via /gradio_api/upload, then the upload event."""
    doc = tmp_path / "test_notice.md"
    doc.write_text("关于测试上传的通知\n\n一、由市测试局牵头，负责上传安全测试工作。\n二、本通知自印发之日起施行。\n",
                   encoding="utf-8")
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"test_notice.md\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n").encode() + doc.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, text = _http(server.url + "gradio_api/upload", data=body,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200, text
    stored = json.loads(text)[0]
    assert Path(stored).resolve().is_relative_to(private_upload_dir())
    fn_index, comp = _event_ids(server.url, "pk-upload", "upload")
    before = _doc_count(server)
    filedata = {"path": stored, "orig_name": "test_notice.md", "meta": {"_type": "gradio.FileData"}}
    stream = _run_event(server.url, fn_index, comp, [[filedata], None])
    assert "process_completed" in stream
    assert _doc_count(server) == before + 1
    assert "上传安全测试" in _search(server.url, "上传安全测试")


def test_requests_from_another_origin_are_refused(server):
    port = urllib.parse.urlsplit(server.url).port
    evil = {"Origin": f"http://127.0.0.1:{port + 1}"}
    status, body = _http(server.url + "api/search?q=%E4%B8%9C%E6%95%B0", headers=evil)
    assert status == 403 and "跨站" in json.loads(body)["error"]
    status, _ = _http(server.url + "gradio_api/queue/join", data=b"{}", headers={**evil, "Content-Type": "application/json"})
    assert status == 403
    status, _ = _http(server.url + "gradio_api/upload", data=b"x", headers=evil)
    assert status == 403
    same = {"Origin": server.url.rstrip("/")}
    assert _http(server.url + "api/search?q=%E4%B8%9C%E6%95%B0", headers=same)[0] == 200
    assert _http(server.url + "api/search?q=%E4%B8%9C%E6%95%B0", headers={"Sec-Fetch-Site": "cross-site"})[0] == 403


def test_a_foreign_host_name_is_refused_on_loopback(server):
    """DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends Host: attacker.example."""
    status, body = _http(server.url + "api/search?q=%E4%B8%9C%E6%95%B0", headers={"Host": "attacker.example:7860"})
    assert status == 403 and "本机" in json.loads(body)["error"]


def test_removal_needs_the_token_of_the_listing(server):
    service = server.service
    doc_id = service.documents()[0].doc_id
    fn_index, comp = _event_ids(server.url, "pk-remove", "click")
    before = _doc_count(server)
    for forged in (doc_id, f"{doc_id}|0000", f"{doc_id}|{'a' * 24}"):
        assert service.confirm_removal(forged) is None
        stream = _run_event(server.url, fn_index, comp, [forged, None])
        # refused by the server: by our token check, or already by Gradio's own list of offered choices
        assert "process_completed" in stream and ("未删除" in stream or "not in the list of choices" in stream)
        assert _doc_count(server) == before
    value = dict((v.split("|")[0], v) for _, v in service.removal_choices())[doc_id]
    stream = _run_event(server.url, fn_index, comp, [value, None])
    assert "已删除" in stream
    assert _doc_count(server) == before - 1
    assert service.confirm_removal(value) is None, "a token dies with the listing it came from"


def test_oversized_bodies_are_refused_before_parsing(server):
    """The server answers 413 as soon as it reads the declared length and closes: the client may still be
    sending (a broken pipe on its side), so the response is read whatever happens to the rest of the body."""
    import http.client

    big = json.dumps({"question": "东" * 10}).encode() + b" " * (2 * 1024 * 1024)
    parts = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.putrequest("POST", "/api/ask")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(big)))
    conn.endheaders()
    try:
        conn.send(big)
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = conn.getresponse()
    status, body = resp.status, resp.read().decode("utf-8")
    conn.close()
    assert status == 413 and "过大" in json.loads(body)["error"]


def test_checked_upload_path_rules(tmp_path: Path):
    root = private_upload_dir()
    inside = root / uuid.uuid4().hex / "a.txt"
    inside.parent.mkdir()
    inside.write_text("x", encoding="utf-8")
    assert checked_upload_path(inside) == inside.resolve()
    outside = tmp_path / "b.txt"
    outside.write_text("x", encoding="utf-8")
    link = inside.parent / "link.txt"
    link.symlink_to(outside)
    escape = root / ".." / outside.name
    for bad in (outside, link, escape, "https://example.invalid/a.txt", "file:///etc/passwd", root, inside.parent):
        with pytest.raises(UploadRefused):
            checked_upload_path(bad)


def test_guard_policy_decisions():
    policy = GuardPolicy(bind_host="127.0.0.1")
    assert policy.host_refusal("127.0.0.1:7860") is None
    assert policy.host_refusal("localhost:7860") is None
    assert policy.host_refusal("[::1]:7860") is None
    assert policy.host_refusal("evil.example") is not None
    assert GuardPolicy(bind_host="0.0.0.0").host_refusal("policy.example.org") is None
    assert policy.origin_refusal({"origin": "null", "host": "127.0.0.1:7860"}, "http") is not None
    assert policy.origin_refusal({"origin": "http://127.0.0.1:7860", "host": "127.0.0.1:7860"}, "http") is None
    trusted = GuardPolicy(trusted_origins=frozenset({"https://portal.example"}))
    assert trusted.origin_refusal({"origin": "https://portal.example", "host": "127.0.0.1"}, "http") is None
    assert policy.upload_refusal("/gradio_api/upload", "10.1.2.3") is not None
    assert policy.upload_refusal("/gradio_api/upload", "127.0.0.1") is None
    assert is_loopback("127.8.9.1") and not is_loopback("192.168.1.2")
