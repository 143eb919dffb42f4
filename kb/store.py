"""The SQLite store: documents, clauses, task rows and incentives, one transaction per document.

A new KB file is built complete in a temporary file and linked into place, so two processes that open
a new KB folder at once both end up with one file holding the schema (never a half-made one), and a
KB file that exists but is empty or not SQLite is damage to report, never a KB to start afresh.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from kb.errors import KBCorruptError, KBVersionError
from kb.models import Amount, Clause, Document, Incentive, ParsedDocument, Target, TaskRow, Tier, Validity

SCHEMA_VERSION = 2

#: header fields an administrator may correct (kept apart, applied after every parse)
CORRECTABLE = ("title", "number", "issuer", "issue_date", "valid_from", "valid_to")

# version 2: documents can be disabled and their header corrected; both survive re-ingest (no cascade)
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS doc_state (
    doc_id TEXT PRIMARY KEY, disabled INTEGER NOT NULL DEFAULT 0, changed_by TEXT NOT NULL, changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doc_corrections (
    doc_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, original TEXT NOT NULL,
    sha256 TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at TEXT NOT NULL, PRIMARY KEY (doc_id, field)
);
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, number TEXT NOT NULL, issuer TEXT NOT NULL,
    issue_date TEXT, source_path TEXT NOT NULL, source_format TEXT NOT NULL, sha256 TEXT NOT NULL,
    text TEXT NOT NULL, validity TEXT NOT NULL, warnings TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clauses (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, label TEXT NOT NULL, level INTEGER NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, path TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    parent_id TEXT, lead_units TEXT NOT NULL, responsible_units TEXT NOT NULL, amounts TEXT NOT NULL,
    dates TEXT NOT NULL, targets TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, seq);
CREATE TABLE IF NOT EXISTS task_rows (
    row_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    number TEXT NOT NULL, section TEXT NOT NULL, task TEXT NOT NULL, content TEXT NOT NULL,
    lead_units TEXT NOT NULL, responsible_units TEXT NOT NULL, clause_id TEXT NOT NULL, linked_clause_id TEXT
);
CREATE TABLE IF NOT EXISTS incentives (
    clause_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unit_roles (
    unit TEXT NOT NULL, role TEXT NOT NULL, clause_id TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS unit_roles_unit ON unit_roles(unit);
""" + _SCHEMA_V2


_NOT_A_DATABASE = 26  # SQLITE_NOTADB
_SMALLEST_DATABASE = 512  # one page of the smallest page size
_DAMAGE_CODES = {11, _NOT_A_DATABASE}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary codes; extended codes add high bits)
_F = TypeVar("_F", bound=Callable[..., Any])


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _DAMAGE_CODES
    text = str(exc)
    return "malformed" in text or "not a database" in text


def _damage_reason(exc: sqlite3.DatabaseError) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) == _NOT_A_DATABASE:
        return "不是 SQLite 数据库文件"
    return f"数据库页面损坏：{exc}"


