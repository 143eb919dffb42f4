"""The CLI contract of DESIGN.md: commands, --json shapes, exit codes, help text."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kb.cli import main

COMMANDS = ["ingest", "docs", "show", "search", "ask", "units", "serve", "eval", "user"]


@pytest.fixture()
def runner(monkeypatch):
    monkeypatch.setenv("POLICYKB_TODAY", "2026-11-29")
    return CliRunner()


@pytest.fixture()
def fast_model(monkeypatch):
    """Ingest tests check the store, not ranking: the fast USE model keeps index builds short."""
    import kb.retriever

    monkeypatch.setattr(kb.retriever, "DEFAULT_MODEL", "use")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help and len(main.commands[command].help) > 8
    for param in main.commands[command].params:
        if param.param_type_name == "option" and param.name not in ("help",):
            assert param.help, f"{command} --{param.name} has no help text"


@pytest.mark.parametrize("sub", ["add", "list", "remove"])
def test_user_subcommands_have_help(runner, sub):
    command = main.commands["user"].commands[sub]
    assert runner.invoke(main, ["user", sub, "--help"]).exit_code == 0 and command.help
    assert all(p.help for p in command.params if p.param_type_name == "option")


def test_ingest_docs_show_units_json(runner, fast_model, tmp_path, ganzhou_txt):
    kb = str(tmp_path / "kb")
    result = runner.invoke(main, ["ingest", str(ganzhou_txt), "--kb", kb, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[0])
    assert report["clauses"] == 113 and report["rows"] == 46
    docs = json.loads(runner.invoke(main, ["docs", "--kb", kb, "--json"]).output)
    assert docs[0]["number"] == "赣市发〔2022〕5号" and docs[0]["task_rows"] == 46
    shown = json.loads(runner.invoke(main, ["show", "赣市发〔2022〕5号", "--kb", kb, "--json"]).output)
    assert set(shown) == {"document", "clauses", "task_rows"}
    row17 = next(r for r in shown["task_rows"] if r["number"] == "17")
    assert row17["lead_units"] == ["市行政审批局"]
    units = json.loads(runner.invoke(main, ["units", "--kb", kb, "--json"]).output)
    assert any(item["label"] == "附件 17" for item in units["市行政审批局"]["lead"])


def test_ingest_error_exit_code(runner, fast_model, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    result = runner.invoke(main, ["ingest", str(bad), "--kb", str(tmp_path / "kb")])
    assert result.exit_code != 0
    assert "bad.pdf" in result.output


def test_show_unknown_document(runner, fast_model, tmp_path, ganzhou_txt):
    kb = str(tmp_path / "kb")
    runner.invoke(main, ["ingest", str(ganzhou_txt), "--kb", kb])
    result = runner.invoke(main, ["show", "nope", "--kb", kb])
    assert result.exit_code != 0 and "找不到文件" in result.output


def test_ask_json_and_batch(runner, kb_copy, tmp_path):
    kb = str(kb_copy)
    answer = json.loads(runner.invoke(main, ["ask", "谁牵头探索建设赣南大数据交易中心？", "--kb", kb, "--json"]).output)
    assert answer["found"] is True and answer["intent"] == "who_leads"
    assert answer["answer"].startswith("探索建设赣南大数据交易中心由市行政审批局牵头")
    assert answer["citations"][0]["label"] == "附件 17"
    assert answer["citations"][0]["doc_number"] == "赣市发〔2022〕5号"
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "东数西算"}\n{"id": "b", "question": "   "}\n', encoding="utf-8")
    lines = [json.loads(x) for x in runner.invoke(main, ["ask", "--batch", str(batch), "--kb", kb]).output.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[0]["found"] and lines[0]["latency_ms"] > 0
    assert lines[1]["found"] is False and "问题为空" in lines[1]["answer"]
    search = [json.loads(x) for x in runner.invoke(main, ["search", "--batch", str(batch), "--kb", kb]).output.splitlines()]
    assert search[0]["citations"] and {"doc_id", "clause_id", "label", "path", "text", "start", "end", "score"} <= set(search[0]["citations"][0])


def test_ask_empty_question_fails(runner, kb_copy):
    result = runner.invoke(main, ["ask", "", "--kb", str(kb_copy)])
    assert result.exit_code != 0 and "问题为空" in result.output
