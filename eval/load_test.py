"""Load test: `policykb serve` on 127.0.0.1 under 32 concurrent clients for 60 s, with an upload midway.

    python eval/load_test.py                       # builds a KB from the bundled Ganzhou plan first
    python eval/load_test.py --source-kb DIR       # copies an existing KB (never writes to DIR)

What it does:
- copies the source KB to a temporary folder and starts `policykb serve --kb COPY --host 127.0.0.1
  --port FREE` as a subprocess (loopback only; the script refuses any other host);
- runs N client threads (default 32) for a fixed time (default 60 s), each with its own keep-alive
  connection, sending a mix of POST /api/ask (questions from eval/gold, plus the reference question)
  and GET /api/search, with a small share of deliberately bad requests (empty question, k out of
  range) that must get HTTP 400 with a Chinese {"error"};
- midway, one more client uploads a document through the UI's own HTTP upload path (the Gradio file
  upload: POST /gradio_api/upload, then the upload event through /gradio_api/queue/join and
  /gradio_api/queue/data) -- or, with --upload-via cli, runs `policykb ingest` into the same KB from a
  second process -- and then checks that the new document is searchable;
- counts requests served, errors (non-expected status, transport errors, invalid bodies, wrong answers
  to the reference question), latency percentiles per endpoint and during the upload, and the server's
  peak memory (VmHWM from /proc/<pid>/status; psutil when installed);
- writes eval/results/load_test.json and eval/results/load_test.md (with the command used).

Bounded: at most --max-requests requests, --duration seconds of load, --request-timeout per request,
and a fixed server start-up timeout. The server is stopped (SIGTERM, then SIGKILL) by its pid.
Exit status: 0 when errors == 0 and the upload succeeded, else 1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval" / "results"
GOLD = REPO / "eval" / "gold"
BUNDLED_TXT = REPO / "corpus" / "ganzhou_digital_economy_2022.txt"
SHARED = REPO.parent / "shared" / "corpus"
DEFAULT_UPLOAD = SHARED / "guangan_ip_policies_2022.txt"
HOST = "127.0.0.1"

REFERENCE_QUESTION = "谁牵头探索建设赣南大数据交易中心？"
REFERENCE_ANSWER = "市行政审批局"
SEARCH_QUERIES = [
    "大数据交易中心", "东数西算", "首次达到1亿元", "人才培养示范基地", "5G基站", "算力基础设施", "数字经济",
    "市工信局", "电子认证平台", "有效期", "数字产品制造业", "工业互联网", "奖励", "赣南", "数据要素",
]
FALLBACK_QUESTIONS = [
    REFERENCE_QUESTION, "市行政审批局负责哪些任务？", "数字产品制造业企业营业收入首次达到1亿元奖励多少？",
    "政策措施的有效期到什么时候？", "谁负责集约建设算力基础设施？", "到2025年5G基站建设目标是多少？",
    "赣市发〔2022〕5号", "东数西算", "新型学徒制培训补贴每人多少钱？", "人才培养示范基地奖补",
]


# ---------------------------------------------------------------------------------------------- setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def policykb_cmd() -> list[str]:
    exe = shutil.which("policykb", path=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "kb.cli"]


def load_questions() -> list[str]:
    questions: list[str] = []
    for name in ("ganzhou.jsonl", "shared.jsonl"):
        path = GOLD / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line).get("question")
                if isinstance(q, str) and q.strip():
                    questions.append(q)
    return questions or list(FALLBACK_QUESTIONS)


def prepare_kb(source: Path | None, work: Path, log) -> Path:
    kb = work / "kb"
    if source is not None:
        shutil.copytree(source, kb)
        return kb
    log(f"building a KB from {BUNDLED_TXT.name} (embeds every clause; not part of the measured run)")
    start = time.monotonic()
    proc = subprocess.run([*policykb_cmd(), "ingest", str(BUNDLED_TXT), "--kb", str(kb)], capture_output=True,
                          text=True, timeout=1800, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"building the KB failed:\n{proc.stderr}")
    log(f"KB built in {time.monotonic() - start:.1f} s")
    return kb


class Server:
    def __init__(self, kb: Path, port: int, log_path: Path) -> None:
        self.kb, self.port, self.log_path = kb, port, log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float) -> float:
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed in stop())
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*policykb_cmd(), "serve", "--kb", str(self.kb), "--host", HOST, "--port", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO, env=env,
        )
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/search?" + urllib.parse.urlencode({"q": "数字经济", "k": 1}))
                if conn.getresponse().status == 200:
                    conn.close()
                    return time.monotonic() - start
                conn.close()
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"server not ready after {timeout:.0f} s; see {self.log_path}")

    def memory(self) -> dict:
        """Peak and current resident memory of the server process, in MB."""
        out: dict = {}
        if self.proc is None:
            return out
        try:
            import psutil  # optional

            p = psutil.Process(self.proc.pid)
            out["rss_mb"] = round(p.memory_info().rss / 2**20, 1)
            out["source"] = "psutil"
        except Exception:  # noqa: BLE001 - psutil missing or the process gone
            out["source"] = "/proc"
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    out[{"VmHWM": "peak_rss_mb", "VmRSS": "rss_mb"}[key]] = round(int(value.split()[0]) / 1024, 1)
        except OSError:
            pass
        return out

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if self._log:
            self._log.close()
        return self.proc.returncode


# ---------------------------------------------------------------------------------------------- clients


@dataclass
class Sample:
    kind: str  # "ask" | "search" | "bad_ask" | "bad_search" | "post_upload"
    start: float  # seconds since the load began
    ms: float
    ok: bool
    status: int
    error: str = ""


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def take(self, limit: int) -> bool:
        with self.lock:
            if self.count >= limit:
                return False
            self.count += 1
            return True

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Client:
    """One keep-alive connection; reconnects after a transport error."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
                headers = {"Content-Type": "application/json"} if data is not None else {}
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.conn.close()
                self.conn = None
                if attempt == 2:  # a keep-alive connection closed by the server is retried once
                    raise exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def check_answer(data: object, question: str) -> str:
    if not isinstance(data, dict):
        return "answer is not a JSON object"
    if not isinstance(data.get("found"), bool) or not isinstance(data.get("answer"), str) or not data["answer"]:
        return "answer lacks found/answer"
    if not isinstance(data.get("citations"), list):
        return "answer lacks citations"
    if question == REFERENCE_QUESTION and (not data["found"] or REFERENCE_ANSWER not in data["answer"]):
        return f"wrong answer to the reference question: {data['answer'][:80]}"
    return ""


