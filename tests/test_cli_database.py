"""`--database URL` / $POLICYKB_DATABASE on the command line: every command that opens a KB takes it, the
store and the search side then live in PostgreSQL + pgvector, and a missing driver or an unreachable server is one
Chinese line naming the URL without its password."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from indexing.backend import DATABASE_ENV
from kb.cli import main

OPENS_A_KB = ["ingest", "docs", "show", "search", "ask", "units", "serve", "export", ("user", "add"),
              ("user", "list"), ("user", "remove"), ("apikey", "add"), ("apikey", "list"), ("apikey", "revoke")]
DOC = """赣州市支持测试港建设的若干措施

一、对新落户测试港的企业，给予一次性落户奖励50万元。
二、对测试港内年营业收入首次突破1亿元的企业，给予一次性奖励30万元。
三、本措施由市测试港管理办公室负责解释，自印发之日起施行。
"""


@pytest.fixture()
def runner(monkeypatch):
    """The CLI makes its --database the process's setting: this test's changes to it are undone after."""
    monkeypatch.setenv("POLICYKB_TODAY", "2026-11-29")
    monkeypatch.setenv(DATABASE_ENV, "")
    return CliRunner()


@pytest.fixture()
def fast_model(monkeypatch):
    import kb.retriever

    monkeypatch.setattr(kb.retriever, "DEFAULT_MODEL", "use")


def _command(name):
    return main.commands[name] if isinstance(name, str) else main.commands[name[0]].commands[name[1]]


@pytest.mark.parametrize("name", OPENS_A_KB, ids=str)
def test_every_command_that_opens_a_kb_takes_database(name):
    option = next((p for p in _command(name).params if p.name == "database"), None)
    assert option is not None and option.opts == ["--database"] and "POLICYKB_DATABASE" in option.help


def test_missing_driver_says_what_to_install(runner, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    result = runner.invoke(main, ["docs", "--kb", str(tmp_path / "kb"), "--database", "postgresql://u@h/kb"])
    assert result.exit_code == 1
    assert "请先安装: pip install -e '.[pg]'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "kb").exists()  # refused before anything was opened


@pytest.mark.parametrize("how", ["flag", "env"])
def test_unreachable_server_is_named_without_its_password(runner, monkeypatch, tmp_path, how):
    url = "postgresql://alice:topsecret@127.0.0.1:1/policykb?connect_timeout=3"
    args = ["docs", "--kb", str(tmp_path / "kb")]
    if how == "flag":
        args += ["--database", url]
    else:
        monkeypatch.setenv(DATABASE_ENV, url)
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "无法连接数据库 postgresql://alice:***@127.0.0.1:1/policykb" in result.output
    assert "topsecret" not in result.output


def test_a_url_that_is_not_postgresql_is_refused(runner, tmp_path):
    result = runner.invoke(main, ["docs", "--kb", str(tmp_path / "kb"), "--database", "mysql://u:pw@h/kb"])
    assert result.exit_code == 1 and "应以 postgresql:// 开头" in result.output and "pw@" not in result.output


def test_ingest_search_and_ask_on_postgresql(runner, fast_model, pg_dsn, tmp_path):
    """The index of a CLI ingest with --database is in PostgreSQL (nowhere in the KB folder), and search
    and ask, given the URL by flag or by $POLICYKB_DATABASE, read it from there."""
    import psycopg

    from indexing.pg_backend import PgBackend

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE cli_database")
    dsn = pg_dsn.replace("/postgres?", "/cli_database?")
    source = tmp_path / "cegang.txt"
    source.write_text(DOC, encoding="utf-8")
    kb = str(tmp_path / "kb")
    result = runner.invoke(main, ["ingest", str(source), "--kb", kb, "--database", dsn, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["clauses"] >= 3
    assert [s for _, s in PgBackend(dsn, name="use").versions()] == ["live"]
    assert not list((tmp_path / "kb").glob("index-use/v*"))  # no embedded version was built
    assert not (tmp_path / "kb" / "kb.sqlite").exists()  # the store is there too (kb.pgstore)

    hits = json.loads(runner.invoke(main, ["search", "落户奖励多少", "--kb", kb, "--database", dsn, "--json"]).output)
    assert "50万元" in hits[0]["text"]
    answer = runner.invoke(main, ["ask", "新落户测试港的企业奖励多少", "--kb", kb, "--json"], env={DATABASE_ENV: dsn})
    assert answer.exit_code == 0, answer.output
    assert "50万元" in json.loads(answer.output)["citations"][0]["text"]
    assert [s for _, s in PgBackend(dsn, name="use").versions()] == ["live"]  # opened, not rebuilt


def test_users_made_on_one_server_sign_in_on_another(runner, pg_dsn, tmp_path):
    """`policykb user add --database` writes the user to PostgreSQL: another KB folder on the same database
    lists it, and neither folder gets a KB file."""
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE cli_users")
    dsn = pg_dsn.replace("/postgres?", "/cli_users?")
    added = runner.invoke(main, ["user", "add", "管理员甲", "--role", "admin", "--password-stdin", "--kb",
                                 str(tmp_path / "one"), "--database", dsn], input="long-password-1\n")
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["user", "list", "--json", "--kb", str(tmp_path / "two")], env={DATABASE_ENV: dsn})
    assert [u["name"] for u in json.loads(listed.output)] == ["管理员甲"]
    assert not list(tmp_path.rglob("kb.sqlite*"))