def _reports_damage(method: _F) -> _F:
    """A damaged page met while reading or writing becomes a KBCorruptError naming the file."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise KBCorruptError(str(self.path), f"数据库页面损坏：{exc}") from exc
            raise

    return wrapper  # type: ignore[return-value]


class Store:
    """A SQLite file holding the knowledge base; safe to read from several threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # one connection per thread: readers never see an open write
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        if not self.path.exists():
            self._create()
        self._check_file()
        try:
            self._check_version()
        except sqlite3.DatabaseError as exc:
            self.close()
            if _is_damage(exc):
                raise KBCorruptError(str(self.path), _damage_reason(exc)) from exc
            raise

    def _create(self) -> None:
        """Build the schema in a private temporary file, then link it into place unless another process
        got there first (os.link never replaces): concurrent first use sees one complete KB file."""
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA.strip().split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                conn.execute("INSERT INTO meta VALUES ('generation', '0')")
                conn.execute("COMMIT")
            finally:
                conn.close()
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process created the KB first: use theirs
            except OSError:  # a filesystem without hard links
                if not self.path.exists():
                    os.replace(tmp, self.path)
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)

    def _check_file(self) -> None:
        """An existing KB file that is empty is damage, reported by name. Only stat() is used: opening
        and closing the file here would drop this process's POSIX locks on it (SQLite's own connections
        to it included), so another process closing last would checkpoint and delete the WAL under a
        live connection and its writes would be lost. A file that is not SQLite is reported by SQLite."""
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise KBCorruptError(str(self.path), f"无法读取：{exc.strerror or exc}") from exc
        if size == 0:
            raise KBCorruptError(str(self.path), "文件为空，0 字节")
        if size < _SMALLEST_DATABASE:  # SQLite would take a 1-byte file for an empty database
            raise KBCorruptError(str(self.path), f"不是 SQLite 数据库文件（仅 {size} 字节）")

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
            except sqlite3.DatabaseError:
                conn.close()
                raise
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _check_version(self) -> None:
        try:
            has_meta = self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise KBCorruptError(str(self.path), _damage_reason(exc)) from exc
        if has_meta:
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            found = int(row[0]) if row and str(row[0]).isdigit() else (row[0] if row else None)
            if found == 1:
                self._migrate_from_1()
                return
            if found != SCHEMA_VERSION:
                self._raise_if_damaged()  # a damaged meta page reads as a missing or odd version
                raise KBVersionError(
                    f"知识库 {self.path} 的数据格式版本为 {found}，本程序需要版本 {SCHEMA_VERSION}。"
                    f"请删除该目录后重新导入文件（policykb ingest），或使用 --kb 指定新的目录。"
                )
            return
        with self.transaction() as cur:  # an SQLite file with no tables at all (made by another tool)
            if cur.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]:
                self._raise_if_damaged()
                raise KBVersionError(f"{self.path} 不是 policykb 知识库（缺少版本信息），请使用 --kb 指定新的目录。")
            for statement in _SCHEMA.strip().split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            cur.execute("INSERT INTO meta VALUES ('generation', '0')")

    def _migrate_from_1(self) -> None:
        """Version 1 -> 2 in place, in one transaction: add the disabled-state and corrections tables.
        A second process migrating at the same moment finds version 2 inside its own transaction."""
        with self.transaction() as cur:
            row = cur.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row and row[0] == "1":
                for statement in _SCHEMA_V2.strip().split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def _raise_if_damaged(self) -> None:
        """Run SQLite's own check (only on the error path: it reads the whole file)."""
        try:
            rows = [r[0] for r in self._conn.execute("PRAGMA quick_check(5)").fetchall()]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            detail = " ".join(r.replace("\n", " ") for r in rows if not r.startswith("***"))
            raise KBCorruptError(str(self.path), f"数据库页面损坏：{detail[:200]}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- writing ---------------------------------------------------------------------------------
    @_reports_damage
    def save(self, parsed: ParsedDocument, ingested_at: str) -> None:
        """Replace the document (same doc_id) with `parsed`, all or nothing."""
        doc = parsed.document
        with self.transaction() as cur:
            cur.execute("DELETE FROM documents WHERE doc_id = ?", (doc.doc_id,))
            cur.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.title, doc.number, doc.issuer, doc.issue_date, doc.source_path, doc.source_format,
                 doc.sha256, doc.text, _dumps([asdict(v) for v in doc.validity]), _dumps(doc.warnings), ingested_at),
            )
            for c in parsed.clauses:
                cur.execute(
                    'INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
                    (c.clause_id, c.doc_id, c.seq, c.label, c.level, c.kind, c.title, _dumps(c.path), c.text, c.start,
                     c.end, c.parent_id, _dumps(c.lead_units), _dumps(c.responsible_units),
                     _dumps([asdict(a) for a in c.amounts]), _dumps(c.dates), _dumps([asdict(t) for t in c.targets])),
                )
            for r in parsed.task_rows:
                cur.execute(
                    "INSERT INTO task_rows VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (r.row_id, r.doc_id, r.number, r.section, r.task, r.content, _dumps(r.lead_units),
                     _dumps(r.responsible_units), r.clause_id, r.linked_clause_id),
                )
            for inc in parsed.incentives:
                cur.execute("INSERT INTO incentives VALUES (?,?,?)", (inc.clause_id, doc.doc_id, _dumps(asdict(inc))))
            self._apply_corrections(cur, doc.doc_id)
            for c in parsed.clauses:
                for unit in c.lead_units:
                    cur.execute("INSERT INTO unit_roles VALUES (?,?,?,?)", (unit, "lead", c.clause_id, doc.doc_id))
                for unit in c.responsible_units:
                    cur.execute("INSERT INTO unit_roles VALUES (?,?,?,?)", (unit, "shared", c.clause_id, doc.doc_id))
            cur.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @_reports_damage
    def remove(self, doc_id: str) -> bool:
        with self.transaction() as cur:
            cur.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            removed = cur.rowcount > 0
            cur.execute("DELETE FROM doc_state WHERE doc_id = ?", (doc_id,))  # a removed document comes back on
            cur.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return removed

    @staticmethod
    def _apply_corrections(cur: sqlite3.Cursor, doc_id: str) -> None:
        """Write the administrator's header corrections over the parsed header (inside the caller's
        transaction): a re-ingest of the same document keeps them."""
        fields = dict(cur.execute("SELECT field, value FROM doc_corrections WHERE doc_id = ?", (doc_id,)).fetchall())
        for name in ("title", "number", "issuer", "issue_date"):
            if name in fields:
                cur.execute(f"UPDATE documents SET {name} = ? WHERE doc_id = ?", (fields[name] or None
                            if name == "issue_date" else fields[name], doc_id))
        if "valid_from" in fields or "valid_to" in fields:
            start, end = fields.get("valid_from") or None, fields.get("valid_to") or None
            statements = []
            if start or end:
                period = f"{start or '（未载明）'}至{end or '（未载明）'}"
                statements = [asdict(Validity(text=f"有效期为{period}（管理员更正）", scope="全文", start_date=start,
                                              end_date=end))]
            cur.execute("UPDATE documents SET validity = ? WHERE doc_id = ?", (_dumps(statements), doc_id))

    @_reports_damage
    def correct(self, doc_id: str, fields: dict[str, str], actor: str, at: str) -> dict[str, tuple[str, str]]:
        """Record header corrections for ``doc_id`` and apply them now; returns {field: (before, after)}.
        An empty value for a field withdraws its correction only when given as None."""
        unknown = sorted(set(fields) - set(CORRECTABLE))
        if unknown:
            raise ValueError(f"不能更正的字段：{'、'.join(unknown)}")
        changes: dict[str, tuple[str, str]] = {}
        with self.transaction() as cur:
            row = cur.execute("SELECT title, number, issuer, issue_date, validity, sha256 FROM documents WHERE doc_id = ?",
                              (doc_id,)).fetchone()
            if row is None:
                raise KeyError(doc_id)
            validity = json.loads(row[4])
            current = {"title": row[0], "number": row[1], "issuer": row[2], "issue_date": row[3] or "",
                       "valid_from": next((v["start_date"] for v in validity if v.get("start_date")), "") or "",
                       "valid_to": next((v["end_date"] for v in validity if v.get("end_date")), "") or ""}
            for name, value in fields.items():
                before = current[name]
                if value is None:
                    cur.execute("DELETE FROM doc_corrections WHERE doc_id = ? AND field = ?", (doc_id, name))
                    continue
                if value == before:
                    continue
                cur.execute("INSERT INTO doc_corrections VALUES (?,?,?,?,?,?,?) ON CONFLICT (doc_id, field) DO UPDATE"
                            " SET value = excluded.value, changed_by = excluded.changed_by,"
                            " changed_at = excluded.changed_at",
                            (doc_id, name, value, before, row[5], actor, at))
                changes[name] = (before, value)
            self._apply_corrections(cur, doc_id)
            cur.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        return changes

    @_reports_damage
    def corrections(self, doc_id: str | None = None) -> list[dict[str, str]]:
        """The stored corrections (all documents, or one), oldest first."""
        sql = "SELECT doc_id, field, value, original, sha256, changed_by, changed_at FROM doc_corrections"
        rows = (self._conn.execute(sql + " WHERE doc_id = ? ORDER BY changed_at", (doc_id,)) if doc_id
                else self._conn.execute(sql + " ORDER BY changed_at")).fetchall()
        keys = ("doc_id", "field", "value", "original", "sha256", "changed_by", "changed_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    @_reports_damage
    def set_disabled(self, doc_id: str, disabled: bool, actor: str, at: str) -> None:
        """Switch a document off (its clauses leave answers, search and unit pages) or on again."""
        with self.transaction() as cur:
            cur.execute("INSERT INTO doc_state VALUES (?,?,?,?) ON CONFLICT (doc_id) DO UPDATE SET"
                        " disabled = excluded.disabled, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                        (doc_id, int(bool(disabled)), actor, at))
            cur.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    @_reports_damage
    def disabled_ids(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT doc_id FROM doc_state WHERE disabled = 1")}

    @_reports_damage
    def ingested_at(self) -> dict[str, str]:
        """doc_id -> when it was last stored."""
        return dict(self._conn.execute("SELECT doc_id, ingested_at FROM documents").fetchall())

    # -- reading ---------------------------------------------------------------------------------
    @_reports_damage
    def generation(self) -> int:
        """Bumped by every write: the indexes record it to detect that they are stale."""
        return int(self._conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])

    @_reports_damage
    def documents(self) -> list[Document]:
        rows = self._conn.execute(
            "SELECT doc_id, title, number, issuer, issue_date, source_path, source_format, sha256, text, validity,"
            " warnings FROM documents ORDER BY ingested_at, doc_id"
        ).fetchall()
        return [self._document(r) for r in rows]

    @_reports_damage
    def document(self, doc_id: str) -> Document | None:
        row = self._conn.execute(
            "SELECT doc_id, title, number, issuer, issue_date, source_path, source_format, sha256, text, validity,"
            " warnings FROM documents WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        return self._document(row) if row else None

    @staticmethod
    def _document(r: tuple) -> Document:
        return Document(
            doc_id=r[0], title=r[1], number=r[2], issuer=r[3], issue_date=r[4], source_path=r[5], source_format=r[6],
            sha256=r[7], text=r[8], validity=[Validity(**v) for v in json.loads(r[9])], warnings=json.loads(r[10]),
        )

    @_reports_damage
    def clauses(self, doc_id: str | None = None) -> list[Clause]:
        sql = (
            'SELECT clause_id, doc_id, label, level, kind, title, path, text, start, "end", seq, parent_id,'
            " lead_units, responsible_units, amounts, dates, targets FROM clauses"
        )
        if doc_id:
            rows = self._conn.execute(sql + " WHERE doc_id = ? ORDER BY seq", (doc_id,)).fetchall()
        else:
            rows = self._conn.execute(sql + " ORDER BY doc_id, seq").fetchall()
        return [self._clause(r) for r in rows]

    @staticmethod
    def _clause(r: tuple) -> Clause:
        return Clause(
            clause_id=r[0], doc_id=r[1], label=r[2], level=r[3], kind=r[4], title=r[5], path=json.loads(r[6]),
            text=r[7], start=r[8], end=r[9], seq=r[10], parent_id=r[11], lead_units=json.loads(r[12]),
            responsible_units=json.loads(r[13]), amounts=[Amount(**a) for a in json.loads(r[14])],
            dates=json.loads(r[15]), targets=[Target(**t) for t in json.loads(r[16])],
        )

    @_reports_damage
    def task_rows(self, doc_id: str | None = None) -> list[TaskRow]:
        sql = (
            "SELECT row_id, doc_id, number, section, task, content, lead_units, responsible_units, clause_id,"
            " linked_clause_id FROM task_rows"
        )
        rows = (
            self._conn.execute(sql + " WHERE doc_id = ?", (doc_id,)).fetchall()
            if doc_id
            else self._conn.execute(sql).fetchall()
        )
        out = [
            TaskRow(row_id=r[0], doc_id=r[1], number=r[2], section=r[3], task=r[4], content=r[5],
                    lead_units=json.loads(r[6]), responsible_units=json.loads(r[7]), clause_id=r[8],
                    linked_clause_id=r[9])
            for r in rows
        ]
        out.sort(key=lambda t: (t.doc_id, int(t.number) if t.number.isdigit() else 0))
        return out

    @_reports_damage
    def incentives(self) -> list[Incentive]:
        out = []
        for (data,) in self._conn.execute("SELECT data FROM incentives").fetchall():
            raw = json.loads(data)
            raw["tiers"] = [Tier(**t) for t in raw["tiers"]]
            out.append(Incentive(**raw))
        return out

    @_reports_damage
    def unit_roles(self) -> list[tuple[str, str, str, str]]:
        """(unit, role, clause_id, doc_id) for every unit named in a clause or row."""
        return [tuple(r) for r in self._conn.execute("SELECT unit, role, clause_id, doc_id FROM unit_roles")]

    @_reports_damage
    def counts(self, doc_id: str) -> tuple[int, int]:
        clauses = self._conn.execute("SELECT count(*) FROM clauses WHERE doc_id = ?", (doc_id,)).fetchone()[0]
        rows = self._conn.execute("SELECT count(*) FROM task_rows WHERE doc_id = ?", (doc_id,)).fetchone()[0]
        return clauses, rows
