"""Bulk ingest (issue 14): read, segment and embed on several workers, write through one writer.

    report = bulk_ingest(library, ["folder/"], workers=2)           # a local Ray cluster on 127.0.0.1
    report = bulk_ingest(library, paths, address="ray://head:10001") # an existing Ray cluster

Files are parsed on the workers (each in its own limited parse process, as `Library.ingest` does) and
stored here in file order, one transaction each; then every indexed passage whose embedding key (a hash
of model and text, :func:`indexing.hybrid.embedding_key`) is not in the live index's embedding cache is
embedded on the workers, one e5 per worker with one thread each, and the index is built here from the
cache and those vectors: a re-ingest embeds only new or changed text. With ``workers=1`` and no
``address`` no Ray is started: the same steps run in this process (the baseline; e5 then uses every core).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from indexing import get_embedder
from indexing.backend import EmbeddedBackend
from indexing.hybrid import DEFAULT_MAX_CHARS, dense_text, embedding_key
from kb.library import IngestReport, Library, expand_paths
from kb.retriever import DEFAULT_MODEL, Retriever, passage_of
from kb.sandbox import ParseLimits

EMBED_CHUNK = 32  # passages per embedding task


@dataclass
class BulkReport:
    """What a bulk ingest did, and where its time went (wall seconds)."""

    reports: list[IngestReport]
    workers: int
    clauses: int = 0
    embedded_new: int = 0
    cached: int = 0
    parse_s: float = 0.0
    embed_s: float = 0.0
    index_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)


def parse_task(path: str, name: str, max_bytes: int, limits: ParseLimits):
    """One file parsed without a store (what `Library.parse_one` does, minus the Library)."""
    return Library.parse_one(SimpleNamespace(limits=limits, max_bytes=max_bytes), path, name)  # type: ignore[arg-type]


class EmbedWorker:
    """One embedder per worker process, one thread each (workers, not threads, share the cores)."""

    def __init__(self, model: str, threads: int = 1) -> None:
        os.environ["POLICYKB_EMBED_THREADS"] = str(threads)
        self.embedder = get_embedder(model)
        self.cpu_s = 0.0  # CPU seconds (every thread of this process) spent in embed()
        self.peak_threads = 0  # threads of this process busy during embed() (the most over its calls)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        start = time.process_time()
        with _RunningThreads() as running:
            out = np.asarray(self.embedder.embed_passages(list(texts)), dtype=np.float32)
        self.cpu_s += time.process_time() - start
        self.peak_threads = max(self.peak_threads, running.peak)
        return out

    def usage(self) -> dict[str, float]:
        return {"cpu_s": self.cpu_s, "peak_threads": self.peak_threads,
                "omp_num_threads": float(os.environ.get("OMP_NUM_THREADS", "0") or 0)}


class _RunningThreads:
    """How many threads of this process were busy while the block ran: those whose CPU time (from
    /proc/self/task) grew by at least a quarter of the block's wall time (Linux; 0 elsewhere)."""

    def __init__(self) -> None:
        self.peak = 0

    @staticmethod
    def _ticks() -> dict[str, int]:
        out = {}
        tasks = Path("/proc/self/task")
        for t in tasks.iterdir() if tasks.is_dir() else []:
            try:
                fields = (t / "stat").read_text().rsplit(")", 1)[1].split()
                out[t.name] = int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return out

    def __enter__(self) -> _RunningThreads:
        self._start, self._before = time.perf_counter(), self._ticks()
        return self

    def __exit__(self, *exc: object) -> None:
        wall_ticks = (time.perf_counter() - self._start) * os.sysconf("SC_CLK_TCK")
        after = self._ticks()
        self.peak = sum(after[t] - self._before.get(t, 0) >= max(1.0, 0.25 * wall_ticks) for t in after)


class _Local:
    """The steps in this process (no Ray)."""

    workers = 1

    def __init__(self, model: str) -> None:
        self.model = model

    def parse(self, jobs: list[tuple[str, str, int, ParseLimits]]) -> list:
        return [parse_task(*job) for job in jobs]

    def embed(self, chunks: list[list[str]]) -> list[np.ndarray]:
        emb = get_embedder(self.model)
        start = time.process_time()
        with _RunningThreads() as running:
            out = [np.asarray(emb.embed_passages(c), dtype=np.float32) for c in chunks]
        self._usage = {"cpu_s": time.process_time() - start, "peak_threads": running.peak}
        return out

    def usage(self) -> list[dict[str, float]]:
        """Per embedder: CPU seconds spent embedding and the most threads seen running meanwhile."""
        return [getattr(self, "_usage", {"cpu_s": 0.0, "peak_threads": 0})]

    def close(self) -> None:
        pass


