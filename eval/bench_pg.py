"""Warm query latency of the embedded backend (faiss + BM25 in the process) against PostgreSQL + pgvector,
one run, same passages, same vectors, same query vectors.

    nice -n 10 python -m eval.bench_pg                      # 100,000 clauses, a temporary pgserver
    nice -n 10 python -m eval.bench_pg --sizes 100000 1000000 --indexes flat    # both sizes, exact dense only

Writes eval/results/pg_benchmark.md and .json. Passages are the real 广安 documents of
../shared/corpus-bulk cut into 200-character pieces and replicated (each piece numbered, so no two are
equal); each passage's vector is a unit vector seeded by its text (embedding 10^5 passages with e5 on two
cores takes hours, and search costs the same for any vectors), identical for both backends. Questions
are embedded once with e5 before timing: the figures are the search itself; the e5 query cost, the same
for both backends, is reported beside them. Per size and backend: flat (exact) and HNSW dense indexes
(``--indexes``); ``--out STEM`` writes eval/results/STEM.md and .json instead.

Per size the passages are tokenised, weighted (BM25) and their vectors made once and handed to both
backends' builds (their own code does the rest: COPY into PostgreSQL, its indexes, faiss, files):
passage ``i`` is piece ``i mod P`` plus `` i``, so its tokens are the piece's tokens plus the number's,
checked against the tokenizer on the whole passage for every piece before use. Build times therefore
leave out tokenising and BM25 weighting ("prep s"); the results file is rewritten after every row, so a
long run keeps what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

import indexing.hybrid
import indexing.pg_backend
from indexing import HybridIndex, Passage, get_embedder
from indexing.backend import SearchFilter
from indexing.bm25 import BM25Index
from indexing.embedders import l2_normalise
from indexing.hybrid import bm25_text, dense_text, embedding_keys
from indexing.tokenizer import Tokenizer

BULK = Path(__file__).resolve().parents[2] / "shared" / "corpus-bulk"
RESULTS = Path(__file__).resolve().parent / "results"
QUESTIONS = ["招商引资政策奖励多少", "返乡创业担保贷款贴息", "知识产权资助标准", "养老服务补贴怎么申请", "标准地改革牵头单位",
             "企业上市奖励", "技能提升补贴", "一老一小托育机构", "人才住房补贴", "外资企业到位资金奖励",
             "高新技术企业认定奖励", "农业产业化龙头企业扶持", "首次进入规模以上的工业企业", "研发费用后补助",
             "创业孵化基地补贴", "小微企业贷款贴息", "新能源汽车推广", "文化旅游项目奖励", "城镇老旧小区改造", "稳岗返还"]
REPS = 5


class SeededEmbedder:
    """e5 for questions, memoised (embedded before timing); for passages a unit vector seeded by the text."""

    def __init__(self) -> None:
        self._e5 = get_embedder("e5")
        self.name, self.dim, self.max_chars = self._e5.name, self._e5.dim, self._e5.max_chars
        self._memo: dict[str, np.ndarray] = {}
        self.query_ms: list[float] = []

    def warm(self, texts: Sequence[str]) -> None:
        for t in texts:
            start = time.perf_counter()
            self._memo[t] = self._e5.embed_queries([t])[0]
            self.query_ms.append((time.perf_counter() - start) * 1000)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._memo[t] if t in self._memo else self._e5.embed_queries([t])[0] for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = np.stack([np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts])
        return l2_normalise(out.astype("float32"))


def bulk_passages(n: int) -> list[Passage]:
    docs = [d for f in sorted(BULK.glob("*.json")) for d in json.loads(f.read_text(encoding="utf-8"))["data"]]
    pieces = [(j, d["content"][i : i + 200]) for j, d in enumerate(docs) for i in range(0, len(d["content"]), 200)]
    out = []
    for i in range(n):
        doc, text = pieces[i % len(pieces)]
        out.append(Passage(f"c{i}", f"d{doc}-{i // (len(pieces) * 10)}", f"{text} {i}", "广安市政策"))
    return out


def lexical(passages: Sequence[Passage]) -> tuple[list[str], Tokenizer, BM25Index]:
    """What :func:`indexing.hybrid.lexical_index` returns for ``passages``, each piece tokenised once."""
    tok = Tokenizer([])
    memo: dict[tuple[str, str], list[str]] = {}
    tokens = []
    for p in passages:
        piece, num = p.text.rsplit(" ", 1)
        key = (p.context, piece)
        if key not in memo:
            memo[key] = tok(f"{p.context}\n{piece}" if p.context else piece)
            if memo[key] + tok(f" {num}") != tok(bm25_text(p)):
                raise ValueError(f"piece tokens differ from the whole passage's: {p.clause_id}")
        tokens.append(memo[key] + tok(f" {num}"))
    ids = [p.clause_id for p in passages]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate clause ids")
    return ids, tok, BM25Index.build(tokens)


@contextlib.contextmanager
def shared_lexical(passages: Sequence[Passage]) -> Iterator[None]:
    """Both backends' builds take the one tokenisation of ``passages`` (any other list: their own)."""
    done = lexical(passages)
    real = indexing.hybrid.lexical_index

    def lexical_index(ps, user_terms):
        return done if ps is passages and not list(user_terms) else real(ps, user_terms)

    indexing.hybrid.lexical_index = indexing.pg_backend.lexical_index = lexical_index
    try:
        yield
    finally:
        indexing.hybrid.lexical_index = indexing.pg_backend.lexical_index = real


