"""PostgreSQL + pgvector search backend: the embedded index's own numbers, kept in a shared database.

Per index ``name`` (the embedding model) a schema holds::

    versions(id, name, state, created, manifest, user_terms)   state: building -> ready -> live -> old
    live(name, version_id)                                      the pointer readers follow
    passages_<id>(row, clause_id, doc_id, chapter_keys, units, valid_from, valid_to, embed_key, embedding)
    postings_<id>(term, row, weight)                            policykb's jieba tokens, BM25 weight per tf

BM25 is scored in SQL from the weights :class:`~indexing.bm25.BM25Index` computed, summed in the query's
term order (``sum(... ORDER BY pos)``), so scores are bit-for-bit the embedded ones. Vectors sit in a
pgvector column; above ``hnsw_threshold`` rows the version gets an HNSW index (the embedded index's
faiss threshold and parameters), below it search is exact. Filters are SQL conditions on the passage
table. A build writes its tables in its own transaction while holding an advisory lock; publishing swaps
``live`` in one transaction, so a reader sees the old version or the new one, never a mix; a build whose
process died (lock free, never published) is dropped by :meth:`PgBackend.cleanup`.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psycopg
from psycopg import sql

from indexing.backend import PassageMeta, SearchFilter
from indexing.bm25 import BM25Index
from indexing.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, HNSW_THRESHOLD
from indexing.embedders import Embedder
from indexing.hybrid import (
    FusionParams,
    Hit,
    Mode,
    Passage,
    _load_embedding_cache,
    check_version,
    embed_with_cache,
    embedding_keys,
    fuse,
    fusion_of,
    lexical_index,
    new_manifest,
)
from indexing.store import (
    KEEP_OLD_VERSIONS,
    IndexMissingError,
    Manifest,
    StaleIndexError,
)
from indexing.tokenizer import Tokenizer

DEFAULT_SCHEMA = "policykb"
TEMPORARY_MAX_CONNECTIONS = 300
#: thread -> {dsn: connection}: the read connection every open index of this process shares on a thread,
#: so that a new version (after an upload) adds no connection per request thread
_READERS = threading.local()
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def _vector_text(vec: np.ndarray) -> str:
    """pgvector's text form; float32 -> shortest float64 repr -> strtof gives the same float32 back."""
    return "[" + ",".join(map(repr, vec.astype(np.float32).tolist())) + "]"


def _vector_from_binary(data: bytes) -> np.ndarray:
    """pgvector's binary form: int16 dim, int16 unused, dim big-endian float32."""
    dim = int.from_bytes(data[:2], "big")
    return np.frombuffer(data, dtype=">f4", count=dim, offset=4).astype(np.float32)


@dataclass
class PendingVersion:
    """A built, unpublished version; its builder's connection holds the advisory lock until publish."""

    version_id: int
    manifest: Manifest
    conn: psycopg.Connection