def start_local_cluster(num_cpus: int) -> None:
    """A one-machine Ray cluster whose servers listen on 127.0.0.1 only, no dashboard.

    Ray turns a node address of 127.0.0.1 into the machine's outside address (and listens there) unless
    it believes clusters are off, as on a laptop; that switch is an environment variable read when ray is
    imported, and the module constant it sets is read at each lookup, so both are set here.
    """
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)


class _Ray:
    """The steps as Ray tasks (parse) and actors (embed), on a local cluster bound to 127.0.0.1 or on the
    cluster at ``address``."""

    def __init__(self, model: str, workers: int, address: str | None) -> None:
        import ray

        self.ray = ray
        self.started = not ray.is_initialized()
        if self.started:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                start_local_cluster(workers)
        self.workers = workers
        self.model = model
        self._parse = ray.remote(num_cpus=1)(parse_task)
        self._actors: list = []

    def parse(self, jobs: list[tuple[str, str, int, ParseLimits]]) -> list:
        return self.ray.get([self._parse.remote(*job) for job in jobs])

    def embed(self, chunks: list[list[str]]) -> list[np.ndarray]:
        if not chunks:
            return []
        if not self._actors:  # each loads its own model: no more of them than there are chunks
            actor = self.ray.remote(num_cpus=1)(EmbedWorker)
            self._actors = [actor.remote(self.model) for _ in range(min(self.workers, len(chunks)))]
        refs = [self._actors[i % len(self._actors)].embed.remote(c) for i, c in enumerate(chunks)]
        return self.ray.get(refs)

    def usage(self) -> list[dict[str, float]]:
        """Per worker: CPU seconds its process spent embedding, and the most threads seen running."""
        return self.ray.get([a.usage.remote() for a in self._actors])

    def close(self) -> None:
        for a in self._actors:
            self.ray.kill(a)
        self._actors = []
        if self.started:
            self.ray.shutdown()


def bulk_ingest(
    library: Library,
    paths: Iterable[str | Path],
    *,
    workers: int = 1,
    address: str | None = None,
    model: str = DEFAULT_MODEL,
    database: str | None = None,
    use_ray: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[BulkReport, Retriever]:
    """Ingest ``paths`` into ``library`` and build its index; (report, the retriever holding the index).
    ``use_ray``: None = Ray when ``workers > 1`` or an ``address`` is given."""
    if use_ray is None:
        use_ray = workers > 1 or bool(address)
    runner: _Local | _Ray = _Ray(model, workers, address) if use_ray else _Local(model)
    report = BulkReport([], workers=runner.workers)
    try:
        start = time.perf_counter()
        files = expand_paths(paths)
        parsed = runner.parse([(str(f), str(f), library.max_bytes, library.limits) for f in files])
        for item, f in zip(parsed, files, strict=True):  # the one writer
            report.reports.append(item if isinstance(item, IngestReport) else library.save_parsed(item, str(f)))
        report.parse_s = time.perf_counter() - start
        if progress:
            progress(f"已解析 {len(files)} 个文件，用时 {report.parse_s:.1f} 秒")

        start = time.perf_counter()
        retriever = Retriever(library, model, database=database)
        embedder = get_embedder(model)
        clauses = retriever._indexed_clauses()
        max_chars = getattr(embedder, "max_chars", DEFAULT_MAX_CHARS)
        texts = {embedding_key(embedder.name, t): t
                 for t in (dense_text(passage_of(library, c), max_chars) for c in clauses)}
        cached = retriever.backend().cached_vectors(texts, embedder)
        if database:  # a database build also reuses the local folder's vectors, as Retriever.index does
            cached = EmbeddedBackend(retriever.folder).cached_vectors(texts, embedder) | cached
        todo = [k for k in texts if k not in cached]
        # longest first, so that the last chunks are short and the workers finish together
        todo.sort(key=lambda k: -len(texts[k]))
        chunks = [todo[i : i + EMBED_CHUNK] for i in range(0, len(todo), EMBED_CHUNK)]
        vectors: dict[str, np.ndarray] = {}
        for keys, vecs in zip(chunks, runner.embed([[texts[k] for k in c] for c in chunks]), strict=True):
            vectors.update(zip(keys, vecs, strict=True))
        report.clauses, report.embedded_new, report.cached = len(clauses), len(todo), len(texts) - len(todo)
        report.embed_s = time.perf_counter() - start
        report.extra["embed_usage"] = runner.usage() if todo else []
        if progress:
            progress(f"新嵌入 {len(todo)} 段（缓存 {report.cached} 段），用时 {report.embed_s:.1f} 秒")
    finally:
        runner.close()
    start = time.perf_counter()
    index = retriever.index(vectors=vectors)
    report.index_s = time.perf_counter() - start
    report.extra["index_embedded_new"] = index.manifest.embedded_new
    return report, retriever
