"""The store: one transaction per document, one document per 文号, versioned schema. The contract tests
run on SQLite and on PostgreSQL (kb.pgstore, a fresh database of the session's pgserver each); first use
and damage are SQLite's own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest

from kb.errors import KBCorruptError, KBVersionError
from kb.library import Library
from kb.parse import parse_text
from kb.store import SCHEMA_VERSION, Store


def _lib(path) -> Library:
    return Library(path, today=lambda: date(2026, 11, 29))


@pytest.fixture(params=["sqlite", "postgresql"])
def make_lib(request):
    """Library(path) on SQLite, or with its store in a new PostgreSQL database."""
    if request.param == "sqlite":
        return _lib
    psycopg = pytest.importorskip("psycopg")
    dsn = request.getfixturevalue("pg_dsn")

    def make(path) -> Library:
        name = f"store_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return Library(path, today=lambda: date(2026, 11, 29), database=dsn.replace("/postgres?", f"/{name}?"))

    return make


def _integrity_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:
        return (sqlite3.IntegrityError,)
    return (sqlite3.IntegrityError, psycopg.IntegrityError)


def test_txt_and_pdf_are_one_document(make_lib, tmp_path, ganzhou_txt, ganzhou_pdf):
    lib = make_lib(tmp_path)
    first, second = lib.ingest([ganzhou_txt, ganzhou_pdf])
    assert first.ok and second.ok and second.replaced
    assert first.doc_id == second.doc_id
    assert len(lib.documents()) == 1
    assert lib.store.counts(first.doc_id) == (113, 46)


def test_reingest_keeps_clause_ids(make_lib, tmp_path, ganzhou_txt):
    lib = make_lib(tmp_path)
    lib.ingest([ganzhou_txt])
    ids = [c.clause_id for c in lib.store.clauses()]
    lib.ingest([ganzhou_txt])
    assert [c.clause_id for c in lib.store.clauses()] == ids
    assert "dd18ce0e47d#附件 17" in ids


def test_failed_save_leaves_the_kb_as_it_was(make_lib, tmp_path, ganzhou_txt, monkeypatch):
    lib = make_lib(tmp_path)
    lib.ingest([ganzhou_txt])
    before = (lib.store.generation(), len(lib.store.clauses()), len(lib.store.task_rows()))
    parsed = parse_text(ganzhou_txt.read_text(encoding="utf-8"), str(ganzhou_txt), "txt")
    parsed.task_rows.append(parsed.task_rows[0])  # a duplicate primary key fails mid-transaction
    with pytest.raises(_integrity_errors()):
        lib.store.save(parsed, "2026-11-29T00:00:00")
    after = (lib.store.generation(), len(lib.store.clauses()), len(lib.store.task_rows()))
    assert after == before


def test_bad_file_among_good_ones(make_lib, tmp_path, ganzhou_txt):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    lib = make_lib(tmp_path / "kb")
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


def test_remove_document(make_lib, tmp_path, ganzhou_txt):
    lib = make_lib(tmp_path)
    [report] = lib.ingest([ganzhou_txt])
    assert lib.remove(report.doc_id)
    assert lib.documents() == [] and lib.store.clauses() == [] and lib.store.unit_roles() == []


def test_units_table(make_lib, tmp_path, ganzhou_txt):
    lib = make_lib(tmp_path)
    lib.ingest([ganzhou_txt])
    units = lib.units()
    leads = [c.label for c in units["市行政审批局"]["lead"]]
    assert "附件 17" in leads and len(leads) == 6


def test_readers_never_see_an_open_write(make_lib, tmp_path, ganzhou_txt):
    import threading

    lib = make_lib(tmp_path)
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


# ------------------------------------------------------------------ first use and damage (issue 13)

REPO = Path(__file__).resolve().parents[1]
_OPEN_AT = """
import sys, time
from kb.store import Store
start = float(sys.argv[2])
while time.time() < start:
    pass