class PgBackend:
    """The search side on PostgreSQL (needs the ``vector`` extension; created if the role may)."""

    def __init__(
        self,
        dsn: str,
        name: str = "e5",
        schema: str = DEFAULT_SCHEMA,
        hnsw_threshold: int = HNSW_THRESHOLD,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        slug = re.sub(r"[^a-z0-9_]", "_", name.lower())
        if not _NAME.match(schema):
            raise ValueError(f"不合法的数据库模式名：{schema!r}")
        self.dsn, self.name, self.schema = dsn, slug, schema
        self.hnsw_threshold = hnsw_threshold
        self.progress = progress
        with self._connect() as conn:
            self._ensure_schema(conn)

    # ------------------------------------------------------------------ plumbing

    def _connect(self, autocommit: bool = True) -> psycopg.Connection:
        try:
            return psycopg.connect(self.dsn, autocommit=autocommit)
        except psycopg.OperationalError as exc:
            raise StaleIndexError(f"无法连接检索数据库：{exc}") from exc

    def _t(self, table: str, version_id: int | None = None) -> sql.Composed:
        name = table if version_id is None else f"{table}_{int(version_id)}"
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def _ensure_schema(self, conn: psycopg.Connection) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('policykb-schema'))")
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, name text NOT NULL, "
                    "state text NOT NULL, created timestamptz NOT NULL DEFAULT now(), "
                    "manifest jsonb NOT NULL, user_terms jsonb NOT NULL)"
                ).format(self._t("versions"))
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, version_id bigint NOT NULL REFERENCES {})"
                ).format(self._t("live"), self._t("versions"))
            )

    def _lock_key(self) -> int:
        return hash_key(f"{self.schema}.{self.name}")

    # ------------------------------------------------------------------ build / publish

    def build_version(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        user_terms: Iterable[str],
        kb_version: str,
        *,
        metas: Mapping[str, PassageMeta] | None = None,
        fusion: FusionParams | None = None,
        reuse: bool | str | Path = True,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> PendingVersion:
        """Write a complete new version beside the live one (not yet visible to readers).

        ``reuse``: take unchanged passages' vectors from the live version here (True), and also from an
        embedded index root (a path), or embed everything (False); ``vectors``: more key -> vector pairs
        computed elsewhere (bulk ingest's workers).
        """
        fusion = fusion or FusionParams()
        _, tokenizer, bm25 = lexical_index(passages, user_terms)
        cached = self.cached_vectors(embedding_keys(passages, embedder), embedder) if reuse else {}
        if reuse and reuse is not True:
            cached = _load_embedding_cache(reuse, embedder) | cached
        if vectors:
            cached = cached | dict(vectors)
        vectors, keys, embedded_new = embed_with_cache(passages, embedder, cached, self.progress)
        approximate = len(passages) > self.hnsw_threshold
        manifest = new_manifest(embedder, tokenizer, kb_version, fusion, clause_count=len(passages),
                                approximate=approximate, embedded_new=embedded_new)
        conn = self._connect()
        try:
            row = conn.execute(
                sql.SQL("INSERT INTO {} (name, state, manifest, user_terms) VALUES (%s, 'building', %s, %s) "
                        "RETURNING id").format(self._t("versions")),
                (self.name, manifest.to_json(), json.dumps(list(tokenizer.user_terms), ensure_ascii=False)),
            ).fetchone()
            assert row is not None
            vid = int(row[0])
            # held until publish (or until this process dies: then cleanup may drop the version)
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (self._lock_key(), vid))
            with conn.transaction():
                self._write_tables(conn, vid, passages, metas or {}, keys, vectors, bm25, approximate)
                conn.execute(sql.SQL("UPDATE {} SET state = 'ready' WHERE id = %s").format(self._t("versions")),
                             (vid,))
        except BaseException:
            conn.close()
            raise
        return PendingVersion(vid, manifest, conn)

    def _write_tables(
        self,
        conn: psycopg.Connection,
        vid: int,
        passages: Sequence[Passage],
        metas: Mapping[str, PassageMeta],
        keys: list[str],
        vectors: np.ndarray,
        bm25: BM25Index,
        approximate: bool,
    ) -> None:
        dim = vectors.shape[1]
        p_t, q_t = self._t("passages", vid), self._t("postings", vid)
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (row integer PRIMARY KEY, clause_id text NOT NULL UNIQUE, doc_id text NOT NULL, "
                "chapter_keys text[] NOT NULL, units text[] NOT NULL, valid_from date, valid_to date, "
                "embed_key text NOT NULL, embedding vector({}) NOT NULL)"
            ).format(p_t, sql.Literal(int(dim)))
        )
        conn.execute(sql.SQL("CREATE TABLE {} (term text NOT NULL, row integer NOT NULL, weight real NOT NULL)")
                     .format(q_t))
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(p_t)) as copy:
            for i, p in enumerate(passages):
                m = metas.get(p.clause_id, PassageMeta())
                copy.write_row((i, p.clause_id, p.doc_id, list(m.chapter_keys), list(m.units), m.valid_from,
                                m.valid_to, keys[i], _vector_text(vectors[i])))
        terms = [""] * len(bm25.vocab)
        for term, t in bm25.vocab.items():
            terms[t] = term
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(q_t)) as copy:
            for t, term in enumerate(terms):
                s, e = int(bm25.indptr[t]), int(bm25.indptr[t + 1])
                for doc, w in zip(bm25.doc_ids[s:e].tolist(), bm25.weights[s:e].tolist(), strict=True):
                    copy.write_row((term, doc, w))
        conn.execute(sql.SQL("CREATE INDEX ON {} (term) INCLUDE (row, weight)").format(q_t))
        conn.execute(sql.SQL("CREATE INDEX ON {} (doc_id)").format(p_t))
        if approximate:
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            conn.execute(
                sql.SQL("CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) WITH (m = {}, ef_construction = {})")
                .format(p_t, sql.Literal(HNSW_M), sql.Literal(HNSW_EF_CONSTRUCTION))
            )
        conn.execute(sql.SQL("ANALYZE {}").format(p_t))
        conn.execute(sql.SQL("ANALYZE {}").format(q_t))

    def publish(self, pending: PendingVersion) -> None:
        """Make ``pending`` the live version in one transaction; the one it replaces becomes old."""
        conn = pending.conn
        try:
            with conn.transaction():
                self.make_live(pending)
        finally:
            conn.close()  # releases the build's advisory lock

    def make_live(self, pending: PendingVersion) -> None:
        """The statements of :meth:`publish`, inside a transaction the caller holds open on ``pending.conn``
        (kb.migrate commits a copied store and its index together); the connection stays open."""
        conn = pending.conn
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key(),))
        conn.execute(sql.SQL("UPDATE {} SET state = 'old' WHERE name = %s AND state = 'live'")
                     .format(self._t("versions")), (self.name,))
        conn.execute(sql.SQL("UPDATE {} SET state = 'live' WHERE id = %s").format(self._t("versions")),
                     (pending.version_id,))
        conn.execute(
            sql.SQL("INSERT INTO {} (name, version_id) VALUES (%s, %s) "
                    "ON CONFLICT (name) DO UPDATE SET version_id = EXCLUDED.version_id")
            .format(self._t("live")),
            (self.name, pending.version_id),
        )

    def build(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        user_terms: Iterable[str],
        kb_version: str,
        *,
        metas: Mapping[str, PassageMeta] | None = None,
        fusion: FusionParams | None = None,
        reuse: bool | str | Path = True,
        vectors: Mapping[str, np.ndarray] | None = None,
    ) -> PgIndex:
        """Build, publish, clean up old versions, and open the new live version."""
        pending = self.build_version(passages, embedder, user_terms, kb_version, metas=metas, fusion=fusion,
                                     reuse=reuse, vectors=vectors)
        self.publish(pending)
        self.cleanup()
        return self.open(embedder, kb_version, pending.manifest.dictionary_hash, fusion=fusion)

    def cached_vectors(self, keys: Iterable[str], embedder: Embedder) -> dict[str, np.ndarray]:
        """key -> vector from the live version (the embedding cache keyed by passage hash)."""
        wanted, dim = sorted(set(keys)), int(embedder.dim)
        with self._connect() as conn:
            live = self._live_id(conn)
            if live is None:
                return {}
            try:
                cur = conn.cursor(binary=True)
                cur.execute(sql.SQL("SELECT embed_key, embedding FROM {} WHERE embed_key = ANY(%s)")
                            .format(self._t("passages", live)), (wanted,))
                out = {key: _vector_from_binary(data) for key, data in cur}
            except psycopg.errors.UndefinedTable:
                return {}
        return {k: v for k, v in out.items() if v.shape[0] == dim}

    # ------------------------------------------------------------------ read side

    def _live_id(self, conn: psycopg.Connection) -> int | None:
        row = conn.execute(sql.SQL("SELECT version_id FROM {} WHERE name = %s").format(self._t("live")),
                           (self.name,)).fetchone()
        return int(row[0]) if row else None

    def live_manifest(self) -> Manifest | None:
        with self._connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT v.manifest FROM {} l JOIN {} v ON v.id = l.version_id WHERE l.name = %s")
                .format(self._t("live"), self._t("versions")), (self.name,)
            ).fetchone()
        return Manifest.from_dict(row[0]) if row else None

    def open(
        self,
        embedder: Embedder,
        kb_version: str,
        dictionary_hash: str,
        *,
        clause_count: int | None = None,
        fusion: FusionParams | None = None,
        metas: Mapping[str, PassageMeta] | None = None,
    ) -> PgIndex:
        """The live version; :class:`StaleIndexError` when it was built from something else, or its
        tables do not hold what its manifest says. The index pins its version (a shared advisory lock on
        a connection of its own) until it is closed or collected: :meth:`cleanup` in any process leaves a
        pinned old version alone, so a server still reading it never finds its tables dropped."""
        pin = self._connect()
        try:
            row = pin.execute(
                sql.SQL("SELECT v.id, v.manifest, v.user_terms FROM {} l JOIN {} v ON v.id = l.version_id "
                        "WHERE l.name = %s").format(self._t("live"), self._t("versions")), (self.name,)
            ).fetchone()
            if row is None:
                raise IndexMissingError(f"no live index {self.name!r} in schema {self.schema}")
            vid, manifest, terms = int(row[0]), Manifest.from_dict(row[1]), list(row[2])
            where = f"{self.schema}.{self.name} v{vid}"
            check_version(manifest, embedder, kb_version, dictionary_hash, clause_count, where)
            pin.execute("SELECT pg_advisory_lock_shared(%s, %s)", (self._lock_key(), vid))
            try:  # pinned: from here on no cleanup drops it; it may have gone just before
                count = pin.execute(sql.SQL("SELECT count(*), max(vector_dims(embedding)) FROM {}")
                                    .format(self._t("passages", vid))).fetchone()
            except psycopg.errors.UndefinedTable as exc:
                raise StaleIndexError(f"index {where}: its tables are missing") from exc
            assert count is not None
            if int(count[0]) != manifest.clause_count or (count[0] and int(count[1]) != manifest.dim):
                raise StaleIndexError(f"index {where} is inconsistent: {count[0]} rows, "
                                      f"manifest {manifest.clause_count}")
            tokenizer = Tokenizer(terms)
            if tokenizer.dictionary_hash != manifest.dictionary_hash:
                raise StaleIndexError(f"index {where}: user_terms do not match its dictionary hash")
        except BaseException:
            pin.close()
            raise
        return PgIndex(self, vid, manifest, tokenizer, embedder, fusion, pin=pin)

    def cleanup(self, keep_old: int = KEEP_OLD_VERSIONS) -> None:
        """Drop old versions beyond the ``keep_old`` newest, and builds whose process died unpublished;
        a version that a builder or an open index (any process) still holds is left for a later cleanup."""
        with self._connect() as conn:
            rows = conn.execute(sql.SQL("SELECT id, state FROM {} WHERE name = %s ORDER BY id DESC")
                                .format(self._t("versions")), (self.name,)).fetchall()
            old = [int(i) for i, state in rows if state == "old"]
            doomed = old[keep_old:] + [int(vid) for vid, state in rows if state in ("building", "ready")]
            for vid in doomed:
                got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (self._lock_key(), vid)).fetchone()
                if not (got and got[0]):  # being built, or pinned by a reader
                    continue
                try:
                    with conn.transaction():
                        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}")
                                     .format(self._t("passages", vid), self._t("postings", vid)))
                        conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(self._t("versions")), (vid,))
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self._lock_key(), vid))

    def versions(self) -> list[tuple[int, str]]:
        """(id, state) of every version of this index, newest first (for operators and tests)."""
        with self._connect() as conn:
            rows = conn.execute(sql.SQL("SELECT id, state FROM {} WHERE name = %s ORDER BY id DESC")
                                .format(self._t("versions")), (self.name,)).fetchall()
        return [(int(i), str(s)) for i, s in rows]


