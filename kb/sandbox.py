"""Parse files in a worker process with CPU-time and memory limits.

A hostile file (deeply nested HTML, a PDF page of a million drawn rules, a giant line) must not take
the product with it: everything before the store — read, check, normalise, segment, extract — runs in
a child process (`python -m kb.sandbox`) that sets RLIMIT_CPU and RLIMIT_AS on itself. A file that
exceeds them is refused by name ("文件过于复杂，解析超时：NAME"); the parent, which alone writes the
store, is never blocked and the KB is unchanged. One worker serves all files of one ingest call and
is replaced after a file kills it. Only regular files are opened (a FIFO or a link to /dev/zero would
hang or never end), and any exception while parsing one file is reported by name.

The worker runs at a lower priority (nice 5) and, once a file has parsed for `yield_after` seconds
(2 s; real files take well under that), is lowered to nice 19: a file that burns its whole budget then
runs on what questions leave over, so answering keeps its latency while it is refused.

Defaults (`ParseLimits`): 60 s of CPU and 2 GiB of address space per file. The largest real input
measured, a 322-page PDF made of the two real PDFs' pages (5.98 MB), parses in 5.9 s of CPU with a
peak of 85 MB virtual memory in the worker: 10x and 24x margins. `POLICYKB_PARSE_CPU_SECONDS`,
`POLICYKB_PARSE_MEMORY_MB`, `POLICYKB_PARSE_NICE` change them; `POLICYKB_PARSE_IN_PROCESS=1` parses in the calling process
without limits (cheap, for tests that do not test limits).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import stat
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kb.errors import ParseLimitError, PolicyKBError, ReadError
from kb.models import (
    Amount,
    Clause,
    Document,
    Incentive,
    ParsedDocument,
    Target,
    TaskRow,
    Tier,
    Validity,
)

DEFAULT_CPU_SECONDS = 60
DEFAULT_MEMORY_MB = 2048
# Clauses one file may become: every clause is embedded while the index is rebuilt (about 0.1-0.4 s each
# on a laptop core), so a 20,000-row table would hold the index build for an hour. The largest of the 40
# development documents has 190 clauses; 3,000 leaves a long regulation with its annex tables room.
DEFAULT_MAX_CLAUSES = 3000
DEFAULT_NICE = 5
YIELD_NICE = 19
_HEADER = struct.Struct(">Q")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class ParseLimits:
    """Budget of one file's parse. `isolate=False` parses in-process, without limits."""

    cpu_seconds: int = DEFAULT_CPU_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB
    isolate: bool = True
    wall_factor: float = 4.0  # the parent's backstop: a worker not done after this many x cpu_seconds (+60 s) is killed
    nice: int = DEFAULT_NICE  # the worker's priority while a file is young
    yield_after: float = 2.0  # seconds of one file's parse after which the worker drops to nice 19
    max_clauses: int = DEFAULT_MAX_CLAUSES  # a file cut into more clauses than this is refused by name

    @property
    def wall_seconds(self) -> float:
        return self.cpu_seconds * self.wall_factor + 60

    @classmethod
    def from_env(cls) -> ParseLimits:
        """Defaults, overridden by POLICYKB_PARSE_CPU_SECONDS / _MEMORY_MB / _IN_PROCESS."""
        env = os.environ
        return cls(
            cpu_seconds=max(1, int(env.get("POLICYKB_PARSE_CPU_SECONDS") or DEFAULT_CPU_SECONDS)),
            memory_mb=max(64, int(env.get("POLICYKB_PARSE_MEMORY_MB") or DEFAULT_MEMORY_MB)),
            isolate=env.get("POLICYKB_PARSE_IN_PROCESS", "") not in ("1", "true", "yes") and os.name == "posix",
            nice=min(YIELD_NICE, max(0, int(env.get("POLICYKB_PARSE_NICE") or DEFAULT_NICE))),
            max_clauses=max(1, int(env.get("POLICYKB_MAX_CLAUSES") or DEFAULT_MAX_CLAUSES)),
        )


# ------------------------------------------------------------------------------------- reading


_KINDS = [
    (stat.S_ISFIFO, "命名管道（FIFO）"),
    (stat.S_ISCHR, "字符设备"),
    (stat.S_ISBLK, "块设备"),
    (stat.S_ISSOCK, "套接字"),
    (stat.S_ISDIR, "文件夹"),
]


def _kind(mode: int) -> str:
    return next((label for test, label in _KINDS if test(mode)), "特殊文件")


def regular_file_error(path: str | Path, name: str) -> ReadError | None:
    """Why `path` is not a regular file to read (missing, a FIFO, a device, a link to one), or None."""
    try:
        st = os.stat(path)  # follows symlinks: a .txt link to /dev/zero is a character device
    except FileNotFoundError:
        return ReadError(name, "文件不存在" if not os.path.islink(path) else "符号链接指向的文件不存在")
    except OSError as exc:
        return ReadError(name, f"无法访问文件（{exc.strerror or exc}）")
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISDIR(st.st_mode):
        return ReadError(name, "这是一个文件夹，不是文件")
    via = "符号链接指向的是" if os.path.islink(path) else "这是"
    return ReadError(name, f"不是普通文件（{via}{_kind(st.st_mode)}），已拒绝读取")