def timed(search, questions: Sequence[str]) -> dict[str, float]:
    search(questions[0])
    times = []
    for _ in range(REPS):
        for q in questions:
            start = time.perf_counter()
            search(q)
            times.append((time.perf_counter() - start) * 1000)
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
            "mean": float(np.mean(times)), "n": len(times)}


def bench_size(n: int, dsn: str, emb: SeededEmbedder, indexes: Sequence[str], rows: list[dict],
               flush) -> None:
    """Embedded and PostgreSQL, per dense index kind, over the same ``n`` passages; ``flush()`` after each row.

    The second kind's "same top 10" compares with the first kind's embedded top 10 (flat first: exact)."""
    from indexing.pg_backend import PgBackend

    passages = bulk_passages(n)
    doc = passages[0].doc_id
    allowed = {p.clause_id for p in passages if p.doc_id == doc}
    where = SearchFilter(doc_ids=frozenset({doc}))
    start = time.perf_counter()
    vectors = dict(zip(embedding_keys(passages, emb), emb.embed_passages([dense_text(p, emb.max_chars) for p in passages]), strict=True))
    exact: dict[str, list[str]] = {}  # question -> hybrid top 10 of the first embedded index
    with shared_lexical(passages):
        prep_s = round(time.perf_counter() - start, 1)
        for dense in indexes:
            threshold = n + 1 if dense == "flat" else 0
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                embedded = HybridIndex.build(passages, folder, emb, [], "bench", reuse=False,
                                             hnsw_threshold=threshold, vectors=vectors)
                build_s = time.perf_counter() - start
                rows.append(run_modes("embedded", dense, n, build_s, embedded, {"allowed_ids": allowed}, exact))
                rows[-1]["prep_s"] = prep_s
                del embedded
            flush()
            backend = PgBackend(dsn, name=f"bench_{n}_{dense}", hnsw_threshold=threshold)
            start = time.perf_counter()
            index = backend.build(passages, emb, [], "bench", reuse=False, vectors=vectors)
            build_s = time.perf_counter() - start
            row = run_modes("postgresql", dense, n, build_s, index, {"where": where}, exact)
            row["table_mb"] = table_mb(dsn, index)
            row["prep_s"] = prep_s
            rows.append(row)
            index.close()
            flush()


def run_modes(backend: str, dense: str, n: int, build_s: float, index, filt: dict,
              exact: dict[str, list[str]]) -> dict:
    """Latencies per mode; ``same_top10``: questions whose hybrid top 10 (ids in order) equal the embedded
    flat index's (the first row fills ``exact``); ``overlap10``: mean share of those ids found."""
    row: dict = {"backend": backend, "index": dense, "clauses": n, "build_s": round(build_s, 1)}
    for mode in ("bm25", "dense", "hybrid"):
        row[mode] = timed(lambda q, m=mode: index.search(q, k=10, mode=m), QUESTIONS)
    row["hybrid_doc_filter"] = timed(lambda q: index.search(q, k=10, mode="hybrid", **filt), QUESTIONS)
    tops = {q: [h.clause_id for h in index.search(q, k=10, mode="hybrid")] for q in QUESTIONS}
    if not exact:
        exact.update(tops)
    row["same_top10"] = sum(tops[q] == exact[q] for q in QUESTIONS)
    row["overlap10"] = round(float(np.mean([len(set(tops[q]) & set(exact[q])) / 10 for q in QUESTIONS])), 3)
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def table_mb(dsn: str, index) -> dict[str, float]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {name: round(conn.execute("SELECT pg_total_relation_size(%s::regclass)",
                                         (t.as_string(conn),)).fetchone()[0] / 2**20, 1)
                for name, t in (("passages", index._p), ("postings", index._q))}


