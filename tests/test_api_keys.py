"""API keys (kb/apikeys.py, `policykb apikey`): shown once, only a hash stored, scoped, revocable.

Over HTTP: a key opens the API as its scope without a session or CSRF token; a bad or revoked key is
refused even from loopback. Admin endpoints with keys: tests/test_doc_management_api.py.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY
from ui_fixtures import QUESTION

from kb.apikeys import ApiKeyError, ApiKeys, key_hash
from kb.cli import main


def test_a_key_is_stored_only_as_its_hash_and_verifies(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    keys = ApiKeys(db)
    record, secret = keys.add("对接系统", "read", "管理员甲")
    assert secret.startswith("pk_") and len(secret) > 40
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT * FROM api_keys").fetchall()
    assert secret not in repr(stored) and key_hash(secret) in repr(stored)
    assert record.prefix == secret[:10] and record.scope == "read" and record.created_by == "管理员甲"
    found = keys.verify(secret)
    assert found is not None and found.name == "对接系统" and not found.is_admin
    assert keys.get("对接系统").last_used_at is not None
    assert keys.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert keys.verify("") is None and keys.verify("not-a-key") is None


def test_revoked_keys_stop_working_and_names_are_not_reused(tmp_path: Path) -> None:
    keys = ApiKeys(tmp_path / "kb.sqlite")
    _, secret = keys.add("ops", "admin")
    assert keys.verify(secret).is_admin
    keys.revoke("ops")
    assert keys.verify(secret) is None
    with pytest.raises(ApiKeyError, match="已吊销"):
        keys.revoke("ops")
    with pytest.raises(ApiKeyError, match="已有名为"):
        keys.add("ops", "read")
    with pytest.raises(ApiKeyError, match="权限范围"):
        keys.add("other", "write")
    with pytest.raises(ApiKeyError, match="名称"):
        keys.add("a b;", "read")


def test_cli_add_list_revoke(tmp_path: Path) -> None:
    kb = str(tmp_path / "kb")
    runner = CliRunner()
    added = runner.invoke(main, ["apikey", "add", "报表系统", "--scope", "admin", "--kb", kb])
    assert added.exit_code == 0, added.output
    secret = next(w for w in added.output.split() if w.startswith("pk_"))
    assert "只显示这一次" in added.output
    listed = runner.invoke(main, ["apikey", "list", "--kb", kb])
    assert "报表系统" in listed.output and "管理" in listed.output and secret not in listed.output
    assert ApiKeys(Path(kb) / "kb.sqlite").verify(secret) is not None
    revoked = runner.invoke(main, ["apikey", "revoke", "报表系统", "--kb", kb])
    assert revoked.exit_code == 0 and "已吊销" in revoked.output
    assert ApiKeys(Path(kb) / "kb.sqlite").verify(secret) is None
    again = runner.invoke(main, ["apikey", "revoke", "报表系统", "--kb", kb])
    assert again.exit_code != 0 and "已" in again.output
    log = runner.invoke(main, ["apikey", "list", "--kb", kb, "--json"])
    assert '"active": false' in log.output
    with sqlite3.connect(Path(kb) / "kb.sqlite") as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["apikey_add", "apikey_revoke"]


# -- over HTTP: a key stands for its scope, carries no session and needs no CSRF token ----------------------


def _call(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode("utf-8"))


@pytest.fixture(scope="module")
def keyed_server(kb_template: Path):
    from ui_fixtures import running_server

    from kb.accounts import Accounts
    from kb.library import Library

    Accounts(kb_template / "kb.sqlite").add("管理员甲", "correct-horse-9", "admin")  # users exist: not open mode
    keys = ApiKeys(kb_template / "kb.sqlite")
    _, read = keys.add("只读系统", "read")
    _, admin = keys.add("运维系统", "admin")
    _, revoked = keys.add("旧系统", "read")
    keys.revoke("旧系统")
    with running_server(Library(kb_template, today=lambda: TODAY)) as running:
        yield running, {"read": read, "admin": admin, "revoked": revoked}


def test_http_keys_open_the_api_as_their_scope(keyed_server) -> None:
    server, secrets = keyed_server
    status, _ = _call(server.url + "api/conversations")
    assert status == 401  # users exist, no session, no key
    status, listed = _call(server.url + "api/conversations", headers={"X-API-Key": secrets["read"]})
    assert status == 200 and listed == []
    # a key needs no CSRF token (it is no cookie a browser could attach to a forged request)
    status, started = _call(server.url + "api/conversations", "POST", {"title": "对接测试"},
                            headers={"Authorization": f"Bearer {secrets['read']}"})
    assert status == 200 and started["owner"] == "接口密钥 只读系统"
    status, answer = _call(server.url + "api/ask", "POST", {"question": QUESTION},
                           headers={"X-API-Key": secrets["admin"]})
    assert status == 200 and "市行政审批局" in answer["answer"]


def test_http_bad_or_revoked_keys_are_refused_even_on_loopback(keyed_server) -> None:
    server, secrets = keyed_server
    status, _ = _call(server.url + "api/search?q=%E4%B8%9C%E6%95%B0%E8%A5%BF%E7%AE%97")
    assert status == 200  # loopback scripts may still search without a key
    for bad in (secrets["revoked"], secrets["read"][:-2] + "xx", "pk_nothing"):
        status, body = _call(server.url + "api/search?q=%E4%B8%9C%E6%95%B0%E8%A5%BF%E7%AE%97", headers={"X-API-Key": bad})
        assert status == 401 and body["error"] == "接口密钥无效或已吊销"
    status, _ = _call(server.url + "api/conversations", headers={"Authorization": f"Bearer {secrets['revoked']}"})
    assert status == 401
