"""`policykb migrate` (issue 14): a SQLite KB folder copied into PostgreSQL with its index published; the
copy answers as the folder does, a non-empty target is refused unless --replace, a failure changes nothing.
The session's pgserver (conftest.py), a fresh database per test; the fast "use" model."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from click.testing import CliRunner  # noqa: E402
from conftest import TODAY  # noqa: E402

import kb.retriever  # noqa: E402
from kb.cli import main  # noqa: E402
from kb.library import Library  # noqa: E402
from kb.sidedb import DATABASE_ENV  # noqa: E402

MODEL = "use"
QUESTIONS = ["到2025年数字经济增加值的目标是什么？", "哪个单位牵头推进数字政府建设？"]


@pytest.fixture()
def target(pg_dsn) -> str:
    """A new, empty database (not made the process's setting: the source KB is SQLite)."""
    name = f"mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_dsn.replace("/postgres?", f"/{name}?")


@pytest.fixture()
def source(tmp_path, corpus_dir, monkeypatch) -> Path:
    """A SQLite KB of the bundled Ganzhou plan, indexed with MODEL, with a user and an audit entry."""
    from kb.accounts import Accounts
    from kb.audit import AuditLog

    monkeypatch.setenv(DATABASE_ENV, "")
    monkeypatch.setenv("POLICYKB_TODAY", TODAY.isoformat())
    monkeypatch.setattr(kb.retriever, "DEFAULT_MODEL", MODEL)
    folder = tmp_path / "sqlite-kb"
    library = Library(folder, today=lambda: TODAY)
    reports = library.ingest([corpus_dir / "ganzhou_digital_economy_2022.txt"])
    assert all(r.ok for r in reports), reports
    kb.retriever.Retriever(library, MODEL).index()
    Accounts(folder / "kb.sqlite").add("管理员甲", "口令很长的密码123", "admin")
    AuditLog(folder / "kb.sqlite").record("命令行", "user_add", "管理员甲", "管理员")
    library.store.close()
    return folder


def _answers(library: Library, database: str) -> list[tuple[str, list[str]]]:
    from kb.answerer import Answerer

    answerer = Answerer(library, kb.retriever.Retriever(library, MODEL, database=database))
    out = []
    for q in QUESTIONS:
        a = answerer.ask(q)
        out.append((a.answer, [c.clause_id for c in a.citations]))
    return out


def _state(url: str) -> tuple:
    """What the target holds: store rows per table, the generation, the index versions."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'policykb_store' ORDER BY 1")]
        counts = {t: conn.execute(f'SELECT count(*) FROM policykb_store."{t}"').fetchone()[0] for t in tables}
        gen = conn.execute("SELECT value FROM policykb_store.meta WHERE key = 'generation'").fetchone()
        versions = conn.execute("SELECT id, state FROM policykb.versions ORDER BY id").fetchall()
    return counts, gen, versions


def test_migrate_copies_the_kb_and_answers_alike_and_refuses_a_second_time(source, target, tmp_path, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(main, ["migrate", "--from", str(source), "--database", target, "--model", MODEL])
    assert result.exit_code == 0, result.output
    assert "新嵌入 0）" in result.output  # every vector came from the folder's index (same model)

    on_file = Library(source, today=lambda: TODAY, database="")
    on_pg = Library(tmp_path / "server", today=lambda: TODAY, database=target)
    assert type(on_pg.store).__name__ == "PgStore"
    assert [d.doc_id for d in on_pg.documents()] == [d.doc_id for d in on_file.documents()]
    assert on_pg.store.documents() == on_file.store.documents()
    assert [c.clause_id for c in on_pg.store.clauses()] == [c.clause_id for c in on_file.store.clauses()]
    assert on_pg.store.task_rows() == on_file.store.task_rows() and on_pg.generation == on_file.generation
    doc = on_pg.documents()[0]
    assert on_pg.store.original(doc.doc_id)[1] == Path(doc.source_path).read_bytes()

    before = _state(target)
    assert before[0]["users"] == 1 and before[0]["audit_log"] == 1
    assert [s for _, s in before[2]] == ["live"]
    answers = _answers(on_pg, target)
    assert all(cited for _, cited in answers) and answers == _answers(on_file, "")
    assert _state(target) == before  # the published index served as is: nothing rebuilt

    monkeypatch.setenv(DATABASE_ENV, target)  # the side tables follow the setting
    from kb.accounts import Accounts

    assert [u.name for u in Accounts(tmp_path / "server" / "kb.sqlite").users()] == ["管理员甲"]

    again = runner.invoke(main, ["migrate", "--from", str(source), "--database", target, "--model", MODEL])
    assert again.exit_code == 1
    assert "已有知识库内容" in again.output and "--replace" in again.output and "documents 1 行" in again.output
    assert "Traceback" not in again.output
    assert _state(target) == before


def test_a_failed_replace_leaves_the_target_unchanged(source, target, monkeypatch):
    import kb.migrate

    first = kb.migrate.migrate(source, target, model=MODEL)
    assert first.rows["documents"] == 1 and first.embedded_new == 0
    before = _state(target)

    def broken(conn, library):
        raise RuntimeError("磁盘已满（测试）")

    copy_originals = kb.migrate._copy_originals
    monkeypatch.setattr(kb.migrate, "_copy_originals", broken)
    with pytest.raises(RuntimeError):
        kb.migrate.migrate(source, target, replace=True, model=MODEL)
    assert _state(target) == before  # tables, generation and the live index as they were; the build dropped

    monkeypatch.setattr(kb.migrate, "_copy_originals", copy_originals)
    second = kb.migrate.migrate(source, target, replace=True, model=MODEL)
    counts, gen, versions = _state(target)
    assert counts == before[0] and int(gen[0]) == int(before[1][0]) + 1  # servers see a new generation
    assert [s for _, s in versions][-1] == "live" and sum(s == "live" for _, s in versions) == 1
    assert second.generation == int(gen[0])

    from kb.store import Store

    after = _state(target)
    build = kb.migrate.PgBackend.build_version

    def build_then_upload(self, *args, **kwargs):  # the source changes while its index is being built
        pending = build(self, *args, **kwargs)
        store = Store(source / "kb.sqlite")
        store.set_disabled(store.documents()[0].doc_id, True, "管理员", "2026-11-29T10:00:00")
        store.close()
        return pending

    monkeypatch.setattr(kb.migrate.PgBackend, "build_version", build_then_upload)
    with pytest.raises(kb.migrate.MigrateError, match="在迁移期间被修改"):
        kb.migrate.migrate(source, target, replace=True, model=MODEL)
    assert _state(target) == after


def test_the_messages_name_the_url_without_its_password_and_the_missing_kb(target, tmp_path, monkeypatch):
    monkeypatch.setenv(DATABASE_ENV, "")
    runner = CliRunner()
    url = "postgresql://policykb:s3cret-pw@127.0.0.1:1/nowhere"
    result = runner.invoke(main, ["migrate", "--from", str(tmp_path), "--database", url])
    assert result.exit_code == 1 and "s3cret-pw" not in result.output and "policykb:***@127.0.0.1" in result.output
    missing = runner.invoke(main, ["migrate", "--from", str(tmp_path / "nope"), "--database", target])
    assert missing.exit_code == 1 and "找不到要迁移的知识库" in missing.output and "nope" in missing.output
    assert not (tmp_path / "nope").exists()


def test_a_target_holding_only_side_tables_is_refused(target, tmp_path, monkeypatch):
    """A database with users but no documents is not empty: migrating an empty KB over it is refused."""
    from kb.accounts import Accounts

    monkeypatch.setenv(DATABASE_ENV, "")
    Library(tmp_path / "empty", today=lambda: TODAY).store.close()  # an empty SQLite KB
    monkeypatch.setenv(DATABASE_ENV, target)
    Accounts(tmp_path / "server" / "kb.sqlite").add("管理员乙", "口令很长的密码456", "admin")
    monkeypatch.setenv(DATABASE_ENV, "")
    result = CliRunner().invoke(main, ["migrate", "--from", str(tmp_path / "empty"), "--database", target,
                                       "--model", MODEL])
    assert result.exit_code == 1 and "users 1 行" in result.output, result.output