def check_search(data: object) -> str:
    if not isinstance(data, list):
        return "search result is not a list"
    if any(not isinstance(c, dict) or "clause_id" not in c or "text" not in c for c in data):
        return "search result items lack clause_id/text"
    return ""


def check_bad(status: int, data: object) -> str:
    if status != 400:
        return f"expected 400, got {status}"
    if not isinstance(data, dict) or not any("\u4e00" <= ch <= "\u9fff" for ch in str(data.get("error", ""))):
        return "400 without a Chinese error message"
    return ""


def client_loop(n: int, port: int, questions: list[str], t0: float, deadline: float, stats: Stats,
                args: argparse.Namespace) -> None:
    rng = random.Random(args.seed * 1000 + n)
    client = Client(port, args.request_timeout)
    try:
        while time.monotonic() < deadline and stats.take(args.max_requests):
            roll = rng.random()
            if roll < 0.55:
                kind, question = "ask", (REFERENCE_QUESTION if rng.random() < 0.15 else rng.choice(questions))
                method, path, body = "POST", "/api/ask", {"question": question}
            elif roll < 0.95:
                kind, question = "search", rng.choice(SEARCH_QUERIES + questions[:40])
                query = urllib.parse.urlencode({"q": question, "k": rng.choice([5, 10])})
                method, path, body = "GET", f"/api/search?{query}", None
            elif roll < 0.98:
                kind, question = "bad_ask", rng.choice(["", "   ", "问" * 600])
                method, path, body = "POST", "/api/ask", {"question": question}
            else:
                kind, question = "bad_search", "数字经济"
                method, path, body = "GET", "/api/search?" + urllib.parse.urlencode({"q": question, "k": 0}), None
            start = time.monotonic()
            status, error = 0, ""
            try:
                status, data = client.request(method, path, body)
                if kind == "ask":
                    error = check_answer(data, question) if status == 200 else f"HTTP {status}: {str(data)[:120]}"
                elif kind == "search":
                    error = check_search(data) if status == 200 else f"HTTP {status}: {str(data)[:120]}"
                else:
                    error = check_bad(status, data)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                client.close()
                client = Client(port, args.request_timeout)
            ms = (time.monotonic() - start) * 1000
            stats.add(Sample(kind, start - t0, ms, not error, status, error))
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------- upload


