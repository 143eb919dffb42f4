"""Copy a SQLite KB folder into the PostgreSQL store and index (issue 14): ``policykb migrate``.

Every table of ``<kb>/kb.sqlite`` (documents, clauses, rows, fields, corrections, users, audit log,
feedback, API keys, conversations, upload batches, curated answers) goes to the store schema
(``kb.pgstore.STORE_SCHEMA``), each document's source file to the ``originals`` table, and a search index
version is built for it (``indexing.pg_backend``), taking the vectors of the KB's own index folder when
they were made by the same model (the embedding cache is keyed by model and text, so another model's
vectors never match). The index version is written first, unpublished; then one transaction on its
connection copies the tables and makes the version live: a failure anywhere leaves the target as it was
(the unpublished version is dropped). A target that already holds a KB is refused, naming what it
holds, unless ``replace`` is given.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

import kb.retriever
from indexing import get_embedder
from indexing.backend import redact_url
from indexing.pg_backend import DEFAULT_SCHEMA, PgBackend
from kb.errors import PolicyKBError
from kb.library import Library
from kb.pgstore import _ORIGINALS, _WRITE_LOCK, STORE_SCHEMA, _lock_key, _read_original, translate_schema
from kb.retriever import Retriever, domain_terms, passage_meta, passage_of
from kb.store import _SCHEMA, SCHEMA_VERSION, Store


class MigrateError(PolicyKBError):
    """The migration was refused or failed; the target database is unchanged."""


@dataclass
class MigrateReport:
    source: str
    target: str  # the URL without its password
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    originals: int = 0
    passages: int = 0
    embedded_new: int = 0  # passages embedded afresh (the rest came from the KB's index folder)
    generation: int = 0
    seconds: float = 0.0

    @property
    def reused(self) -> int:
        return self.passages - self.embedded_new


def side_schemas() -> dict[str, str]:
    """module -> SQLite schema script of every side table kept beside the documents (kb.sidedb users)."""
    from kb import accounts, apikeys, audit, conversation, curated, feedback, uploadlog

    return {m.__name__: m._SCHEMA for m in (accounts, apikeys, audit, conversation, curated, feedback, uploadlog)}


def _target_ddl() -> list[str]:
    statements = translate_schema(_SCHEMA) + [_ORIGINALS]
    for schema in side_schemas().values():
        statements += translate_schema(schema)
    return statements


def _target_tables() -> list[str]:
    """Every table the target's schema defines (a side table the source never made may hold rows there)."""
    found = []
    for statement in _target_ddl():
        m = re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def _source_tables(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """(table, columns) in creation order (a referenced table before the tables that reference it)."""
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    return [(n, [c[1] for c in conn.execute(f'PRAGMA table_info("{n}")')]) for n in names]


def _table(name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(STORE_SCHEMA), sql.Identifier(name))


def _occupied(conn: psycopg.Connection, tables: list[str], index_name: str, index_schema: str) -> dict[str, int]:
    """Tables of the target that hold rows (meta aside), and its live search index: what --replace replaces."""
    found: dict[str, int] = {}
    for name in tables:
        if name == "meta":
            continue
        exists = conn.execute("SELECT to_regclass(%s)", (f'{STORE_SCHEMA}."{name}"',)).fetchone()
        if exists and exists[0] is not None:
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(name))).fetchone()[0]
            if count:
                found[name] = int(count)
    live = conn.execute("SELECT to_regclass(%s)", (f"{index_schema}.live",)).fetchone()
    if live and live[0] is not None:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}.live WHERE name = %s")
                           .format(sql.Identifier(index_schema)), (index_name,)).fetchone()
        if row and row[0]:
            found[f"检索索引 {index_name}"] = 1
    return found


def _generation(conn: psycopg.Connection) -> int:
    exists = conn.execute("SELECT to_regclass(%s)", (f"{STORE_SCHEMA}.meta",)).fetchone()
    if not exists or exists[0] is None:
        return 0
    row = conn.execute(sql.SQL("SELECT value FROM {} WHERE key = 'generation'").format(_table("meta"))).fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else 0