store = Store(sys.argv[1])
print(store.generation())
"""


def test_concurrent_first_use_creates_one_kb(tmp_path):
    """Three real processes open one new KB file at the same instant, ten times over. Before the file was
    built aside and linked into place, 19 of 20 such rounds failed with UNIQUE constraint failed: meta.key."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for round_ in range(10):
        path = tmp_path / f"kb{round_}" / "kb.sqlite"
        path.parent.mkdir()
        start = time.time() + 0.8
        procs = [
            subprocess.Popen([sys.executable, "-c", _OPEN_AT, str(path), str(start)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        results = [(p.communicate(timeout=120), p.returncode) for p in procs]
        for (out, err), code in results:
            assert code == 0, err
            assert out.strip() == "0"
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith("kb.sqlite")) == []


def test_empty_kb_file_is_reported_and_left_alone(tmp_path):
    path = tmp_path / "kb.sqlite"
    path.write_bytes(b"")
    with pytest.raises(KBCorruptError, match="知识库文件已损坏") as info:
        Store(path)
    assert str(path) in str(info.value) and "0 字节" in str(info.value)
    assert path.stat().st_size == 0  # never silently replaced by a fresh KB


def test_kb_file_that_is_not_sqlite_is_reported(tmp_path):
    path = tmp_path / "kb.sqlite"
    path.write_bytes(b"not a database at all " * 100)
    with pytest.raises(KBCorruptError, match="不是 SQLite"):
        Store(path)


def _damage_pages(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    for first in range(2 * page, len(data), 2 * page):  # every other page from the third on
        data[first + 8 : first + 200] = b"Z" * 192
    path.write_bytes(bytes(data))


def test_damaged_page_gives_a_chinese_error_not_a_database_error(tmp_path, ganzhou_txt):
    lib = _lib(tmp_path / "kb")
    assert lib.ingest([ganzhou_txt])[0].ok
    lib.store.close()
    _damage_pages(tmp_path / "kb" / "kb.sqlite")
    with pytest.raises(KBCorruptError) as info:
        _lib(tmp_path / "kb")
    message = str(info.value)
    assert "知识库文件已损坏" in message and "kb.sqlite" in message and "页面损坏" in message
    assert "DatabaseError" not in message


def test_a_second_store_on_the_same_file_keeps_the_first_ones_writes(tmp_path):
    """Opening a second Store in the same process must not drop the first one's SQLite locks: if it did,
    another process closing last would checkpoint and delete the WAL under the first one's connection,
    and the first one's later writes would be lost (the SIGKILL-ingest test met a malformed KB)."""
    path = tmp_path / "kb.sqlite"
    first = Store(path)
    writer = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode = WAL')\n"
        "conn.execute('INSERT INTO meta VALUES (?, ?)', (sys.argv[2], 'x' * 4000))\n"
        "conn.close()\n"
    )
    expected = set()
    for round_ in range(12):
        with first.transaction() as cur:
            cur.executemany("INSERT INTO meta VALUES (?, ?)", [(f"first-{round_}-{i}", "y" * 4000) for i in range(20)])
        expected |= {f"first-{round_}-{i}" for i in range(20)}
        Store(path).close()  # e.g. a reload or a side log opening the same KB
        subprocess.run([sys.executable, "-c", writer, str(path), f"other-{round_}"], check=True, timeout=60)
        expected.add(f"other-{round_}")
    first.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {row[0] for row in conn.execute("SELECT key FROM meta")}
    assert expected <= keys, f"{len(expected - keys)} writes lost"


@pytest.mark.parametrize("content", [b"x", b"not a database at all", b"\x00" * 64])
def test_short_files_that_are_not_sqlite_are_reported(tmp_path, content):
    path = tmp_path / "kb.sqlite"
    path.write_bytes(content)
    with pytest.raises(KBCorruptError, match="不是 SQLite"):
        Store(path)
    assert path.read_bytes() == content