def gradio_upload(port: int, path: Path, timeout: float) -> dict:
    """Upload through the UI: the browser's own calls (file upload, then the upload event on the queue)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    conn.request("GET", "/config")
    config = json.loads(conn.getresponse().read())
    prefix = config.get("api_prefix", "/gradio_api")
    comps = {c["id"]: c for c in config["components"]}
    upload_id = next(i for i, c in comps.items() if c.get("props", {}).get("elem_id") == "pk-upload")
    fn_index, dep = next(
        (k, d) for k, d in enumerate(config["dependencies"])
        if any(t[0] == upload_id and t[1] == "upload" for t in d.get("targets", []))
    )
    fn_index = dep.get("id", fn_index)

    boundary = uuid.uuid4().hex
    name = path.name
    payload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    conn.request("POST", f"{prefix}/upload", body=payload,
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    resp = conn.getresponse()
    raw = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"upload: HTTP {resp.status} {raw[:200]!r}")
    server_path = json.loads(raw)[0]

    session = uuid.uuid4().hex[:12]
    file_data = {"path": server_path, "orig_name": name, "size": path.stat().st_size,
                 "mime_type": "text/plain", "meta": {"_type": "gradio.FileData"}}
    inputs = []
    for comp_id in dep.get("inputs", []):
        inputs.append([file_data] if comp_id == upload_id else comps.get(comp_id, {}).get("props", {}).get("value"))
    join = {"data": inputs, "fn_index": fn_index, "trigger_id": upload_id, "session_hash": session,
            "event_data": None}
    conn.request("POST", f"{prefix}/queue/join", body=json.dumps(join).encode(),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"queue/join: HTTP {resp.status} {raw[:200]!r}")
    conn.request("GET", f"{prefix}/queue/data?session_hash={session}")
    resp = conn.getresponse()
    report = ""
    while True:
        line = resp.readline()
        if not line:
            raise RuntimeError("queue/data stream ended without process_completed")
        line = line.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue
        msg = json.loads(line[5:])
        if msg.get("msg") == "process_completed":
            output = msg.get("output") or {}
            if not msg.get("success", True) or "error" in output and output["error"]:
                raise RuntimeError(f"upload event failed: {str(output)[:300]}")
            report = str((output.get("data") or [""])[0])
            break
    conn.close()
    ok = "pk-report ok" in report or "已导入" in report
    if not ok:
        raise RuntimeError(f"upload report is not a success: {report[:300]}")
    return {"report_html": report[:500]}


def cli_upload(kb: Path, path: Path, timeout: float) -> dict:
    proc = subprocess.run([*policykb_cmd(), "ingest", str(path), "--kb", str(kb)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"policykb ingest exited {proc.returncode}: {proc.stderr[-300:]}")
    return {"stdout": proc.stdout.strip()[:500]}


def uploader(args: argparse.Namespace, port: int, kb: Path, t0: float, result: dict) -> None:
    time.sleep(max(0.0, t0 + args.upload_at - time.monotonic()))
    start = time.monotonic()
    result["started_s"] = round(start - t0, 2)
    try:
        if args.upload_via == "gradio":
            result.update(gradio_upload(port, args.upload, timeout=600))
        else:
            result.update(cli_upload(kb, args.upload, timeout=600))
        result["ok"] = True
    except Exception as exc:  # noqa: BLE001 - reported, and fails the run
        result["ok"] = False
        result["error"] = f"{exc.__class__.__name__}: {exc}"
    result["finished_s"] = round(time.monotonic() - t0, 2)
    result["seconds"] = round(time.monotonic() - start, 2)


def searchable_after_upload(port: int, query: str, timeout: float) -> tuple[bool, str]:
    client = Client(port, timeout)
    try:
        status, data = client.request("GET", "/api/search?" + urllib.parse.urlencode({"q": query, "k": 5}))
    finally:
        client.close()
    if status != 200 or not isinstance(data, list):
        return False, f"HTTP {status}"
    titles = [c.get("doc_title", "") for c in data]
    return any("知识产权" in t for t in titles), "; ".join(dict.fromkeys(titles))


# ---------------------------------------------------------------------------------------------- report


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return round(ordered[k], 1)


def summarize(samples: list[Sample]) -> dict:
    ms = [s.ms for s in samples]
    return {
        "requests": len(samples),
        "errors": sum(not s.ok for s in samples),
        "p50_ms": pct(ms, 50),
        "p95_ms": pct(ms, 95),
        "p99_ms": pct(ms, 99),
        "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }


def write_markdown(path: Path, data: dict) -> None:
    s = data["summary"]
    lines = [
        "# Load test: `policykb serve` under concurrent clients",
        "",
        f"Run {data['finished']} on {data['machine']['cpus']} CPUs ({data['machine']['platform']}), "
        f"Python {data['machine']['python']}; load average (1/5/15 min) {data['machine']['loadavg_before']} before "
        f"the run, {data['machine']['loadavg_after']} after it (other processes on the machine count too).",
        "",
        "Command:",
        "",
        "```",
        data["command"],
        "```",
        "",
        f"{data['config']['clients']} client threads (keep-alive HTTP/1.1 on 127.0.0.1) for "
        f"{data['config']['duration_s']} s: 55% POST /api/ask (questions from eval/gold plus the reference "
        f"question), 40% GET /api/search, 5% deliberately bad requests that must get HTTP 400 with a Chinese error. "
        f"At {data['config']['upload_at_s']} s one more client uploads `{data['upload']['file']}` via "
        f"{data['upload']['via_text']}.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| requests served | {s['requests']} ({s['throughput_rps']} per second) |",
        f"| errors | {s['errors']} |",
        f"| latency p50 / p95 / p99 / max | {s['p50_ms']} / {s['p95_ms']} / {s['p99_ms']} / {s['max_ms']} ms |",
        f"| peak server memory (VmHWM) | {data['memory'].get('peak_rss_mb')} MB |",
        f"| server start-up (index load) | {data['server_startup_s']} s |",
        f"| upload | {'ok' if data['upload'].get('ok') else 'FAILED'} in {data['upload'].get('seconds')} s "
        f"(from {data['upload'].get('started_s')} s to {data['upload'].get('finished_s')} s) |",
        f"| uploaded document searchable afterwards | {data['upload'].get('searchable')} |",
        "",
        "| requests | count | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in data["by_kind"].items():
        lines.append(f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{row['p99_ms']} | {row['max_ms']} |")
    for name, row in data["by_phase"].items():
        lines.append(f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{row['p99_ms']} | {row['max_ms']} |")
    if data["error_examples"]:
        lines += ["", "Errors (first few):", ""] + [f"- {e}" for e in data["error_examples"]]
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-kb", type=Path, help="KB to copy (default: build one from the bundled Ganzhou plan)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    ap.add_argument("--upload", type=Path, default=DEFAULT_UPLOAD if DEFAULT_UPLOAD.exists() else None,
                    help="document uploaded midway (default: ../shared/corpus/guangan_ip_policies_2022.txt)")
    ap.add_argument("--upload-at", type=float, default=None, help="seconds into the run (default: half way)")
    ap.add_argument("--upload-via", choices=["gradio", "cli"], default="gradio",
                    help="gradio: the UI's HTTP upload path; cli: `policykb ingest` from another process")
    ap.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests")
    ap.add_argument("--request-timeout", type=float, default=120.0)
    ap.add_argument("--startup-timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS / "load_test", help="writes OUT.json and OUT.md")
    args = ap.parse_args(argv)
    if args.upload is None:
        ap.error("no document to upload: pass --upload FILE")
    if not 1 <= args.clients <= 256:
        ap.error("--clients must be 1..256")
    if not 1 <= args.duration <= 600:
        ap.error("--duration must be 1..600 s")
    if args.upload_at is None:
        args.upload_at = args.duration / 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(msg: str) -> None:
        print(f"[load_test] {msg}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="policykb-load-"))
    server = None
    try:
        kb = prepare_kb(args.source_kb, work, log)
        port = free_port()
        server = Server(kb, port, work / "server.log")
        log(f"starting policykb serve --kb {kb} --port {port}")
        startup = server.start(args.startup_timeout)
        log(f"server ready in {startup:.1f} s (pid {server.proc.pid})")
        questions = load_questions()
        load_before = [round(x, 2) for x in os.getloadavg()]
        stats = Stats()
        peak_samples: list[float] = []
        upload_result: dict = {"file": args.upload.name, "via": args.upload_via}
        t0 = time.monotonic()
        deadline = t0 + args.duration
        stop_sampling = threading.Event()

        def sample_memory() -> None:
            while not stop_sampling.wait(0.5):
                rss = server.memory().get("rss_mb")
                if rss:
                    peak_samples.append(rss)

        threads = [threading.Thread(target=sample_memory, daemon=True)]
        threads += [
            threading.Thread(target=client_loop, args=(n, port, questions, t0, deadline, stats, args), daemon=True)
            for n in range(args.clients)
        ]
        up = threading.Thread(target=uploader, args=(args, port, kb, t0, upload_result), daemon=True)
        for t in threads:
            t.start()
        up.start()
        log(f"{args.clients} clients for {args.duration:.0f} s; upload of {args.upload.name} at {args.upload_at:.0f} s "
            f"via {args.upload_via}")
        for t in threads[1:]:
            t.join(args.duration + args.request_timeout + 30)
        up.join(max(1.0, args.upload_at + 900 - (time.monotonic() - t0)))
        stop_sampling.set()
        elapsed = time.monotonic() - t0
        if upload_result.get("ok"):
            found, titles = searchable_after_upload(port, "知识产权", args.request_timeout)
            upload_result["searchable"] = found
            upload_result["search_titles"] = titles
        memory = server.memory()
        if peak_samples:
            memory["sampled_max_rss_mb"] = max(peak_samples)
        stuck = [t.name for t in threads[1:] if t.is_alive()]

        samples = list(stats.samples)
        load = [s for s in samples if s.start <= args.duration]
        summary = summarize(load)
        summary["throughput_rps"] = round(len(load) / args.duration, 1)
        summary["errors"] += len(stuck)
        up_start = upload_result.get("started_s", float("inf"))
        up_end = upload_result.get("finished_s", float("inf"))
        by_phase = {
            "before the upload": summarize([s for s in load if s.start < up_start]),
            "while uploading and re-indexing": summarize([s for s in load if up_start <= s.start < up_end]),
            "after the upload": summarize([s for s in load if s.start >= up_end]),
        }
        by_kind = {k: summarize([s for s in load if s.kind == k]) for k in ("ask", "search", "bad_ask", "bad_search")}
        upload_result["via_text"] = (
            "the UI's HTTP upload path (Gradio: POST /gradio_api/upload, then the upload event on the queue)"
            if args.upload_via == "gradio" else "`policykb ingest` from a second process into the same KB"
        )
        errors = [f"{s.kind} at {s.start:.1f} s: {s.error}" for s in load if not s.ok]
        data = {
            "finished": datetime.now().isoformat(timespec="seconds"),
            "command": " ".join(["python", "eval/load_test.py", *(argv if argv is not None else sys.argv[1:])]),
            "config": {"clients": args.clients, "duration_s": args.duration, "upload_at_s": args.upload_at,
                       "max_requests": args.max_requests, "request_timeout_s": args.request_timeout,
                       "seed": args.seed, "host": HOST, "questions": len(questions)},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
            "server_startup_s": round(startup, 1),
            "elapsed_s": round(elapsed, 1),
            "summary": summary,
            "by_kind": by_kind,
            "by_phase": by_phase,
            "memory": memory,
            "upload": upload_result,
            "stuck_clients": stuck,
            "error_examples": errors[:20],
        }
        code = server.stop()
        data["server_exit"] = code
        args.out.parent.mkdir(parents=True, exist_ok=True)
        json_path, md_path = Path(f"{args.out}.json"), Path(f"{args.out}.md")
        json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        write_markdown(md_path, data)
        log(f"requests {summary['requests']} ({summary['throughput_rps']}/s), errors {summary['errors']}, "
            f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, peak memory {memory.get('peak_rss_mb')} MB, "
            f"upload {'ok' if upload_result.get('ok') else 'FAILED'} ({upload_result.get('seconds')} s), "
            f"searchable {upload_result.get('searchable')}")
        log(f"wrote {json_path.relative_to(REPO) if json_path.is_relative_to(REPO) else json_path} and .md")
        ok = summary["errors"] == 0 and upload_result.get("ok") and upload_result.get("searchable")
        if not ok and (work / "server.log").exists():
            kept = Path(f"{args.out}.server.log")
            shutil.copy(work / "server.log", kept)
            log(f"server log kept at {kept}")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