class _AtGeneration:
    """The source library as the target will be: the same clauses at the target's new store generation
    (the index's kb_version names the generation)."""

    def __init__(self, library: Library, generation: int) -> None:
        self._library, self.generation, self.database = library, generation, None

    def __getattr__(self, name: str):
        return getattr(self._library, name)


def migrate(kb_dir: str | Path, url: str, *, replace: bool = False, model: str | None = None,
            progress: Callable[[str], None] | None = None) -> MigrateReport:
    """Copy the SQLite KB in ``kb_dir`` into the PostgreSQL database at ``url`` and publish its index."""
    started = time.perf_counter()
    say = progress or (lambda _text: None)
    model = model or kb.retriever.DEFAULT_MODEL  # read now: tests and the CLI may set it
    shown = redact_url(url)
    folder = Path(kb_dir)
    path = folder / "kb.sqlite"
    if not path.is_file():
        raise MigrateError(f"找不到要迁移的知识库：{path} 不存在（--from 应为含 kb.sqlite 的知识库目录）")
    Store(path).close()  # damage and schema version are reported here, by name (a version 1 file is upgraded)
    report = MigrateReport(source=str(folder), target=shown)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = _source_tables(source)
        version = dict(source.execute("SELECT key, value FROM meta").fetchall())
        if version.get("schema_version") != str(SCHEMA_VERSION):
            raise MigrateError(f"知识库 {path} 的数据格式版本为 {version.get('schema_version')}，"
                               f"需要版本 {SCHEMA_VERSION}")
        library = Library(folder, database="")  # the SQLite store, whatever $POLICYKB_DATABASE says
        try:
            _migrate(library, source, tables, url, replace, model, report, say)
        finally:
            library.store.close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise MigrateError(f"迁移到数据库 {shown} 失败，目标数据库未改动：{reason}") from exc
    finally:
        source.close()
    report.seconds = time.perf_counter() - started
    return report


def _migrate(library: Library, source: sqlite3.Connection, tables: list[tuple[str, list[str]]], url: str,
             replace: bool, model: str, report: MigrateReport, say: Callable[[str], None]) -> None:
    shown = report.target
    names = [t for t, _ in tables] + [t for t in _target_tables() if t not in {n for n, _ in tables}]
    embedder = get_embedder(model)
    retriever = Retriever(library, model, database="")
    backend = PgBackend(url, name=model)  # the index schema, once (an empty one changes nothing a reader sees)
    with psycopg.connect(url, autocommit=True) as probe:
        held = _occupied(probe, names, backend.name, DEFAULT_SCHEMA)
        target_generation = _generation(probe)
    if held and not replace:
        raise MigrateError(_refusal(shown, held, report.source))
    read_generation = generation = library.store.generation()  # what the index below is built from
    if held:  # a server still on the old KB must see a new generation, never an old number again
        generation = max(generation, target_generation + 1)
    report.generation = generation
    clauses = retriever._indexed_clauses()
    passages = [passage_of(library, c) for c in clauses]
    metas = {c.clause_id: passage_meta(library, c) for c in clauses}
    kb_version = Retriever(_AtGeneration(library, generation), model, database="")._kb_version(clauses)  # type: ignore[arg-type]
    say(f"建立检索索引：{len(passages)} 段（模型 {model}，沿用 {retriever.folder} 中同一模型的向量）")
    pending = backend.build_version(passages, embedder, domain_terms(clauses), kb_version, metas=metas,
                                    reuse=retriever.folder)
    report.passages, report.embedded_new = len(passages), pending.manifest.embedded_new
    conn = pending.conn
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("policykb-store-schema"),))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(_WRITE_LOCK),))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(STORE_SCHEMA)))
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(STORE_SCHEMA)))
            now_held = _occupied(conn, names, backend.name, DEFAULT_SCHEMA)
            if now_held and not replace:  # written to since the check above
                raise MigrateError(_refusal(shown, now_held, report.source))
            if replace and _generation(conn) != target_generation:
                raise MigrateError(f"数据库 {shown} 在迁移期间被写入，已放弃本次迁移，目标数据库未改动；请重试。")
            for statement in _target_ddl():
                conn.execute(statement)
            _check_columns(conn, tables, shown)
            say(f"复制数据表到 {shown}：{len(tables)} 张表")
            conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(
                sql.SQL(", ").join(_table(n) for n in names)))
            source.execute("BEGIN")  # one snapshot of the file for every table
            try:
                row = source.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                if int(row[0]) != read_generation:
                    raise MigrateError(f"知识库 {report.source} 在迁移期间被修改（例如有上传），已放弃本次迁移，"
                                       "目标数据库未改动；请先停止使用该目录的服务再迁移。")
                _copy_rows(conn, source, tables, report)
            finally:
                source.execute("COMMIT")
            conn.execute(sql.SQL("UPDATE {} SET value = %s WHERE key = 'generation'").format(_table("meta")),
                         (str(generation),))
            report.originals = _copy_originals(conn, library)
            _reset_identities(conn)
            backend.make_live(pending)
    except BaseException:
        conn.close()  # the unpublished version's lock is free: cleanup drops it
        backend.cleanup()
        raise
    conn.close()
    backend.cleanup()