@contextlib.contextmanager
def temporary_postgres(prefix: str = "policykb-pg-") -> Iterator[str]:
    """A throwaway PostgreSQL 16 + pgvector (the ``pgserver`` wheel, tests and benchmarks) initialised in a
    temporary folder, listening on a Unix socket only (run as its own unprivileged user when started by
    root); yields its URL, then stops it and deletes the folder."""
    import pgserver
    from pgserver._commands import pg_ctl

    root = Path(tempfile.mkdtemp(prefix=prefix))
    server = pgserver.get_server(root / "data", cleanup_mode="delete")
    try:
        # PostgreSQL's default of 100 connections is too few for two app servers under load (each
        # request thread keeps a store and an index connection): restart once with more
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET max_connections = {TEMPORARY_MAX_CONNECTIONS}")
        pg_ctl(["-w", "-l", str(server.log), "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def hash_key(text: str) -> int:
    """A stable signed 32-bit advisory-lock key for ``text``."""
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


class PgIndex:
    """One published version, read-only; one connection per thread."""

    def __init__(
        self,
        backend: PgBackend,
        version_id: int,
        manifest: Manifest,
        tokenizer: Tokenizer,
        embedder: Embedder,
        fusion: FusionParams | None = None,
        pin: psycopg.Connection | None = None,
    ) -> None:
        self.backend = backend
        self.version_id = version_id
        self._pin = pin  # holds the shared advisory lock on this version (see PgBackend.open)
        self.manifest = manifest
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.fusion = fusion_of(manifest, fusion)
        self.approximate = manifest.dense_index == "hnsw"
        self._p = backend._t("passages", version_id)
        self._q = backend._t("postings", version_id)

    def __len__(self) -> int:
        return self.manifest.clause_count

    def _conn(self) -> psycopg.Connection:
        """This thread's read connection to the database, shared by every open index on it."""
        conns = getattr(_READERS, "by_dsn", None)
        if conns is None:
            conns = _READERS.by_dsn = {}
        conn = conns.get(self.backend.dsn)
        if conn is None or conn.closed or conn.broken:
            conn = conns[self.backend.dsn] = self.backend._connect()
        return conn

    def close(self) -> None:
        """Close this thread's read connection (reopened when needed) and unpin the version."""
        conn = getattr(_READERS, "by_dsn", {}).get(self.backend.dsn)
        if conn is not None:
            conn.close()
        if self._pin is not None:
            self._pin.close()

    def __del__(self) -> None:
        pin = getattr(self, "_pin", None)
        if pin is not None and not pin.closed:
            with contextlib.suppress(Exception):
                pin.close()

    # ------------------------------------------------------------------ SQL pieces

    @staticmethod
    def _filter_sql(where: SearchFilter | None, allowed_ids: set[str] | None) -> tuple[sql.Composable, dict]:
        parts: list[sql.Composable] = [sql.SQL("TRUE")]
        args: dict[str, Any] = {}
        if allowed_ids is not None:
            parts.append(sql.SQL("d.clause_id = ANY(%(allowed)s)"))
            args["allowed"] = sorted(allowed_ids)
        if where is not None:
            if where.doc_ids is not None:
                parts.append(sql.SQL("d.doc_id = ANY(%(doc_ids)s)"))
                args["doc_ids"] = sorted(where.doc_ids)
            if where.chapter:
                parts.append(sql.SQL("EXISTS (SELECT 1 FROM unnest(d.chapter_keys) c WHERE strpos(c, %(chapter)s) > 0)"))
                args["chapter"] = where.chapter
            if where.unit:
                parts.append(sql.SQL("EXISTS (SELECT 1 FROM unnest(d.units) u WHERE strpos(u, %(unit)s) > 0)"))
                args["unit"] = where.unit
            if where.in_force_on is not None:
                parts.append(sql.SQL("(d.valid_to IS NULL OR d.valid_to >= %(day)s) "
                                     "AND (d.valid_from IS NULL OR d.valid_from <= %(day)s)"))
                args["day"] = where.in_force_on
        return sql.SQL(" AND ").join(parts), args

    @staticmethod
    def _query_terms(terms: list[str]) -> dict[str, Any]:
        """Distinct terms in first-seen order with their counts (as BM25Index.get_scores adds them)."""
        counts: dict[str, int] = {}
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        return {"terms": list(counts), "cnts": [float(c) for c in counts.values()]}

    def _bm25_top(self, terms: list[str], k: int, cond: sql.Composable, args: dict) -> list[tuple[int, str, float]]:
        q = sql.SQL(
            "SELECT p.row, d.clause_id, sum(q.cnt * p.weight::float8 ORDER BY q.pos) AS s "
            "FROM unnest(%(terms)s::text[], %(cnts)s::float8[]) WITH ORDINALITY AS q(term, cnt, pos) "
            "JOIN {q} p ON p.term = q.term JOIN {p} d ON d.row = p.row "
            "WHERE {cond} GROUP BY p.row, d.clause_id ORDER BY s DESC, p.row LIMIT %(k)s"
        ).format(q=self._q, p=self._p, cond=cond)
        return self._conn().execute(q, {**args, **self._query_terms(terms), "k": k}).fetchall()

    def _dense_top(self, qtext: str, k: int, cond: sql.Composable, args: dict,
                   filtered: bool) -> list[tuple[int, str, float]]:
        conn = self._conn()
        if self.approximate and not filtered:
            conn.execute(sql.SQL("SET hnsw.ef_search = {}").format(sql.Literal(min(1000, max(HNSW_EF_SEARCH, 2 * k)))))
            order = sql.SQL("d.embedding <#> %(qv)s::vector")
        else:  # exact: a filtered graph walk would miss rows, and ties break by row like the embedded index
            order = sql.SQL("d.embedding <#> %(qv)s::vector, d.row")
        q = sql.SQL(
            "SELECT d.row, d.clause_id, -(d.embedding <#> %(qv)s::vector) AS s FROM {p} d "
            "WHERE {cond} ORDER BY {order} LIMIT %(k)s"
        ).format(p=self._p, cond=cond, order=order)
        if self.approximate and filtered:
            with conn.transaction():
                conn.execute("SET LOCAL enable_indexscan = off")
                return conn.execute(q, {**args, "qv": qtext, "k": k}).fetchall()
        return conn.execute(q, {**args, "qv": qtext, "k": k}).fetchall()

    def _fetch(self, terms: list[str], rows: list[int]) -> dict[int, tuple[str, float, np.ndarray]]:
        """row -> (clause id, BM25, vector) for the given rows, in one round trip."""
        if not rows:
            return {}
        q = sql.SQL(
            "SELECT d.row, d.clause_id, coalesce(b.s, 0.0)::float8, d.embedding FROM {p} d LEFT JOIN ("
            " SELECT p.row, sum(q.cnt * p.weight::float8 ORDER BY q.pos) AS s"
            " FROM unnest(%(terms)s::text[], %(cnts)s::float8[]) WITH ORDINALITY AS q(term, cnt, pos)"
            " JOIN {q} p ON p.term = q.term WHERE p.row = ANY(%(rows)s) GROUP BY p.row) b ON b.row = d.row "
            "WHERE d.row = ANY(%(rows)s)"
        ).format(p=self._p, q=self._q)
        cur = self._conn().cursor(binary=True)
        cur.execute(q, {**self._query_terms(terms), "rows": rows})
        return {int(r): (c, float(b), _vector_from_binary(v)) for r, c, b, v in cur.fetchall()}

    # ------------------------------------------------------------------ search

    def search(
        self,
        query: str,
        k: int = 10,
        allowed_ids: set[str] | None = None,
        mode: Mode = "hybrid",
        where: SearchFilter | None = None,
    ) -> list[Hit]:
        """Top ``k`` clauses, as :meth:`HybridIndex.search` ranks them, filters applied in SQL.

        PostgreSQL chooses the candidates (BM25 in SQL, pgvector exact or HNSW); the cosines reported are
        then computed from the candidates' stored vectors with the embedded index's own float32 kernels
        (faiss for its candidate list, numpy for the rest), so unfiltered scores agree bit for bit instead
        of differing in the last float32 bits, which min-max fusion would magnify.
        """
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"unknown mode {mode!r}")
        if k <= 0 or not len(self) or (allowed_ids is not None and not allowed_ids):
            return []
        filtered = allowed_ids is not None or (where is not None and not where.is_empty())
        cond, args = self._filter_sql(where, allowed_ids)
        depth = max(k, self.fusion.depth) if mode == "hybrid" else k
        terms = self.tokenizer(query)
        b_rows = self._bm25_top(terms, depth, cond, args) if terms else []
        if mode == "bm25":
            return [Hit(c, float(s), bm25_score=float(s), bm25_rank=i) for i, (_, c, s) in enumerate(b_rows, start=1)]
        qvec = np.asarray(self.embedder.embed_queries([query])[0], dtype=np.float32)
        candidates = self._dense_top(_vector_text(qvec), depth, cond, args, filtered)
        ids = {int(r): c for r, c, _ in b_rows} | {int(r): c for r, c, _ in candidates}
        bm25 = {int(r): float(s) for r, _, s in b_rows}
        got = self._fetch(terms, sorted(ids))
        bm25.update({r: b for r, (_, b, _) in got.items() if r not in bm25})
        d_rows = self._rescore([int(r) for r, _, _ in candidates], got, qvec, exact_subset=filtered)

        def bm25_of(r: int) -> float:
            return bm25.get(r, 0.0)

        if mode == "dense":
            return [Hit(ids[r], s, bm25_score=bm25_of(r), dense_score=s, dense_rank=i)
                    for i, (r, s) in enumerate(d_rows, start=1)]

        def dense_of(rows: list[int]) -> np.ndarray:  # as DenseIndex.score: numpy over exactly these rows
            missing = [r for r in rows if r not in got]
            got.update(self._fetch(terms, missing))
            for r in missing:
                ids[r] = got[r][0]
            return np.stack([got[r][2] for r in rows]) @ qvec

        return fuse(ids, [r for r, _, _ in b_rows], [r for r, _ in d_rows], [s for _, s in d_rows],
                    bm25_of, dense_of, self.fusion, k)

    @staticmethod
    def _rescore(rows: list[int], got: Mapping[int, tuple[str, float, np.ndarray]], qvec: np.ndarray,
                 exact_subset: bool) -> list[tuple[int, float]]:
        """The dense candidates with the cosines DenseIndex.search reports (faiss's kernel unfiltered,
        numpy over the rows when filtered), best first, ties by row."""
        if not rows:
            return []
        order = sorted(rows)
        vecs = np.ascontiguousarray(np.stack([got[r][2] for r in order]), dtype=np.float32)
        if exact_subset:
            sims = vecs @ qvec
        else:
            flat = faiss.IndexFlatIP(vecs.shape[1])
            flat.add(vecs)
            dist, pos = flat.search(qvec.reshape(1, -1), len(order))
            sims = np.empty(len(order), dtype=np.float32)
            sims[pos[0]] = dist[0]
        ranked = sorted(zip(order, sims.tolist(), strict=True), key=lambda t: (-t[1], t[0]))
        return [(r, float(s)) for r, s in ranked]

    def filtered_ids(self, where: SearchFilter) -> set[str]:
        """The clause ids a filter admits (what the SQL conditions select)."""
        cond, args = self._filter_sql(where, None)
        q = sql.SQL("SELECT d.clause_id FROM {p} d WHERE {cond}").format(p=self._p, cond=cond)
        return {c for (c,) in self._conn().execute(q, args)}

    def scores(self, query: str, clause_ids: Sequence[str]) -> dict[str, tuple[float, float]]:
        """(BM25, cosine) of each known clause id for ``query``."""
        if not clause_ids:
            return {}
        rows = sorted(int(r) for (r,) in self._conn().execute(
            sql.SQL("SELECT row FROM {} WHERE clause_id = ANY(%s)").format(self._p), (list(clause_ids),)))
        if not rows:
            return {}
        qvec = np.asarray(self.embedder.embed_queries([query])[0], dtype=np.float32)
        got = self._fetch(self.tokenizer(query), rows)
        dense = np.stack([got[r][2] for r in rows]) @ qvec
        return {got[r][0]: (got[r][1], float(d)) for r, d in zip(rows, dense, strict=True)}
