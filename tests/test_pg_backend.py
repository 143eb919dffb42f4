"""PostgreSQL + pgvector search backend against the embedded one: same retrieval contract, same numbers.

A real PostgreSQL 16 with pgvector (the pgserver wheel) runs for the session in a temporary folder
(``pg_dsn`` in conftest.py), listening on a Unix socket only (as root, pgserver runs it as its own
unprivileged user); it is stopped and deleted afterwards. The PostgreSQL index is built from the session KB's clauses with the vectors of
its embedded index (nothing is re-embedded), and both answer with the same query vectors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pgserver", reason="pgserver (PostgreSQL + pgvector) is installed by the test extra")
psycopg = pytest.importorskip("psycopg")

from indexing import StaleIndexError, dictionary_hash, get_embedder  # noqa: E402
from indexing.backend import SearchFilter, admits  # noqa: E402
from indexing.pg_backend import PgBackend, PgIndex  # noqa: E402
from kb.retriever import Filters, Retriever, domain_terms, passage_meta, passage_of  # noqa: E402
from kb.validity import clause_validity  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "eval" / "gold" / "ganzhou.jsonl"
TOL = 1e-6


class MemoEmbedder:
    """The real embedder, each query embedded once for both backends (their difference is then theirs)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.max_chars = getattr(inner, "max_chars", 512)
        self._memo: dict[str, np.ndarray] = {}

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._memo]
        if missing:
            for t, v in zip(missing, self.inner.embed_queries(missing), strict=True):
                self._memo[t] = v
        return np.stack([self._memo[t] for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("the PostgreSQL build must reuse the embedded index's vectors")


@pytest.fixture(scope="module")
def pair(library, pg_dsn):
    """(embedded retriever, PostgreSQL retriever) over the session KB, sharing one memoised embedder."""
    embedded = Retriever(library)
    postgres = Retriever(library, database=pg_dsn)
    memo = MemoEmbedder(get_embedder(embedded.model))
    for r in (embedded, postgres):
        r.index().embedder = memo
    return embedded, postgres


def dev_questions() -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("split") == "dev"]


def same_hits(a: list, b: list) -> None:
    assert [c.clause_id for c, *_ in a] == [c.clause_id for c, *_ in b]
    for (_, *sa), (_, *sb) in zip(a, b, strict=True):
        assert np.allclose(sa, sb, rtol=0, atol=TOL), (sa, sb)


def test_server_listens_on_a_socket_only_as_an_unprivileged_user(pg_dsn):
    import psutil

    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert psutil.Process(pid).uids().real != 0  # while connected: the backend exits with the connection


def test_index_is_built_in_postgres_from_the_embedded_vectors(pair):
    embedded, postgres = pair
    e, p = embedded.index(), postgres.index()
    assert isinstance(p, PgIndex) and not isinstance(e, PgIndex)
    assert len(p) == len(e) > 100
    assert p.manifest.kb_version == e.manifest.kb_version and p.manifest.dense_index == "flat"
    assert p.manifest.embedded_new == 0
    # vectors round-trip bit for bit: the cosines of a query with every clause agree to float32 rounding
    q = "数字经济核心产业增加值"
    got = p.scores(q, e.ids)
    want = e.scores(q, e.ids)
    assert got.keys() == want.keys()
    bm = np.array([[got[c][0], want[c][0]] for c in e.ids])
    de = np.array([[got[c][1], want[c][1]] for c in e.ids])
    assert np.array_equal(bm[:, 0], bm[:, 1])  # BM25: the same float64 sums in the same order
    assert np.abs(de[:, 0] - de[:, 1]).max() < TOL and (bm[:, 0] > 0).sum() > 10


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_gold_questions_give_identical_citations(pair, mode):
    embedded, postgres = pair
    questions = dev_questions()
    assert len(questions) > 100
    # every dev question for BM25; e5 query embedding costs ~0.1-0.3 s, so 40 for the dense sides
    # (eval/bench_backends.py runs all gold questions)
    for q in questions if mode == "bm25" else questions[:40]:
        same_hits(embedded.search_scored(q, k=10, mode=mode), postgres.search_scored(q, k=10, mode=mode))



def test_answers_are_the_same_on_both_backends(pair, library):
    """The answer contract: the answerer over either backend gives the same answer and citations."""
    from kb.answerer import Answerer

    embedded, postgres = pair
    a, b = Answerer(library, embedded), Answerer(library, postgres)
    for q in dev_questions()[:20]:
        x, y = a.ask(q).to_dict(), b.ask(q).to_dict()
        assert (x["found"], x["intent"], x["answer"], x["warnings"]) == (y["found"], y["intent"], y["answer"],
                                                                         y["warnings"]), q
        assert [c["clause_id"] for c in x["citations"]] == [c["clause_id"] for c in y["citations"]], q
        assert np.allclose([c["score"] for c in x["citations"]], [c["score"] for c in y["citations"]],
                           rtol=0, atol=TOL), q

def filter_cases(library) -> list[Filters]:
    units = sorted(library.units(), key=lambda u: -len(library.units()[u]["lead"]))[:2]
    chapters = sorted({c.path[0] for c in library.clauses() if c.path})[:2]
    doc = library.documents()[0].doc_id
    return [
        Filters(doc_id=doc),
        Filters(unit=units[0]),
        Filters(unit=units[1][:3]),
        Filters(chapter=chapters[0]),
        Filters(chapter=chapters[1], unit=units[0]),
        Filters(in_force_only=True),
        Filters(doc_id=doc, in_force_only=True, unit=units[0]),
        Filters(doc_id="没有这个文件"),
    ]


def test_filters_are_sql_conditions_with_the_same_meaning(pair, library):
    embedded, postgres = pair
    index = postgres.index()
    indexed = {c.clause_id for c in postgres._indexed_clauses()}
    for f in filter_cases(library):
        where = postgres._where(f)["where"]
        assert index.filtered_ids(where) == (embedded._allowed(f) or set()) & indexed, f
        for q in dev_questions()[:6]:
            for mode in ("hybrid", "bm25"):
                same_hits(embedded.search_scored(q, k=5, filters=f, mode=mode),
                          postgres.search_scored(q, k=5, filters=f, mode=mode))


def test_in_force_on_any_day_matches_the_validity_rules(pair, library):
    _, postgres = pair
    index = postgres.index()
    for day in (date(2021, 12, 31), date(2022, 1, 1), date(2023, 12, 31), date(2024, 1, 1), date(2030, 1, 1)):
        want = {c.clause_id for c in postgres._indexed_clauses()
                if clause_validity(library.document(c.doc_id), c, day)[0] is not False}
        metas = {c.clause_id: passage_meta(library, c) for c in postgres._indexed_clauses()}
        flt = SearchFilter(in_force_on=day)
        assert {c for c, m in metas.items() if admits(flt, library.clause(c).doc_id, m)} == want
        assert index.filtered_ids(flt) == want
    indexed = {c.clause_id for c in postgres._indexed_clauses()}
    assert index.filtered_ids(SearchFilter(in_force_on=date(2024, 1, 1))) < indexed


def _build_inputs(retriever: Retriever):
    library = retriever.library
    clauses = retriever._indexed_clauses()
    passages = [passage_of(library, c) for c in clauses]
    metas = {c.clause_id: passage_meta(library, c) for c in clauses}
    return passages, metas, domain_terms(clauses), retriever.expected_version()


def small_backend(retriever: Retriever, dsn: str, name: str, size: int = 40):
    """A separate index ``name`` in the same schema holding the first ``size`` clauses (no embedding)."""
    passages, metas, terms, _ = _build_inputs(retriever)
    backend = PgBackend(dsn, name=name)
    index = backend.build(passages[:size], retriever.index().embedder, terms, f"{name}-v1", metas=metas,
                          reuse=retriever.folder)
    return backend, index


def test_stale_versions_are_rejected(pair, pg_dsn):
    _, postgres = pair
    backend, live = small_backend(postgres, pg_dsn, "stale")
    emb, m = live.embedder, live.manifest
    assert backend.open(emb, m.kb_version, m.dictionary_hash, clause_count=40).version_id == live.version_id
    with pytest.raises(StaleIndexError, match="kb_version"):
        backend.open(emb, "schema0-gen0-other", m.dictionary_hash)
    with pytest.raises(StaleIndexError, match="dictionary_hash"):
        backend.open(emb, m.kb_version, dictionary_hash(["别的词"]))
    with pytest.raises(StaleIndexError, match="clause_count"):
        backend.open(emb, m.kb_version, m.dictionary_hash, clause_count=3)
    # a damaged version (a row gone from its table) is refused, never served
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'DELETE FROM "policykb"."passages_{live.version_id}" WHERE row = 0')
    with pytest.raises(StaleIndexError, match="inconsistent"):
        backend.open(emb, m.kb_version, m.dictionary_hash)


