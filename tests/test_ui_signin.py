"""Sign-in, roles and CSRF over real HTTP against the in-process server (issue 12, first part).

With users in the KB the server is closed to anyone not signed in; a staff user may ask but not
upload, remove or manage users; a state-changing request with a session but without its CSRF token is
refused; login attempts are limited; every write lands in the append-only audit log.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY
from ui_fixtures import QUESTION, running_server

from kb.accounts import AccountError, Accounts, verify_password
from kb.audit import AuditLog
from kb.library import Library
from ui.auth import startup_problem

ADMIN, STAFF, PASSWORD = "管理员甲", "staff1", "correct-horse-9"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A tiny browser: keeps cookies, never follows redirects, sends what it is told."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
                form: dict | None = None) -> tuple[int, dict[str, str], str]:
        headers = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            resp = self.opener.open(req, timeout=120)
        except urllib.error.HTTPError as err:
            resp = err
        for value in resp.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            val = rest.split(";")[0].strip('"')
            if "max-age=0" in value.lower() or not val:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = val
        return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")

    def login(self, name: str, password: str) -> int:
        self.request("login")
        status, _, _ = self.request("login", form={"username": name, "password": password,
                                                   "csrf_token": self.cookies.get("pk_csrf", "")})
        return status

    @property
    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.cookies.get("pk_csrf", "")}


def _accounts(kb: Path) -> Accounts:
    return Accounts(kb / "kb.sqlite")


@pytest.fixture()
def secured_kb(kb_copy: Path) -> Path:
    accounts = _accounts(kb_copy)
    accounts.add(ADMIN, PASSWORD, "admin")
    accounts.add(STAFF, PASSWORD, "staff")
    accounts.close()
    return kb_copy


@pytest.fixture()
def server(secured_kb: Path):
    library = Library(secured_kb, today=lambda: TODAY)
    with running_server(library) as running:
        yield running


def _event(client: Client, elem_id: str, trigger: str) -> tuple[int, int]:
    status, _, body = client.request("config")
    assert status == 200, body
    config = json.loads(body)
    comp = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    dep = next(d for d in config["dependencies"] if [comp, trigger] in [list(t) for t in d["targets"]])
    return dep["id"], comp


def _run(client: Client, elem_id: str, trigger: str, data: list, headers: dict[str, str] | None = None) -> str:
    fn, comp = _event(client, elem_id, trigger)
    session = uuid.uuid4().hex[:11]
    payload = {"data": data, "fn_index": fn, "trigger_id": comp, "session_hash": session, "event_data": None}
    status, _, body = client.request("gradio_api/queue/join", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    if status != 200:
        return f"HTTP {status} {body}"
    return client.request(f"gradio_api/queue/data?session_hash={session}")[2]


def _upload(client: Client, name: str, text: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    status, _, out = client.request("gradio_api/upload", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})
    return status, out


NOTICE = "关于签到测试的通知\n\n一、由市签到测试局牵头，负责登录与审计测试工作。\n二、本通知自印发之日起施行。\n"


def test_without_a_session_the_app_sends_browsers_to_sign_in(server):
    client = Client(server.url)
    status, headers, _ = client.request("")
    assert status == 303 and headers["location"] == "login"
    status, _, page = client.request("login")
    assert status == 200 and "用户名" in page and "密码" in page and "pk_csrf" in client.cookies
    for path in ("config", "gradio_api/info"):
        status, _, body = client.request(path)
        assert status == 401, (path, body)
    status, body = _upload(client, "a.txt", NOTICE)
    assert status == 403 and "管理员" in json.loads(body)["error"]
    # read-only JSON asking stays open to scripts on this machine
    status, _, body = client.request("api/ask", data=json.dumps({"question": QUESTION}).encode(),
                                     headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["found"]


def test_sign_in_checks_password_and_csrf(server):
    client = Client(server.url)
    assert client.login(ADMIN, "wrong-password") == 401
    assert "pk_session" not in client.cookies
    client.request("login")
    status, _, page = client.request("login", form={"username": ADMIN, "password": PASSWORD, "csrf_token": "forged"})
    assert status == 403 and "pk_session" not in client.cookies
    assert client.login(ADMIN, PASSWORD) == 303
    status, _, body = client.request("api/me")
    assert status == 200 and json.loads(body)["role"] == "admin"
    status, headers, _ = client.request("")
    assert status == 200
    # a tampered session is no session
    client.cookies["pk_session"] = client.cookies["pk_session"][:-2] + "00"
    assert client.request("api/me")[0] == 401


def test_login_attempts_are_rate_limited(server):
    client = Client(server.url)
    for _ in range(5):
        assert client.login(STAFF, "not-the-password") == 401
    assert client.login(STAFF, PASSWORD) == 429, "the right password after 5 failures is still refused"
    status, _, page = client.request("login", form={"username": STAFF, "password": PASSWORD,
                                                    "csrf_token": client.cookies["pk_csrf"]})
    assert status == 429 and "登录尝试过多" in page
    assert Client(server.url).login(ADMIN, PASSWORD) == 303, "another user is not locked out"


def test_staff_may_ask_but_not_write(server):
    client = Client(server.url)
    assert client.login(STAFF, PASSWORD) == 303
    before = len(server.service.library.documents())
    status, body = _upload(client, "a.txt", NOTICE, client.csrf)
    assert status == 403 and "管理员" in body
    value = server.service.removal_choices()[0][1]
    stream = _run(client, "pk-remove", "click", [value, None], client.csrf)
    assert "需要以管理员身份登录" in stream
    stream = _run(client, "pk-user-add", "click", ["intruder", "password123", "admin"], client.csrf)
    assert "需要以管理员身份登录" in stream
    assert _accounts(server.service.library.kb_dir).get("intruder") is None
    assert len(server.service.library.documents()) == before
    stream = _run(client, "pk-ask", "click", [QUESTION], client.csrf)
    assert "市行政审批局" in stream


def test_a_session_without_its_csrf_token_is_refused(server):
    client = Client(server.url)
    assert client.login(ADMIN, PASSWORD) == 303
    value = server.service.removal_choices()[0][1]
    for headers in ({}, {"X-CSRF-Token": "guess"}):
        stream = _run(client, "pk-remove", "click", [value, None], headers)
        assert stream.startswith("HTTP 403") and "CSRF" in stream
        status, body = _upload(client, "a.txt", NOTICE, headers)
        assert status == 403
    status, _, _ = client.request("logout", form={"csrf_token": "guess"})
    assert status == 403 and "pk_session" in client.cookies


def test_an_administrator_writes_and_the_audit_log_records_it(server):
    client = Client(server.url)
    assert client.login(ADMIN, PASSWORD) == 303
    status, body = _upload(client, "签到通知.txt", NOTICE, client.csrf)
    assert status == 200, body
    stored = json.loads(body)[0]
    before = len(server.service.library.documents())
    filedata = {"path": stored, "orig_name": "签到通知.txt", "meta": {"_type": "gradio.FileData"}}
    stream = _run(client, "pk-upload", "upload", [[filedata], None], client.csrf)
    assert "关于签到测试的通知" in stream
    assert len(server.service.library.documents()) == before + 1
    stream = _run(client, "pk-user-add", "click", ["新同事", "password123", "staff"], client.csrf)
    assert "已添加用户 新同事" in stream
    log = AuditLog(server.service.library.kb_dir / "kb.sqlite")
    actions = [(e.actor, e.action, e.target) for e in log.entries()]
    assert (ADMIN, "upload", "签到通知.txt") in actions
    assert (ADMIN, "user_add", "新同事") in actions
    assert (ADMIN, "login", ADMIN) in actions
    stream = _run(client, "pk-audit-refresh", "click", [], client.csrf)
    assert "签到通知.txt" in stream and "上传文件" in stream
    conn = sqlite3.connect(server.service.library.kb_dir / "kb.sqlite")
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="只能追加"):
            conn.execute(sql)
    conn.close()
    status, headers, _ = client.request("logout", form={"csrf_token": client.cookies["pk_csrf"]})
    assert status == 303 and "pk_session" not in client.cookies
    assert client.request("api/me")[0] == 401


def test_removing_a_user_ends_their_session(server):
    client = Client(server.url)
    assert client.login(STAFF, PASSWORD) == 303
    assert client.request("api/me")[0] == 200
    _accounts(server.service.library.kb_dir).remove(STAFF)
    assert client.request("api/me")[0] == 401


def test_anonymous_read_only_asking(secured_kb: Path):
    library = Library(secured_kb, today=lambda: TODAY)
    with running_server(library, anonymous=True) as server:
        client = Client(server.url)
        assert client.request("")[0] == 200
        status, _, body = client.request("api/me")
        assert json.loads(body)["role"] == "anonymous"
        assert "市行政审批局" in _run(client, "pk-ask", "click", [QUESTION])
        value = server.service.removal_choices()[0][1]
        assert "需要以管理员身份登录" in _run(client, "pk-remove", "click", [value, None])
        assert _upload(client, "a.txt", NOTICE)[0] == 403


def test_accounts_rules(tmp_path: Path):
    accounts = Accounts(tmp_path / "kb.sqlite")
    with pytest.raises(AccountError, match="至少 8"):
        accounts.add("a", "short", "staff")
    with pytest.raises(AccountError, match="用户名"):
        accounts.add("有 空格", "long-enough", "staff")
    with pytest.raises(AccountError, match="角色"):
        accounts.add("b", "long-enough", "root")
    first = accounts.add("甲", "long-enough", "admin")
    accounts.add("乙", "long-enough", "staff")
    with pytest.raises(AccountError, match="已存在"):
        accounts.add("甲", "long-enough", "staff")
    with pytest.raises(AccountError, match="唯一的管理员"):
        accounts.remove("甲")
    assert accounts.authenticate("甲", "long-enough") == first
    assert accounts.authenticate("甲", "wrong") is None and accounts.authenticate("无此人", "x") is None
    stored = accounts._db.query("SELECT pw_hash FROM users WHERE name = '甲'")[0][0]
    assert stored.startswith("scrypt$") and "long-enough" not in stored and verify_password("long-enough", stored)


def test_serve_refuses_a_network_address_without_an_administrator(kb_copy: Path, monkeypatch):
    from kb.cli import main

    accounts = _accounts(kb_copy)
    assert startup_problem(accounts, "127.0.0.1") is None
    assert "至少一位管理员" in startup_problem(accounts, "0.0.0.0")
    runner = CliRunner()
    monkeypatch.setenv("POLICYKB_TODAY", "2026-11-29")
    result = runner.invoke(main, ["serve", "--kb", str(kb_copy), "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "至少一位管理员" in result.output
    result = runner.invoke(main, ["user", "add", "首位管理员", "--role", "admin", "--password-stdin", "--kb",
                                  str(kb_copy)], input="a-good-password\n")
    assert result.exit_code == 0 and "已添加用户 首位管理员（管理员）" in result.output
    assert startup_problem(accounts, "0.0.0.0") is None
    listed = json.loads(runner.invoke(main, ["user", "list", "--json", "--kb", str(kb_copy)]).output)
    assert [u["name"] for u in listed] == ["首位管理员"]
    assert "user_add" in [e.action for e in AuditLog(kb_copy / "kb.sqlite").entries()]
