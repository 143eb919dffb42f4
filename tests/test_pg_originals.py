"""Uploaded originals on PostgreSQL (issue 14): the store keeps each document's source bytes, so a server
that never saw the upload reads the document again (a re-parse after a correction) from the database.
Two app servers = two KB folders on one database of the session's pgserver (conftest.py)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

import test_pg_store  # noqa: E402
from conftest import TODAY  # noqa: E402

from kb.library import Library  # noqa: E402
from kb.sidedb import DATABASE_ENV  # noqa: E402

database = test_pg_store.database  # the fixture: a new database per test, made the process's setting

POLICY = """广安市人民政府办公室关于印发广安市测试企业奖励办法的通知
广安府办发〔2026〕99号
各区市县人民政府，市级各部门：
现将《广安市测试企业奖励办法》印发给你们，请认真贯彻执行。
一、对新引进的测试企业，按到位资金给予一次性奖励10万元。
二、对首次进入规模以上的测试企业，给予奖励5万元。
三、本办法由市商务局负责解释，自2026年1月1日起施行。
广安市人民政府办公室
2026年1月1日
"""


def _upload(folder: Path, text: str = POLICY) -> Path:
    """A file as server A's uploads folder holds it."""
    path = folder / "uploads" / uuid.uuid4().hex[:16] / "测试奖励办法.txt"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_server_b_reads_again_the_file_uploaded_through_server_a(database, tmp_path):
    a = Library(tmp_path / "a", today=lambda: TODAY)
    b = Library(tmp_path / "b", today=lambda: TODAY)
    src = _upload(tmp_path / "a")
    data = src.read_bytes()
    [report] = a.ingest([src])
    assert report.ok, report
    shutil.rmtree(tmp_path / "a" / "uploads")  # B is another machine: A's folder is not there

    doc = b.document(report.doc_id)
    assert doc is not None and not Path(doc.source_path).exists()
    copy = b.original_file(doc)
    assert copy is not None and copy.read_bytes() == data
    assert (tmp_path / "b" / "originals") in copy.parents

    parsed = b.parse_one(copy, copy.name)
    again = b.save_parsed(parsed, copy.name)
    assert again.ok and again.doc_id == report.doc_id and again.clauses == report.clauses
    assert a.original_file(a.document(report.doc_id)).read_bytes() == data  # A now reads it from the store too

    assert a.remove(report.doc_id)
    assert b.store.original(report.doc_id) is None  # removed with its document


def test_a_new_upload_of_the_same_document_replaces_its_original(database, tmp_path):
    a = Library(tmp_path / "a", today=lambda: TODAY)
    [first] = a.ingest([_upload(tmp_path / "a")])
    changed = POLICY.replace("10万元", "20万元")
    [second] = a.ingest([_upload(tmp_path / "a", changed)])
    assert first.ok and second.ok and second.doc_id == first.doc_id and second.replaced
    name, data = a.store.original(first.doc_id)
    assert name == "测试奖励办法.txt" and data.decode("utf-8") == changed


def test_sqlite_keeps_the_uploads_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    a = Library(tmp_path / "a", today=lambda: TODAY)
    src = _upload(tmp_path / "a")
    [report] = a.ingest([src])
    doc = a.document(report.doc_id)
    assert a.original_file(doc) == src and not (tmp_path / "a" / "originals").exists()
    src.unlink()
    assert a.original_file(doc) is None


def test_reparse_on_the_other_server_through_document_management(database, tmp_path):
    """The management desk's 重新解析 on server B, for a file uploaded through server A's service."""
    from ui.docadmin import DocAdmin
    from ui.service import UIService

    a = UIService(Library(tmp_path / "a", today=lambda: TODAY))
    b = UIService(Library(tmp_path / "b", today=lambda: TODAY))
    staged = tmp_path / "incoming" / "测试奖励办法.txt"
    staged.parent.mkdir()
    staged.write_text(POLICY, encoding="utf-8")
    [report] = a.ingest_uploads([(staged, staged.name)])
    assert report["ok"], report
    shutil.rmtree(a.upload_dir)

    result = DocAdmin(b).reparse(report["doc_id"], "管理员")
    assert result["ok"], result
    assert any("10万元" in c.text for c in b.library.clauses(report["doc_id"]))