def test_build_killed_before_publish_leaves_the_old_version_live(pair, pg_dsn, built_kb_dir):
    embedded, postgres = pair
    live = postgres.index()
    before = [postgres.search_scored(q, k=5) for q in dev_questions()[:5]]
    script = textwrap.dedent(f"""
        import sys, time
        from datetime import date
        from kb.library import Library
        from kb.retriever import Retriever, domain_terms, passage_meta, passage_of
        from indexing import get_embedder
        from indexing.pg_backend import PgBackend
        lib = Library({str(built_kb_dir)!r}, today=lambda: date(2026, 11, 29))
        r = Retriever(lib)
        clauses = r._indexed_clauses()[:-7]  # a different version: seven clauses fewer
        backend = PgBackend({pg_dsn!r}, name=r.model)
        pending = backend.build_version([passage_of(lib, c) for c in clauses], get_embedder(r.model),
                                        domain_terms(clauses), "killed-build",
                                        metas={{c.clause_id: passage_meta(lib, c) for c in clauses}},
                                        reuse=r.folder)
        print(pending.version_id, flush=True)
        time.sleep(120)
        backend.publish(pending)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        orphan = int(proc.stdout.readline())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    backend = PgBackend(pg_dsn, name=postgres.model)
    assert (orphan, "ready") in backend.versions()
    assert backend.live_manifest().kb_version == live.manifest.kb_version
    reopened = Retriever(postgres.library, database=pg_dsn)
    assert reopened.index().version_id == live.version_id
    reopened.index().embedder = live.embedder
    for q, hits in zip(dev_questions()[:5], before, strict=True):
        same_hits(reopened.search_scored(q, k=5), hits)
    backend.cleanup()
    assert orphan not in [v for v, _ in backend.versions()]
    with psycopg.connect(pg_dsn) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'policykb' AND tablename LIKE %s",
                            (f"%\\_{orphan}",)).fetchone()
    assert left == (0,)


def test_readers_during_publish_see_one_version(pair, pg_dsn):
    _, postgres = pair
    passages, metas, terms, version = _build_inputs(postgres)
    memo = postgres.index().embedder
    query = dev_questions()[0]
    backend = PgBackend(pg_dsn, name="publish")
    old = backend.build(passages, memo, terms, version, metas=metas, reuse=postgres.folder)
    want_old = [h.clause_id for h in old.search(query, k=5, mode="bm25")]
    small = passages[: len(passages) // 2]
    seen: list[tuple[str, list[str]]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for kb_version in (version, "half"):
                try:
                    index = backend.open(memo, kb_version, dictionary_hash(terms))
                except StaleIndexError:
                    continue
                seen.append((kb_version, [h.clause_id for h in index.search(query, k=5, mode="bm25")]))
                index.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        new = backend.build(small, memo, terms, "half", metas=metas, reuse=postgres.folder)
        want_new = [h.clause_id for h in new.search(query, k=5, mode="bm25")]
        backend.build(passages, memo, terms, version, metas=metas, reuse=postgres.folder)  # full again
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert want_new != want_old
    assert {v for v, _ in seen} == {version, "half"}
    for kb_version, ids in seen:
        assert ids == (want_old if kb_version == version else want_new)
    old.close()  # unpinned (an open index keeps its version: see the next test)
    new.close()
    backend.cleanup()
    states = [s for _, s in backend.versions()]
    assert states.count("live") == 1 and states.count("old") <= 1


def test_an_open_index_keeps_its_version_until_it_is_closed(pair, pg_dsn):
    """Server B still answers from version 1 while server A publishes versions 2 and 3: cleanup (any
    process) leaves a version an open index pins; closed, the next cleanup drops it."""
    _, postgres = pair
    passages, metas, terms, _ = _build_inputs(postgres)
    memo = postgres.index().embedder
    query = dev_questions()[0]
    server_a, server_b = PgBackend(pg_dsn, name="pinned"), PgBackend(pg_dsn, name="pinned")
    first = server_a.build(passages[:60], memo, terms, "v1", metas=metas, reuse=postgres.folder)
    first.close()
    on_b = server_b.open(memo, "v1", dictionary_hash(terms))
    want = [h.clause_id for h in on_b.search(query, k=5, mode="hybrid")]
    for n, version in ((50, "v2"), (40, "v3")):
        server_a.build(passages[:n], memo, terms, version, metas=metas, reuse=postgres.folder).close()
    assert [h.clause_id for h in on_b.search(query, k=5, mode="hybrid")] == want  # its tables are still there
    assert (on_b.version_id, "old") in server_a.versions()
    on_b.close()
    server_a.cleanup()
    assert on_b.version_id not in [v for v, _ in server_a.versions()]
    assert [s for _, s in server_a.versions()] == ["live", "old"]



UPLOAD = """赣州市支持测试港建设的若干措施

一、对新落户测试港的企业，给予一次性落户奖励50万元。
二、对测试港内年营业收入首次突破1亿元的企业，给予一次性奖励30万元。
三、本措施由市测试港管理办公室负责解释，自印发之日起施行。
"""


def test_two_app_servers_on_one_database_see_each_others_uploads(kb_copy, pg_dsn, tmp_path):
    """Two app servers (two Library + Retriever pairs on one KB folder, one PostgreSQL database): an
    upload through either is answered by the other, which opens the version the uploader published
    instead of building its own."""
    from kb.library import Library

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE two_servers")
    dsn = pg_dsn.replace("/postgres?", "/two_servers?")
    assert dsn != pg_dsn
    servers = [Library(kb_copy, today=lambda: date(2026, 11, 29)) for _ in range(2)]
    a, b = (Retriever(lib, database=dsn) for lib in servers)
    first = a.index()
    assert first.manifest.embedded_new == 0  # the KB's local embedding cache was reused
    assert b.index().version_id == first.version_id
    for uploader, other, stem in ((a, b, "upload_a"), (b, a, "upload_b")):
        path = tmp_path / f"{stem}.txt"
        path.write_text(UPLOAD.replace("测试港", f"测试港{stem[-1].upper()}区"), encoding="utf-8")
        report, = uploader.library.ingest([path])
        assert report.ok, report
        built = uploader.index()
        assert 0 < built.manifest.embedded_new <= 6  # only the new document's clauses were embedded
        hits = other.search(f"新落户测试港{stem[-1].upper()}区的企业奖励多少", k=3)
        assert other.index().version_id == built.version_id
        assert hits and hits[0][0].doc_id == report.doc_id and "50万元" in hits[0][0].text
