"""Crash safety: SIGKILL `policykb ingest` and an index rebuild at several moments; the KB still opens,
answers as before, and a re-run completes. A KB or index written by another version is detected.

Each test works on its own copy of the session's built KB (conftest.py `built_kb_dir`), so only the
documents added here are embedded. Subprocesses are started by the test and killed by their pid only.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexing import HybridIndex, get_embedder
from indexing.store import TMP_PREFIX, VERSION_PREFIX, current_version, read_manifest
from kb.answerer import Answerer
from kb.cli import main as cli
from kb.errors import KBVersionError
from kb.library import Library
from kb.parse import parse_text
from kb.readers import read_file
from kb.retriever import Retriever
from kb.store import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GANZHOU_TXT = REPO / "corpus" / "ganzhou_digital_economy_2022.txt"
QUESTION = "谁牵头探索建设赣南大数据交易中心？"
LEAD = "市行政审批局"
INGEST_FILES = [
    "guangan_employment_measures_2019.txt",
    "guangan_gongga_manufacturing_action_2022.txt",
    "guangan_market_vitality_measures_2023.txt",
]
REBUILD_FILE = "guangan_ip_policies_2022.txt"
SEED = int(os.environ.get("POLICYKB_CRASH_SEED", "20240601"))


# ---------------------------------------------------------------------------------------------- KB




@pytest.fixture(scope="module")
def baseline(kb_template: Path) -> dict:
    """The pristine KB's Ganzhou clauses and its answer to QUESTION."""
    library = Library(kb_template)
    answer = Answerer(library).ask(QUESTION)
    assert answer.found and LEAD in answer.answer
    return {
        "clauses": _clause_rows(library, library.store.documents()[0].doc_id),
        "doc_id": library.store.documents()[0].doc_id,
        "answer": answer.answer,
        "generation": library.store.generation(),
    }