def write(rows: list[dict], emb: SeededEmbedder, cmd: str, stem: str = "pg_benchmark") -> None:
    RESULTS.mkdir(exist_ok=True)
    meta = {"command": cmd, "when": datetime.now().isoformat(timespec="seconds"), "cores": os.cpu_count(),
            "load_average_end": round(os.getloadavg()[0], 2),
            "e5_query_ms_p50": round(float(np.percentile(emb.query_ms, 50)), 1),
            "questions": len(QUESTIONS), "reps": REPS}
    (RESULTS / f"{stem}.json").write_text(json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False, indent=1),
                                               encoding="utf-8")
    lines = [
        "# Search latency: embedded (faiss + BM25 in process) vs PostgreSQL + pgvector",
        "",
        f"Made by `{cmd}` on {meta['when']}, {meta['cores']} cores shared with other jobs "
        f"(load average {meta['load_average_end']} at the end). {len(QUESTIONS)} questions x {REPS}, k=10, warm; "
        f"e5 query embedding excluded (p50 {meta['e5_query_ms_p50']} ms per question, the same for both).",
        "Passages: real 广安 text in 200-character pieces, replicated and numbered; vectors seeded by text.",
        "build s: each backend's build from BM25 weights and vectors made once per size (prep s: tokenising, "
        "weighting and seeding vectors: " + ", ".join(sorted({f"{r['clauses']:,}: {r['prep_s']} s" for r in rows if "prep_s" in r}))
        + "; rows without it include them).",
        "doc filter: one document's clauses (a Python id set on the embedded side, `doc_id = ANY(...)` in SQL).",
        "",
        "same top 10: questions whose hybrid top 10 (ids, in order) equal the embedded flat index's; overlap: "
        "mean share of those 10 ids found.",
        "",
        "| clauses | backend | dense index | build s | bm25 p50/p95 ms | dense p50/p95 | hybrid p50/p95 "
        "| hybrid+filter p50/p95 | same top 10 | overlap |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        cells = [f"{r[m]['p50']:.1f} / {r[m]['p95']:.1f}" for m in ("bm25", "dense", "hybrid", "hybrid_doc_filter")]
        lines.append(f"| {r['clauses']:,} | {r['backend']} | {r['index']} | {r['build_s']} | " + " | ".join(cells)
                     + f" | {r['same_top10']}/{len(QUESTIONS)} | {r['overlap10']} |")
    sizes = [r for r in rows if "table_mb" in r]
    if sizes:
        lines += ["", "PostgreSQL table sizes (with indexes), MB:", ""]
        lines += [f"- {r['clauses']:,} clauses, {r['index']}: passages {r['table_mb']['passages']}, "
                  f"postings {r['table_mb']['postings']}" for r in sizes]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--indexes", nargs="+", choices=("flat", "hnsw"), default=["flat", "hnsw"])
    ap.add_argument("--database", help="postgresql://... (default: a temporary pgserver)")
    ap.add_argument("--out", default="pg_benchmark", help="results file stem under eval/results")
    args = ap.parse_args()
    emb = SeededEmbedder()
    emb.warm(QUESTIONS)
    cmd = "python -m eval.bench_pg" + (f" --sizes {' '.join(map(str, args.sizes))}" if args.sizes != [100_000] else "")
    cmd += f" --indexes {' '.join(args.indexes)}" if args.indexes != ["flat", "hnsw"] else ""
    cmd += f" --out {args.out}" if args.out != "pg_benchmark" else ""
    rows: list[dict] = []
    with contextlib.ExitStack() as stack:
        from indexing.pg_backend import temporary_postgres

        dsn = args.database or stack.enter_context(temporary_postgres("policykb-bench-pg-"))
        for n in args.sizes:
            bench_size(n, dsn, emb, args.indexes, rows, lambda: write(rows, emb, cmd, args.out))


if __name__ == "__main__":
    main()