def read_regular(path: str | Path, name: str, max_bytes: int) -> bytes:
    """The bytes of a regular file, at most `max_bytes`; opened without blocking and checked after
    opening, so a file swapped for a FIFO between the check and the read is still refused."""
    error = regular_file_error(path, name)
    if error is not None:
        raise error
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ReadError(name, f"无法读取文件（{exc.strerror or exc}）") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError(name, f"不是普通文件（这是{_kind(st.st_mode)}），已拒绝读取")
        if st.st_size > max_bytes:
            from kb.readers import _check_size

            _check_size(st.st_size, name, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                from kb.readers import _check_size

                _check_size(total, name, max_bytes)
        return b"".join(chunks)
    except OSError as exc:
        raise ReadError(name, f"无法读取文件（{exc.strerror or exc}）") from exc
    finally:
        os.close(fd)


def parse_file(path: str | Path, name: str, max_bytes: int) -> ParsedDocument:
    """Everything before the store for one file: read, check, normalise, segment, extract."""
    from kb.parse import parse_text
    from kb.quality import check_text
    from kb.readers import read_bytes

    data = read_regular(path, name, max_bytes)
    result = read_bytes(data, name, max_bytes=max_bytes)
    check_text(result.text, name)
    parsed = parse_text(result.text, name, result.fmt, result.warnings)
    if not parsed.clauses:
        raise ReadError(name, "未能从文件中读出任何正文内容")
    return parsed


def parse_guarded(path: str | Path, name: str, max_bytes: int) -> ParsedDocument:
    """`parse_file`, with every failure turned into a ReadError naming the file (no traceback)."""
    try:
        return parse_file(path, name, max_bytes)
    except ReadError:
        raise
    except RecursionError as exc:
        raise ReadError(name, "文件结构嵌套过深（如层层嵌套的表格），无法解析") from exc
    except MemoryError as exc:
        raise ReadError(name, "文件过于复杂，解析所需内存超出上限") from exc
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest of a folder
        if isinstance(exc, PolicyKBError):
            raise ReadError(name, str(exc)) from exc
        raise ReadError(name, f"解析失败（{type(exc).__name__}: {str(exc)[:200]}）") from exc


# ----------------------------------------------------------------------------- (de)serialising


def parsed_to_dict(parsed: ParsedDocument) -> dict[str, Any]:
    return asdict(parsed)


def parsed_from_dict(data: dict[str, Any]) -> ParsedDocument:
    doc = dict(data["document"])
    doc["validity"] = [Validity(**v) for v in doc.get("validity", [])]
    clauses = []
    for c in data["clauses"]:
        c = dict(c)
        c["amounts"] = [Amount(**a) for a in c.get("amounts", [])]
        c["targets"] = [Target(**t) for t in c.get("targets", [])]
        clauses.append(Clause(**c))
    incentives = []
    for inc in data.get("incentives", []):
        inc = dict(inc)
        inc["tiers"] = [Tier(**t) for t in inc.get("tiers", [])]
        incentives.append(Incentive(**inc))
    return ParsedDocument(
        document=Document(**doc), clauses=clauses, task_rows=[TaskRow(**r) for r in data["task_rows"]],
        incentives=incentives,
    )


# ------------------------------------------------------------------------------------- parent


def timeout_message(name: str) -> str:
    return f"文件过于复杂，解析超时：{name}（超过 CPU 时间上限，未导入）"


def too_many_clauses_message(name: str, clauses: int, limits: ParseLimits) -> str:
    return (f"文件切分出 {clauses} 条条款，超过单个文件 {limits.max_clauses} 条的上限（每条都要建立检索索引）："
            f"{name}（未导入）。请拆分后分别上传，或由管理员调高 POLICYKB_MAX_CLAUSES")


def memory_message(name: str, limits: ParseLimits) -> str:
    return f"文件过于复杂，解析所需内存超出上限（{limits.memory_mb} MB）：{name}（未导入）"


class Parser:
    """Parses files for one ingest call: in a limited worker process (default) or in-process."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits.from_env()
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def parse(self, path: str | Path, name: str, max_bytes: int) -> ParsedDocument:
        if not self.limits.isolate:
            return parse_guarded(path, name, max_bytes)
        error = regular_file_error(path, name)  # refused here, without waking a worker
        if error is not None:
            raise error
        proc = self._worker()
        request = json.dumps({"path": str(path), "name": name, "max_bytes": max_bytes}).encode("utf-8")
        try:
            _send(proc.stdin, request)
            demoted = self._yield_if_slow(proc)
            reply = _receive(proc.stdout, time.monotonic() + self.limits.wall_seconds)
            if demoted and reply is not None:  # niceness cannot be raised back unprivileged: a new worker next
                self.close()
        except _WallTimeout:
            self._kill()
            raise ParseLimitError(name, timeout_message(name)) from None
        except (OSError, EOFError, ValueError):
            reply = None
        if reply is None:  # the worker died: the kernel ended it at the CPU limit, or it crashed
            code = self._reap()
            if code in (-signal.SIGXCPU, -signal.SIGKILL):
                raise ParseLimitError(name, timeout_message(name))
            if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
                raise ParseLimitError(name, f"解析进程异常终止（可能内存不足或文件损坏）：{name}（未导入）")
            raise ReadError(name, f"解析进程意外退出（代码 {code}）")
        data = json.loads(reply.decode("utf-8"))
        if data.get("memory"):
            self._kill()  # a worker that ran out of memory is not reused
            raise ParseLimitError(name, memory_message(name, self.limits))
        if not data.get("ok"):
            raise ReadError(data.get("path") or name, data.get("reason") or "解析失败")
        return parsed_from_dict(data["parsed"])

    def _yield_if_slow(self, proc: subprocess.Popen) -> bool:
        """Wait up to `yield_after` seconds for the reply; if it is not there, lower the worker to nice 19."""
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout.fileno()], [], [], self.limits.yield_after)
        if ready:
            return False
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, YIELD_NICE)
        except (OSError, AttributeError):
            return False
        return True

    def _worker(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")  # thread arenas would eat the address-space limit
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "kb.sandbox", str(self.limits.cpu_seconds), str(self.limits.memory_mb),
             str(os.getpid()), str(self.limits.nice)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
        )
        return self._proc

    def _reap(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
        finally:
            _close_pipes(proc)

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._reap()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()  # the worker ends at EOF
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdin, proc.stdout):
        try:
            if pipe:
                pipe.close()
        except OSError:
            pass


class _WallTimeout(Exception):
    pass


def _send(pipe: BinaryIO | None, payload: bytes) -> None:
    assert pipe is not None
    pipe.write(_HEADER.pack(len(payload)) + payload)
    pipe.flush()


def _receive(pipe: BinaryIO | None, deadline: float) -> bytes | None:
    """One message, or None at EOF; raises _WallTimeout past the deadline."""
    assert pipe is not None
    fd = pipe.fileno()
    head = _read_exact(fd, _HEADER.size, deadline)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    return _read_exact(fd, size, deadline)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    parts: list[bytes] = []
    got = 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _WallTimeout
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise _WallTimeout
        chunk = os.read(fd, min(size - got, _READ_CHUNK))
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


# ------------------------------------------------------------------------------------- worker


def _set_limits(memory_mb: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _arm_cpu(cpu_seconds: int) -> None:
    """Allow this file `cpu_seconds` on top of what the worker has used so far; past it the kernel
    sends SIGXCPU, whose default action ends the worker (a long C loop cannot ignore it)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used) + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _die_with_parent() -> None:
    """On Linux, end the worker when the process that started it dies (a killed `policykb ingest` must not
    leave a parse burning CPU until its limit)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def worker_main(cpu_seconds: int, memory_mb: int, parent: int | None = None, nice: int = 0) -> int:
    """Serve parse requests on stdin until EOF; replies go to the original stdout, which nothing
    else may write to (stray prints of a library go to stderr)."""
    _die_with_parent()
    if parent is not None and os.getppid() != parent:  # the parent died before the signal was armed
        return 0
    if nice > 0:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)  # questions in the server come first
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    out_fd = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(out_fd, "wb")
    in_fd = sys.stdin.buffer.fileno()
    _set_limits(memory_mb)
    while True:
        request = _read_exact(in_fd, _HEADER.size, None)
        if request is None:
            return 0
        (size,) = _HEADER.unpack(request)
        body = _read_exact(in_fd, size, None)
        if body is None:
            return 0
        memory = False
        try:
            req = json.loads(body.decode("utf-8"))
            _arm_cpu(cpu_seconds)
            parsed = parse_guarded(req["path"], req["name"], int(req["max_bytes"]))
            reply = json.dumps({"ok": True, "parsed": parsed_to_dict(parsed)}, ensure_ascii=False)
            del parsed
        except MemoryError:
            memory = True
            reply = '{"ok": false, "memory": true}'
        except ReadError as exc:
            memory = isinstance(exc.__cause__, MemoryError)
            reply = json.dumps({"ok": False, "memory": memory, "path": exc.path, "reason": exc.reason},
                               ensure_ascii=False)
        _send(out, reply.encode("utf-8"))
        if memory:
            return 0


if __name__ == "__main__":
    sys.exit(worker_main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None,
                         int(sys.argv[4]) if len(sys.argv) > 4 else 0))
