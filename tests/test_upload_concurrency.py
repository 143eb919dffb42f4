"""Uploads side by side (issue 13): a hostile upload burning its CPU budget holds up no other upload.

Real UIService over a real copy of the built KB, real limited parse workers (kb/sandbox.py) on a real
hostile file from eval/hostile_corpus.py: the parse runs outside the write lock and at low priority.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

from eval import hostile_corpus as hc
from kb.library import Library
from kb.sandbox import YIELD_NICE, ParseLimits
from ui.service import UIService

TODAY = date(2026, 11, 29)


def _workers() -> dict[int, int]:
    """pid -> niceness of this process's parse workers (`python -m kb.sandbox`)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"kb.sandbox" in cmd:
                out[int(entry.name)] = os.getpriority(os.PRIO_PROCESS, int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _wait(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_normal_upload_is_not_queued_behind_a_hostile_one(kb_copy: Path, tmp_path: Path) -> None:
    files = tmp_path / "in"
    files.mkdir()
    hostile = hc.many_lines(files)  # 400,000 one-line clauses (16 MB): about a minute of parse CPU here
    good = hc.good_document(files)
    library = Library(kb_copy, today=lambda: TODAY, limits=ParseLimits(cpu_seconds=120, yield_after=0.5))
    service = UIService(library)
    before = {d.doc_id for d in library.documents()}
    hostile_pid = None
    slow: list[dict] = []
    thread = threading.Thread(target=lambda: slow.extend(service.ingest_uploads([(hostile, hostile.name)])))
    thread.start()
    try:
        assert _wait(lambda: YIELD_NICE in _workers().values(), 60), _workers()  # the slow parse yields
        hostile_pid = next(pid for pid, nice in _workers().items() if nice == YIELD_NICE)
        with service._pending_lock:
            hostile_folder = next(iter(service._pending))

        start = time.monotonic()
        [report] = service.ingest_uploads([(good, good.name)])
        took = time.monotonic() - start
        assert report["ok"], report
        assert thread.is_alive(), "the hostile parse ended first: nothing was shown"
        assert hostile_folder.is_dir()  # the good upload's sweep kept the folder still being parsed
        assert took < 120
    finally:
        for pid in [hostile_pid] if hostile_pid else _workers():
            os.kill(pid, signal.SIGKILL)  # as the kernel does at the CPU limit
        thread.join(60)
    assert not thread.is_alive()
    [refused] = slow
    assert not refused["ok"] and "解析超时" in refused["error"] and hostile.name in refused["error"]
    assert not hostile_folder.exists()
    assert {d.doc_id for d in library.documents()} == before | {report["doc_id"]}  # only the good one came in


def test_parse_worker_runs_below_the_servers_priority(tmp_path: Path) -> None:
    from kb.sandbox import Parser

    good = hc.good_document(tmp_path)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    with Parser(ParseLimits(nice=5)) as parser:
        parsed = parser.parse(good, good.name, 10 * 2**20)
        nice = set(_workers().values())
    assert parsed.clauses
    assert nice == {min(YIELD_NICE, base + 5)}