@pytest.fixture
def kb_dir(kb_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(kb_template, target)
    return target


def shared_files() -> list[Path]:
    paths = [SHARED / name for name in INGEST_FILES]
    if not all(p.exists() for p in paths):
        pytest.skip(f"{SHARED} not available")
    return paths


def _clause_rows(library: Library, doc_id: str) -> list[tuple]:
    return [(c.clause_id, c.text, c.start, c.end) for c in library.store.clauses(doc_id)]


# ----------------------------------------------------------------------------------- processes


def policykb_cmd() -> list[str]:
    exe = shutil.which("policykb", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "kb.cli"]


# The same CLI, with each fsync of the index writer slowed down: it widens the window in which an index
# version is being written or published, so a kill can land there. No product code is changed.
SLOW_FSYNC = """
import sys, time
import indexing.store as store
_fsync = store._fsync_path
def slow(path):
    time.sleep(0.3)
    _fsync(path)
store._fsync_path = slow
from kb.cli import main
sys.argv = ["policykb", *sys.argv[1:]]
main()
"""


def start(args: list[str], *, slow_fsync: bool = False) -> subprocess.Popen:
    cmd = [sys.executable, "-c", SLOW_FSYNC, *args] if slow_fsync else [*policykb_cmd(), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)


def kill(proc: subprocess.Popen) -> bool:
    """SIGKILL our own child; True if it was still running (a real crash), False if it had finished."""
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return running


def wait_until(proc: subprocess.Popen, condition: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Poll every 5 ms; False if the process ended (or time ran out) first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return condition()
        time.sleep(0.005)
    return False


def generation(kb: Path) -> int:
    with sqlite3.connect(f"file:{kb / 'kb.sqlite'}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])


def index_root(kb: Path) -> Path:
    return kb / "index-e5"


def tmp_builds(kb: Path) -> list[Path]:
    root = index_root(kb)
    return [p for p in root.iterdir() if p.is_dir() and p.name.startswith(TMP_PREFIX)] if root.exists() else []


# ----------------------------------------------------------------------------------- checks


def assert_kb_sound(kb: Path, baseline: dict, *, ask: bool = True) -> Library:
    """After a crash: SQLite intact, every stored document complete, the live index whole, answers as before."""
    with sqlite3.connect(kb / "kb.sqlite", timeout=30) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    library = Library(kb)
    store = library.store
    docs = {d.doc_id: d for d in store.documents()}
    assert baseline["doc_id"] in docs
    assert _clause_rows(library, baseline["doc_id"]) == baseline["clauses"]
    for doc in docs.values():  # no half-written document: all of its clauses and rows, or nothing
        parsed = parse_text(read_file(doc.source_path).text, doc.source_path, doc.source_format)
        assert store.counts(doc.doc_id) == (len(parsed.clauses), len(parsed.task_rows)), doc.source_path
        assert doc.sha256 == parsed.document.sha256
    version = current_version(index_root(kb))
    assert version is not None, "CURRENT must always name a complete index version"
    manifest = read_manifest(version)
    HybridIndex.load(index_root(kb), "e5", manifest.kb_version, manifest.dictionary_hash)  # not torn
    if ask:
        answer = Answerer(library).ask(QUESTION)
        assert answer.found is True
        assert LEAD in answer.answer
        assert answer.answer == baseline["answer"]
    return library


def assert_index_current(kb: Path) -> None:
    library = Library(kb)
    manifest = read_manifest(current_version(index_root(kb)))
    assert manifest.kb_version == Retriever(library).expected_version()
    assert manifest.kb_version.startswith(f"schema{SCHEMA_VERSION}-gen{library.store.generation()}-")
    assert manifest.model == get_embedder("e5").name


# ----------------------------------------------------------------------------------- ingest


def test_kill_ingest_at_several_moments(kb_dir: Path, baseline: dict) -> None:
    files = shared_files()
    args = ["ingest", *map(str, files), "--kb", str(kb_dir)]
    base_gen = baseline["generation"]
    rng = random.Random(SEED)

    def after(seconds: float) -> Callable[[subprocess.Popen], bool]:
        def wait(proc: subprocess.Popen) -> bool:
            return wait_until(proc, lambda: False, timeout=seconds) or proc.poll() is None

        return wait

    def first_document_stored(proc: subprocess.Popen) -> bool:
        start_gen = generation(kb_dir)
        return wait_until(proc, lambda: generation(kb_dir) > start_gen)

    def index_building(proc: subprocess.Popen) -> bool:
        start_gen = generation(kb_dir)  # all files stored, then 0.5 s into the index build
        ok = wait_until(proc, lambda: generation(kb_dir) >= start_gen + len(files))
        return ok and (wait_until(proc, lambda: False, timeout=0.5) or proc.poll() is None)

    moments: list[tuple[str, Callable[[subprocess.Popen], bool]]] = [
        ("0.2 s", after(0.2)),
        ("first document stored", first_document_stored),
        ("index build under way", index_building),
        ("1 s", after(1.0)),
        ("3 s", after(3.0)),
    ]
    moments += [(f"random {t:.2f} s (seed {SEED})", after(t)) for t in (rng.uniform(0.2, 5.0), rng.uniform(0.2, 5.0))]
    started = time.monotonic()
    killed = []
    for label, wait in moments:
        proc = start(args)
        wait(proc)
        crashed = kill(proc)
        killed.append((label, crashed, proc.returncode))
        print(f"ingest SIGKILL at {label}: killed={crashed} generation={generation(kb_dir)} tmp={tmp_builds(kb_dir)}")
        if not crashed:
            assert proc.returncode == 0, f"{label}: ingest finished with {proc.returncode}"
        try:
            assert_kb_sound(kb_dir, baseline)
        except AssertionError as exc:
            raise AssertionError(f"after SIGKILL at {label}: {exc}") from exc
        assert generation(kb_dir) >= base_gen
        if time.monotonic() - started > 100:  # keep the test bounded on a slow machine
            break
    assert sum(crashed for _label, crashed, _rc in killed) >= 3, killed

    proc = subprocess.run([*policykb_cmd(), *args], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    for f in files:
        assert f"{f}: 条款" in proc.stdout, proc.stdout
    library = assert_kb_sound(kb_dir, baseline, ask=False)
    assert len(library.store.documents()) == 1 + len(files)
    assert_index_current(kb_dir)  # the ingest left the index up to date
    result = subprocess.run(
        [*policykb_cmd(), "ask", QUESTION, "--kb", str(kb_dir)], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert LEAD in result.stdout and result.stdout.startswith(baseline["answer"])


# ----------------------------------------------------------------------------------- index rebuild


def test_kill_index_rebuild(kb_dir: Path, baseline: dict) -> None:
    """The store moves on (a document is ingested in process, no index built), then `policykb ask`
    rebuilds the index and is killed: while embedding, while the new version is written, and after
    it is renamed into place but before CURRENT points to it."""
    doc = SHARED / REBUILD_FILE
    if not doc.exists():
        pytest.skip(f"{SHARED} not available")
    library = Library(kb_dir)
    [report] = library.ingest([doc])
    assert report.ok, report.error
    gen = library.store.generation()
    root = index_root(kb_dir)
    old = current_version(root)
    assert old is not None
    old_manifest = read_manifest(old)
    assert old_manifest.kb_version != Retriever(library).expected_version()  # stale: ask must rebuild
    assert not old_manifest.kb_version.startswith(f"schema{SCHEMA_VERSION}-gen{gen}-")
    args = ["ask", QUESTION, "--kb", str(kb_dir)]
    rng = random.Random(SEED)

    def new_tmp_build() -> bool:
        return bool(tmp_builds(kb_dir))

    def renamed_not_published() -> bool:
        versions = [p for p in root.iterdir() if p.name.startswith(VERSION_PREFIX) and p.name != old.name]
        return bool(versions) and current_version(root) == old

    t = rng.uniform(1.5, 5.0)
    moments = [
        ("1 s", False, lambda proc: wait_until(proc, lambda: False, timeout=1.0)),
        (f"random {t:.2f} s (seed {SEED})", False, lambda proc: wait_until(proc, lambda: False, timeout=t)),
        ("writing the new version", True, lambda proc: wait_until(proc, new_tmp_build)),
        ("renamed, CURRENT not yet replaced", True, lambda proc: wait_until(proc, renamed_not_published)),
    ]
    crashes = 0
    for label, slow, wait in moments:
        existing = {p.name for p in root.iterdir()}
        proc = start(args, slow_fsync=slow)
        reached = wait(proc)
        crashed = kill(proc)
        print(f"index rebuild SIGKILL at {label}: reached={reached} killed={crashed} tmp={tmp_builds(kb_dir)}")
        if slow:
            assert reached and crashed, f"{label}: the kill did not land in the window"
        if crashed:
            crashes += 1
            assert current_version(root) == old, f"{label}: CURRENT moved to an unfinished version"
            HybridIndex.load(root, "e5", old_manifest.kb_version, old_manifest.dictionary_hash)
            leftovers = {p.name for p in root.iterdir()} - existing
            assert all(n.startswith((TMP_PREFIX, VERSION_PREFIX)) for n in leftovers), leftovers
        else:  # finished before the kill: then it must have published a complete, current index
            assert proc.returncode == 0
            assert_index_current(kb_dir)
            library.ingest([doc])  # move the store on again for the next moment
            old = current_version(root)
            old_manifest = read_manifest(old)
        assert Library(kb_dir).store.generation() == library.store.generation()  # ask never writes the store
    assert crashes >= 3

    proc = subprocess.run([*policykb_cmd(), *args], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(baseline["answer"])
    assert current_version(root) != old
    assert_index_current(kb_dir)
    assert_kb_sound(kb_dir, baseline)


# ----------------------------------------------------------------------------------- versions


def _set_schema(kb: Path, value: str) -> None:
    with sqlite3.connect(kb / "kb.sqlite") as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (value,))


@pytest.mark.parametrize("command", [["ask", QUESTION], ["ingest", str(GANZHOU_TXT)], ["docs"], ["search", "大数据"]])
def test_other_schema_version_is_refused_with_rebuild_path(kb_dir: Path, command: list[str]) -> None:
    _set_schema(kb_dir, "999")
    result = CliRunner().invoke(cli, [*command, "--kb", str(kb_dir)])
    assert result.exit_code != 0
    message = result.stderr
    assert "999" in message and str(SCHEMA_VERSION) in message and "版本" in message, message
    assert "policykb ingest" in message and "--kb" in message, message  # how to rebuild
    assert str(kb_dir) in message
    assert "Traceback" not in message
    with sqlite3.connect(kb_dir / "kb.sqlite") as conn:  # never touched, never migrated by guess
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "999"
        assert conn.execute("SELECT count(*) FROM clauses").fetchone()[0] > 0


def test_other_schema_version_subprocess(kb_dir: Path) -> None:
    _set_schema(kb_dir, "999")
    proc = subprocess.run(
        [*policykb_cmd(), "ask", QUESTION, "--kb", str(kb_dir)], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert proc.returncode != 0
    assert "999" in proc.stderr and "policykb ingest" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "value",
    [
        "999",
        "0",
        "abc",
    ],
)
def test_other_schema_version_library(kb_dir: Path, value: str) -> None:
    _set_schema(kb_dir, value)
    with pytest.raises(KBVersionError) as info:
        Library(kb_dir)
    assert value in str(info.value) or "版本" in str(info.value)


def test_missing_schema_version_row(kb_dir: Path) -> None:
    with sqlite3.connect(kb_dir / "kb.sqlite") as conn:
        conn.execute("DELETE FROM meta WHERE key='schema_version'")
    result = CliRunner().invoke(cli, ["docs", "--kb", str(kb_dir)])
    assert result.exit_code != 0 and "版本" in result.stderr and "Traceback" not in result.stderr


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    with sqlite3.connect(kb / "kb.sqlite") as conn:
        conn.execute("CREATE TABLE orders (id INTEGER)")
    result = CliRunner().invoke(cli, ["docs", "--kb", str(kb)])
    assert result.exit_code != 0 and "不是 policykb 知识库" in result.stderr


def test_kb_file_that_is_not_sqlite(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.sqlite").write_bytes(random.Random(5).randbytes(8192))
    result = CliRunner().invoke(cli, ["docs", "--kb", str(kb)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "kb.sqlite" in result.stderr


@pytest.mark.parametrize(
    "change",
    [
        {"model": "intfloat/multilingual-e5-large", "dim": 1024},
        {"dim": 768},
        {"model": "some-other-model"},
        {"format_version": 999},
    ],
    ids=["other-model-and-dim", "other-dim", "other-model", "other-format"],
)
def test_index_of_another_model_is_rebuilt(kb_dir: Path, baseline: dict, change: dict) -> None:
    root = index_root(kb_dir)
    old = current_version(root)
    path = old / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(change)
    path.write_text(json.dumps(data), encoding="utf-8")
    library = Library(kb_dir)
    answer = Answerer(library).ask(QUESTION)
    assert answer.found and answer.answer == baseline["answer"]
    new = current_version(root)
    assert new is not None and new != old  # rebuilt, not read
    manifest = read_manifest(new)
    embedder = get_embedder("e5")
    assert manifest.model == embedder.name and manifest.dim == embedder.dim
    assert_index_current(kb_dir)


def test_unreadable_manifest_is_rebuilt(kb_dir: Path, baseline: dict) -> None:
    root = index_root(kb_dir)
    old = current_version(root)
    (old / "manifest.json").write_text("{not json", encoding="utf-8")
    answer = Answerer(Library(kb_dir)).ask(QUESTION)
    assert answer.answer == baseline["answer"]
    assert current_version(root) != old
    assert_index_current(kb_dir)


# ------------------------------------------------------------------- damage and first use (issue 13)


def test_empty_kb_file_is_reported_never_refilled_from_the_bundled_corpus(tmp_path: Path) -> None:
    """A 0-byte kb.sqlite was silently rebuilt from the bundled corpus, the rest of the KB gone."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.sqlite").write_bytes(b"")
    (kb / "uploads").mkdir()
    for command in (["ask", QUESTION], ["docs"], ["ingest", str(GANZHOU_TXT)]):
        proc = subprocess.run([*policykb_cmd(), *command, "--kb", str(kb)], capture_output=True, text=True,
                              timeout=300, cwd=REPO)
        assert proc.returncode != 0, command
        assert "知识库文件已损坏" in proc.stderr and str(kb / "kb.sqlite") in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
        assert (kb / "kb.sqlite").stat().st_size == 0  # left for the user to restore, not replaced
    assert sorted(p.name for p in kb.iterdir()) == ["kb.sqlite", "uploads"]


def test_damaged_page_gives_a_chinese_error_from_every_command(kb_dir: Path) -> None:
    path = kb_dir / "kb.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    for first in range(3 * page, len(data), 2 * page):
        data[first + 8 : first + 200] = b"Z" * 192
    path.write_bytes(bytes(data))
    for command in (["ask", QUESTION], ["docs"], ["search", "大数据"]):
        result = CliRunner().invoke(cli, [*command, "--kb", str(kb_dir)])
        assert result.exit_code != 0, command
        assert "知识库文件已损坏" in result.stderr and "kb.sqlite" in result.stderr, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_two_ingests_on_a_new_kb_folder_both_succeed(tmp_path: Path) -> None:
    """Two `policykb ingest` on a new KB folder failed in 2 of 26 rounds (UNIQUE constraint failed: meta.key)."""
    docs = []
    for i in range(2):
        doc = tmp_path / f"doc{i}.txt"
        doc.write_text(f"关于测试第{i}号的通知\n一、由市测试局牵头，负责第{i}项工作。\n二、本通知自印发之日起施行。\n",
                       encoding="utf-8")
        docs.append(doc)
    kb = tmp_path / "kb"
    procs = [start(["ingest", str(doc), "--kb", str(kb)]) for doc in docs]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "UNIQUE" not in err and "Traceback" not in err
    library = Library(kb)
    assert len(library.documents()) == 2


@pytest.mark.parametrize("damage", ["shuffle-ids", "flip-vectors"])
def test_same_size_index_damage_is_detected_and_rebuilt(kb_dir: Path, baseline: dict, damage: str) -> None:
    """A shuffled ids.json or flipped vector bytes kept every size: the control question came back 未找到."""
    root = index_root(kb_dir)
    old = current_version(root)
    if damage == "shuffle-ids":
        path = old / "ids.json"
        ids = json.loads(path.read_text(encoding="utf-8"))
        random.Random(3).shuffle(ids)
        path.write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
    else:
        path = old / "vectors.npy"
        data = bytearray(path.read_bytes())
        for i in range(256, len(data), 5):
            data[i] ^= 0xFF
        path.write_bytes(bytes(data))
    answer = Answerer(Library(kb_dir)).ask(QUESTION)
    assert answer.found and answer.answer == baseline["answer"]
    new = current_version(root)
    assert new is not None and new.name != old.name  # rebuilt, never served as it was
    assert_index_current(kb_dir)
