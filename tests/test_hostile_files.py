"""Hostile files (issue 13): parsed in a limited worker process, refused by name, never a hang.

Real files on disk (FIFOs, symlinks to devices, generated PDFs/HTML/DOCX from eval/hostile_corpus.py),
real worker processes with real CPU-time and memory limits, a real SQLite store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from eval import hostile_corpus as hc
from kb.library import Library
from kb.quality import check_text, measure, thresholds
from kb.readers import read_file
from kb.sandbox import ParseLimits, parse_file, parsed_from_dict, parsed_to_dict

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"
TODAY = date(2026, 11, 29)


def _lib(kb: Path, **limits) -> Library:
    return Library(kb, today=lambda: TODAY, limits=ParseLimits(**limits) if limits else ParseLimits())


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env=env)


# ------------------------------------------------------------------------------ not regular files


def test_fifo_and_device_links_are_refused_by_name_not_read(tmp_path: Path) -> None:
    """`policykb ingest` of a FIFO hung; a .txt symlink to /dev/zero read until MemoryError."""
    folder = tmp_path / "in"
    folder.mkdir()
    odd = [hc.fifo(folder), hc.link_to_dev_zero(folder), hc.link_to_fifo(folder), hc.dangling_link(folder)]
    good = hc.good_document(folder)
    result = _cli("ingest", str(folder), "--kb", str(tmp_path / "kb"), "--json", timeout=120)
    assert "Traceback" not in result.stderr
    reports = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert reports[good.name]["ok"]
    assert set(reports) == {p.name for p in [*odd, good]}  # every odd entry reported, none skipped in silence
    assert "命名管道" in reports["pipe.txt"]["error"] and "pipe.txt" in reports["pipe.txt"]["error"]
    assert "字符设备" in reports["zero_link.txt"]["error"] and "符号链接" in reports["zero_link.txt"]["error"]
    assert "命名管道" in reports["pipe_link.html"]["error"]
    assert "不存在" in reports["dangling.pdf"]["error"]
    assert result.returncode == 1  # some files failed


def test_fifo_given_by_name_is_refused(tmp_path: Path) -> None:
    fifo = hc.fifo(tmp_path)
    [report] = _lib(tmp_path / "kb").ingest([fifo])
    assert not report.ok and str(fifo) in report.error and "已拒绝读取" in report.error


def test_a_file_swapped_for_a_fifo_is_still_refused_when_opened(tmp_path: Path) -> None:
    """The worker checks the opened descriptor too (no window between the check and the read)."""
    from kb.errors import ReadError
    from kb.sandbox import read_regular

    fifo = hc.fifo(tmp_path)
    with pytest.raises(ReadError, match="命名管道"):
        read_regular(fifo, "swapped.txt", 1000)


# ------------------------------------------------------------------ one file's failure, by name


def test_nested_tables_are_reported_by_name_and_the_folder_goes_on(tmp_path: Path) -> None:
    """2,000 nested <table> died with a RecursionError traceback and the good file beside it was lost."""
    folder = tmp_path / "in"
    folder.mkdir()
    bad = hc.nested_tables(folder)
    good = hc.good_document(folder)
    result = _cli("ingest", str(folder), "--kb", str(tmp_path / "kb"), "--json")
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stdout
    reports = {Path(r["path"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert reports[good.name]["ok"]
    assert reports[bad.name]["ok"] or bad.name in reports[bad.name]["error"]


# ------------------------------------------------------------------------------- resource limits


def test_cpu_limit_refuses_by_name_and_the_rest_go_on(tmp_path: Path) -> None:
    """A 1,000-page PDF needs several seconds of CPU; with a 1 s budget it is refused by name, the KB
    unchanged, and the next file of the same call is parsed by a fresh worker."""
    slow = hc.latin_pdf(tmp_path, 1000, "thousand_pages.pdf")
    good = hc.good_document(tmp_path)
    library = _lib(tmp_path / "kb", cpu_seconds=1)
    before = library.generation
    slow_report, good_report = library.ingest([slow, good])
    assert not slow_report.ok
    assert slow_report.error.startswith("文件过于复杂，解析超时：") and str(slow) in slow_report.error
    assert good_report.ok and library.generation == before + 1
    assert [d.source_path for d in library.documents()] == [str(good)]


def test_memory_limit_refuses_by_name(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    line = ("一、本条为测试内容，用于检验内存上限。" * 5 + "\n").encode("utf-8")
    with open(big, "wb") as fh:
        fh.write(line * (30 * 1024 * 1024 // len(line)))
    good = hc.good_document(tmp_path)
    library = _lib(tmp_path / "kb", memory_mb=150)
    big_report, good_report = library.ingest([big, good])
    assert not big_report.ok and "内存超出上限（150 MB）" in big_report.error and str(big) in big_report.error
    assert good_report.ok and len(library.documents()) == 1


def test_store_reads_go_on_while_a_file_is_parsed(tmp_path: Path) -> None:
    """The parse runs in the worker with no lock held: the store answers other threads meanwhile."""
    slow = hc.latin_pdf(tmp_path, 1000, "thousand_pages.pdf")
    library = _lib(tmp_path / "kb", cpu_seconds=2)
    assert library.ingest([hc.good_document(tmp_path)])[0].ok
    started = threading.Event()
    thread = threading.Thread(target=lambda: (started.set(), library.ingest([slow])))
    thread.start()
    started.wait()
    reads = 0
    while thread.is_alive() and reads < 20:
        assert len(Library(tmp_path / "kb").documents()) == 1
        assert library.store.generation() == 1
        reads += 1
    alive = thread.is_alive()
    thread.join()
    assert reads == 20 and alive  # all reads done while the hostile file was still being parsed


def test_in_process_flag_and_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYKB_PARSE_CPU_SECONDS", "7")
    monkeypatch.setenv("POLICYKB_PARSE_MEMORY_MB", "900")
    monkeypatch.setenv("POLICYKB_PARSE_IN_PROCESS", "1")
    limits = ParseLimits.from_env()
    assert (limits.cpu_seconds, limits.memory_mb, limits.isolate) == (7, 900, False)
    monkeypatch.delenv("POLICYKB_PARSE_IN_PROCESS")
    assert ParseLimits.from_env().isolate  # the product default is the worker


def test_worker_and_in_process_parse_give_the_same_document(tmp_path: Path, ganzhou_txt: Path) -> None:
    parsed = parse_file(ganzhou_txt, str(ganzhou_txt), 50 * 1024 * 1024)
    assert parsed_from_dict(json.loads(json.dumps(parsed_to_dict(parsed)))) == parsed
    worker = _lib(tmp_path / "a").ingest([ganzhou_txt])[0]
    inproc = _lib(tmp_path / "b", isolate=False).ingest([ganzhou_txt])[0]
    assert worker.ok and inproc.ok and (worker.clauses, worker.rows) == (inproc.clauses, inproc.rows) == (113, 46)


# ------------------------------------------------------------------------------- garbage and tiny


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (hc.garbage_text_pdf, ("乱码", "控制字符")),
        (hc.glyph_text_docx, ("乱码", "控制字符")),
        (hc.one_byte, ("内容过少",)),
        (hc.few_words, ("内容过少",)),
        (hc.long_token, ("几乎全是数字",)),  # read cleanly, it became 10,001 clauses to embed (an hour)
    ],
    ids=["random-glyph-pdf", "private-use-docx", "one-byte", "one-word", "4mb-of-digits"],
)
def test_garbage_and_near_empty_files_are_refused_with_a_reason(tmp_path: Path, make, words) -> None:
    """A PDF of random glyphs became 26 clauses of control characters and NUL; a 1-byte file a document."""
    path = make(tmp_path)
    [report] = _lib(tmp_path / "kb").ingest([path])
    assert not report.ok and str(path) in report.error
    assert any(w in report.error for w in words), report.error
    assert _lib(tmp_path / "kb").documents() == []


def test_every_real_document_passes_the_text_check() -> None:
    """The thresholds (kb/data/text_quality.json) leave every real development file a wide margin."""
    if not SHARED.is_dir():
        pytest.skip("../shared/corpus is absent")
    t = thresholds()
    for path in sorted(SHARED.iterdir()):
        text = read_file(path).text
        q = check_text(text, path.name)
        assert q.readable_share >= 0.99 > t["min_readable_share"], path.name
        assert q.control_share == 0.0 and q.word_chars >= 10 * t["min_word_chars"], path.name
        assert q.letter_share >= 1.5 * t["min_letter_share"], path.name


def test_garbage_measure_separates_noise_from_prose() -> None:
    prose = measure(hc.DOC)
    assert prose.readable_share == 1.0 and prose.control == 0
    noise = measure("".join(chr(c) for c in range(1, 32)) * 10 + "ÄÖ¥\ue000\ue001" * 50)
    assert noise.readable_share < 0.5 and noise.control_share > 0.3


# ------------------------------------------------------------------------------ the whole corpus


CHEAP = ["good_document.txt", "span_bomb.html", "garbage_text.pdf", "glyph_text.docx", "control_text.html",
         "one_byte.txt", "few_words.txt", "empty.txt", "random_bytes.txt", "oversize.txt", "pipe.txt",
         "zero_link.txt", "pipe_link.html", "dangling.pdf", "zip_bomb.docx", "billion_laughs.docx",
         "billion_laughs.html", "huge_table.docx"]


def test_cheap_hostile_corpus_in_one_call(tmp_path: Path) -> None:
    """One ingest call over the cheap half of eval/hostile_corpus.py: each file refused by name or
    ingested as its case expects, and only the ingested ones are in the KB."""
    files = hc.generate(tmp_path / "files", CHEAP)
    library = _lib(tmp_path / "kb")
    reports = library.ingest([p for _c, p in files])
    assert len(reports) == len(files)
    for (case, path), report in zip(files, reports, strict=True):
        if case.expect == "refuse":
            assert not report.ok and str(path) in report.error, (case.name, report)
        elif case.expect == "ingest":
            assert report.ok, (case.name, report.error)
        else:
            assert report.ok or str(path) in report.error, (case.name, report.error)
    assert len(library.documents()) == sum(r.ok for r in reports) >= 1


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_a_killed_ingest_leaves_no_worker_behind(tmp_path: Path) -> None:
    import signal
    import time

    slow = hc.latin_pdf(tmp_path, 1000, "thousand_pages.pdf")
    code = ("import sys; from kb.library import Library; from kb.sandbox import ParseLimits; "
            "Library(sys.argv[1], limits=ParseLimits(cpu_seconds=60)).ingest([sys.argv[2]])")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "kb"), str(slow)], cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    workers: list[int] = []
    for _ in range(600):
        workers = _children(proc.pid)
        if workers or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert workers, "the ingest never started its worker"
    os.kill(proc.pid, signal.SIGKILL)  # our own child, by pid
    proc.wait(timeout=60)
    for _ in range(200):
        if not any(_running(w) for w in workers):
            break
        time.sleep(0.05)
    assert not any(_running(w) for w in workers)


def test_a_file_of_more_clauses_than_the_limit_is_refused_by_name(tmp_path: Path) -> None:
    """A 5,000-row table became 5,001 clauses, each embedded while the index was rebuilt."""
    path = hc.huge_table_docx(tmp_path)
    [report] = _lib(tmp_path / "kb").ingest([path])
    assert not report.ok and str(path) in report.error and "5001 条条款" in report.error, report.error
    assert "3000 条的上限" in report.error and _lib(tmp_path / "kb").documents() == []
    roomy = Library(tmp_path / "kb2", today=lambda: TODAY, limits=ParseLimits(max_clauses=6000))
    [report] = roomy.ingest([path])
    assert report.ok and report.clauses == 5001
