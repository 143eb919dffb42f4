"""One SQLite connection to the KB file for the tables that are not documents (users, audit log).

kb/store.py owns the document tables; these modules keep their own tables in the same file through
their own connection, so a KB folder stays one file to back up. With $POLICYKB_DATABASE set (the CLI's
``--database`` sets it) the tables are in that PostgreSQL database instead (kb.pgstore.PgSideDB).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

DATABASE_ENV = "POLICYKB_DATABASE"  # as indexing.backend.DATABASE_ENV (not imported: it loads faiss)


class Serialised:
    """One connection behind one lock; each call is its own transaction (``_conn`` is set by a subclass)."""

    _conn: sqlite3.Connection
    _lock: threading.Lock

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def write(self, sql: str, args: tuple = ()) -> int:
        """Run one statement in its own transaction; returns the number of rows changed."""
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class SideDB(Serialised):
    """A serialised connection (one lock) to ``path``; each call is its own transaction."""

    def __new__(cls, path: str | Path, schema: str):
        database = os.environ.get(DATABASE_ENV)
        if database:  # one setting moves every table of the KB
            from kb.pgstore import PgSideDB

            return PgSideDB(database, schema)
        return super().__new__(cls)

    def __init__(self, path: str | Path, schema: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode = WAL")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in schema.strip().split(";\n"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