def _refusal(shown: str, held: dict[str, int], source: str) -> str:
    listed = "、".join(f"{name} {count} 行" if not name.startswith("检索索引") else name
                      for name, count in sorted(held.items()))
    return (f"目标数据库 {shown} 已有知识库内容（{listed}），未做任何改动。"
            f"如要用 {source} 的内容整体替换，请加 --replace。")


def _check_columns(conn: psycopg.Connection, tables: list[tuple[str, list[str]]], shown: str) -> None:
    """Every source table and column has its place in the target (else nothing is copied)."""
    for name, columns in tables:
        have = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            (STORE_SCHEMA, name)).fetchall()}
        if not have:
            raise MigrateError(f"知识库中的表 {name} 在数据库 {shown} 中没有对应的表，未做任何改动。")
        missing = [c for c in columns if c not in have]
        if missing:
            raise MigrateError(f"知识库中表 {name} 的列 {'、'.join(missing)} 在数据库 {shown} 中没有对应的列，"
                               "未做任何改动。")


def _copy_rows(conn: psycopg.Connection, source: sqlite3.Connection, tables: list[tuple[str, list[str]]],
               report: MigrateReport) -> None:
    for name, columns in tables:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        quoted = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(_table(name), cols)) as copy:
            for row in source.execute(f'SELECT {quoted} FROM "{name}"'):
                copy.write_row(row)
                count += 1
        report.rows[name] = count


def _copy_originals(conn: psycopg.Connection, library: Library) -> int:
    """Each document's source file as kb.pgstore.PgStore.save keeps it (when still readable here)."""
    import hashlib

    kept = 0
    for doc in library.all_documents():
        original = _read_original(doc.source_path)
        if original is None:
            continue
        name, data = original
        conn.execute(sql.SQL("INSERT INTO {} (doc_id, sha256, name, data) VALUES (%s, %s, %s, %s)")
                     .format(_table("originals")), (doc.doc_id, hashlib.sha256(data).hexdigest(), name, data))
        kept += 1
    return kept


def _reset_identities(conn: psycopg.Connection) -> None:
    """Identity columns continue after the copied keys (rows were written with their own ids)."""
    rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = %s AND is_identity = 'YES'", (STORE_SCHEMA,)).fetchall()
    for table, column in rows:
        conn.execute(sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), "
                             "coalesce((SELECT max({}) FROM {}), 0) + 1, false)")
                     .format(sql.Identifier(column), _table(table)),
                     (f'{STORE_SCHEMA}."{table}"', column))
