"""One SQLite connection to the KB file for the tables that are not documents (users, audit log).

kb/store.py owns the document tables; these modules keep their own tables in the same file through
their own connection, so a KB folder stays one file to back up.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class SideDB:
    """A serialised connection (one lock) to ``path``; each call is its own transaction."""

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
