"""The SQLite store: one transaction per document, one document per 文号, versioned schema."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from kb.errors import KBVersionError
from kb.library import Library
from kb.parse import parse_text
from kb.store import Store


def _lib(path) -> Library:
    return Library(path, today=lambda: date(2026, 11, 29))


def test_txt_and_pdf_are_one_document(tmp_path, ganzhou_txt, ganzhou_pdf):
    lib = _lib(tmp_path)
    first, second = lib.ingest([ganzhou_txt, ganzhou_pdf])
    assert first.ok and second.ok and second.replaced
    assert first.doc_id == second.doc_id
    assert len(lib.documents()) == 1
    assert lib.store.counts(first.doc_id) == (113, 46)


def test_reingest_keeps_clause_ids(tmp_path, ganzhou_txt):
    lib = _lib(tmp_path)
    lib.ingest([ganzhou_txt])
    ids = [c.clause_id for c in lib.store.clauses()]
    lib.ingest([ganzhou_txt])
    assert [c.clause_id for c in lib.store.clauses()] == ids
    assert "dd18ce0e47d#附件 17" in ids


def test_failed_save_leaves_the_kb_as_it_was(tmp_path, ganzhou_txt, monkeypatch):
    lib = _lib(tmp_path)
    lib.ingest([ganzhou_txt])
    before = (lib.store.generation(), len(lib.store.clauses()), len(lib.store.task_rows()))
    parsed = parse_text(ganzhou_txt.read_text(encoding="utf-8"), str(ganzhou_txt), "txt")
    parsed.task_rows.append(parsed.task_rows[0])  # a duplicate primary key fails mid-transaction
    with pytest.raises(sqlite3.IntegrityError):
        lib.store.save(parsed, "2026-11-29T00:00:00")
    after = (lib.store.generation(), len(lib.store.clauses()), len(lib.store.task_rows()))
    assert after == before


def test_bad_file_among_good_ones(tmp_path, ganzhou_txt):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    lib = _lib(tmp_path / "kb")
    reports = lib.ingest([bad, ganzhou_txt])
    assert [r.ok for r in reports] == [False, True]
    assert "empty.txt" in reports[0].error and "文件为空" in reports[0].error


def test_schema_version_mismatch_is_refused(tmp_path):
    store = Store(tmp_path / "kb.sqlite")
    store._conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    store.close()
    with pytest.raises(KBVersionError, match="版本"):
        Store(tmp_path / "kb.sqlite")


def test_foreign_sqlite_file_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "kb.sqlite")
    conn.execute("CREATE TABLE something (x)")
    conn.commit()
    conn.close()
    with pytest.raises(KBVersionError):
        Store(tmp_path / "kb.sqlite")


def test_remove_document(tmp_path, ganzhou_txt):
    lib = _lib(tmp_path)
    [report] = lib.ingest([ganzhou_txt])
    assert lib.remove(report.doc_id)
    assert lib.documents() == [] and lib.store.clauses() == [] and lib.store.unit_roles() == []


def test_units_table(tmp_path, ganzhou_txt):
    lib = _lib(tmp_path)
    lib.ingest([ganzhou_txt])
    units = lib.units()
    leads = [c.label for c in units["市行政审批局"]["lead"]]
    assert "附件 17" in leads and len(leads) == 6


def test_readers_never_see_an_open_write(tmp_path, ganzhou_txt):
    import threading

    lib = _lib(tmp_path)
    seen: list[int] = []
    with lib.store.transaction() as cur:
        cur.execute(
            "INSERT INTO documents VALUES ('dX','t','','','','p','txt','h','text','[]','[]','2026-11-29')"
        )
        reader = threading.Thread(target=lambda: seen.append(len(lib.store.documents())))
        reader.start()
        reader.join()
    assert seen == [0]
    assert len(lib.store.documents()) == 1
