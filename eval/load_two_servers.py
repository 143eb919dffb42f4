"""``python eval/load_test.py --two-servers``: two `policykb serve` processes on one PostgreSQL (issue 14).

The KB (the bundled Ganzhou plan) is ingested into the database once; servers A and B start from two
empty KB folders on it; the clients (load_test.client_loop, the same mix of asks, searches and bad
requests) go to A (even numbers) and B (odd numbers) for --quiet + --duration seconds; midway the normal
document is uploaded through A's UI upload path, and from the moment that upload starts B is polled
(GET /api/search) until a hit comes from the uploaded document: the seconds until B answers are counted
from the end of A's upload (A's index is published then). Everything on 127.0.0.1 or a Unix socket.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

from eval.load_test import (
    BUNDLED_TXT,
    NO_SESSION,
    REPO,
    Client,
    Server,
    Stats,
    Upload,
    client_loop,
    free_port,
    load_questions,
    policykb_cmd,
    summarize,
    uploader,
)

POLL_QUERY = "知识产权"
POLL_EVERY_S = 0.2


def poll_until_visible(port: int, t0: float, up: Upload, timeout: float, out: dict) -> None:
    """From the start of A's upload, ask B until a hit of the uploaded document (title with 知识产权)."""
    time.sleep(max(0.0, t0 + up.at - time.monotonic()))
    client = Client(port, 30.0)
    polls, errors, end = 0, 0, time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            polls += 1
            try:
                status, data = client.request("GET", "/api/search?" + urllib.parse.urlencode({"q": POLL_QUERY, "k": 5}))
            except (OSError, ValueError) as exc:
                errors += 1
                out.setdefault("poll_errors", []).append(f"{exc.__class__.__name__}: {exc}")
                client.close()
                client = Client(port, 30.0)
                time.sleep(POLL_EVERY_S)
                continue
            if status != 200:
                errors += 1
                out.setdefault("poll_errors", []).append(f"HTTP {status}")
            elif isinstance(data, list) and any(POLL_QUERY in str(c.get("doc_title", "")) for c in data):
                out["visible_at_s"] = round(time.monotonic() - t0, 2)
                break
            time.sleep(POLL_EVERY_S)
    finally:
        client.close()
        out["polls"], out["poll_error_count"] = polls, errors


def ingest_into(database: str, kb: Path, log) -> float:
    start = time.monotonic()
    env = dict(os.environ, POLICYKB_DATABASE=database)
    proc = subprocess.run([*policykb_cmd(), "ingest", str(BUNDLED_TXT), "--kb", str(kb)], capture_output=True,
                          text=True, timeout=1800, cwd=REPO, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"building the KB in the database failed:\n{proc.stderr[-2000:]}")
    log(f"KB ingested into the database in {time.monotonic() - start:.1f} s")
    return time.monotonic() - start


def run_two_servers(args: argparse.Namespace, argv: list[str] | None) -> int:
    from kb.sandbox import ParseLimits

    def log(msg: str) -> None:
        print(f"[load_test two servers] {msg}", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still stops its servers
    work = Path(tempfile.mkdtemp(prefix="policykb-load2-"))
    servers: list[Server] = []
    with contextlib.ExitStack() as stack:
        try:
            if args.database:
                database, where = args.database, "the given PostgreSQL"
            else:
                from indexing.pg_backend import temporary_postgres

                database, where = stack.enter_context(temporary_postgres("policykb-load2-pg-")), "a temporary pgserver"
            log(f"database: {where}")
            build_s = ingest_into(database, work / "kb_a", log)
            env = {"POLICYKB_DATABASE": database}
            for name in ("a", "b"):
                servers.append(Server(work / f"kb_{name}", free_port(), work / f"server_{name}.log", env))
            startups = []
            for name, server in zip("AB", servers, strict=True):
                startups.append(round(server.start(args.startup_timeout), 1))
                log(f"server {name} ready in {startups[-1]} s on port {server.port} (pid {server.proc.pid})")
            limits = ParseLimits.from_env()
            budget = limits.wall_seconds + limits.yield_after + 60
            up = Upload("normal", args.upload, args.upload_at, "ingested", "a real policy document")
            questions = load_questions()
            load_before = [round(x, 2) for x in os.getloadavg()]
            stats, visible = Stats(), {}
            t0 = time.monotonic()
            load_t0 = t0 + args.quiet
            deadline = load_t0 + args.duration
            threads = [threading.Thread(target=client_loop, daemon=True,
                                        args=(n, servers[n % 2].port, questions, t0, deadline, stats, args),
                                        kwargs={"server": n % 2})
                       for n in range(args.clients)]
            side = [threading.Thread(target=uploader, args=(args, servers[0].port, servers[0].kb, load_t0, up,
                                                            NO_SESSION, budget),
                                     daemon=True),
                    threading.Thread(target=poll_until_visible, daemon=True,
                                     args=(servers[1].port, load_t0, up, args.upload_timeout, visible))]
            for t in threads + side:
                t.start()
            log(f"{args.clients} clients over A and B: {args.quiet:.0f} s quiet, then {args.duration:.0f} s with "
                f"{up.path.name} uploaded through A at {args.upload_at:.0f} s; B polled from then on")
            for t in threads:
                t.join(args.quiet + args.duration + args.request_timeout + 30)
            for t in side:
                t.join(max(1.0, args.quiet + args.upload_at + args.upload_timeout + 30 - (time.monotonic() - t0)))
            stuck = [t.name for t in threads if t.is_alive()]
            samples = [s for s in stats.samples if s.start < args.quiet + args.duration]
            data = report(args, argv, samples, stuck, up, visible, servers, startups, build_s, load_before, where)
            for server in servers:
                data.setdefault("server_exit", []).append(server.stop())
            json_path, md_path = Path(f"{args.out}.json"), Path(f"{args.out}.md")
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            write_markdown(md_path, data)
            v = data["verdict"]
            log(f"requests {data['summary']['requests']}, errors {v['errors']}, ask p50/p95 "
                f"{data['by_kind']['ask']['p50_ms']}/{data['by_kind']['ask']['p95_ms']} ms; upload "
                f"{up.result.get('outcome')} in {up.result.get('seconds')} s; B answered {v['b_answers_after_s']} s "
                f"after it; {'PASS' if v['pass'] else 'FAIL'}")
            if not v["pass"]:
                for name, server in zip("ab", servers, strict=True):
                    if server.log_path.exists():
                        shutil.copy(server.log_path, Path(f"{args.out}.server_{name}.log"))
            return 0 if v["pass"] else 1
        finally:
            for server in servers:
                server.stop()
            shutil.rmtree(work, ignore_errors=True)


def report(args, argv, samples, stuck, up: Upload, visible: dict, servers: list[Server], startups: list[float],
           build_s: float, load_before: list[float], where: str) -> dict:
    quiet = [s for s in samples if s.start < args.quiet]
    load = [s for s in samples if s.start >= args.quiet]
    by_server = {name: summarize([s for s in load if s.server == i]) for i, name in enumerate("AB")}
    summary = summarize(samples)
    summary["throughput_rps"] = round(len(samples) / (args.quiet + args.duration), 1)
    errors = summary["errors"] + len(stuck) + visible.get("poll_error_count", 0)
    finished = up.result.get("finished_s")
    seen = visible.get("visible_at_s")
    after = round(seen - finished, 2) if seen is not None and finished is not None else None
    started = up.result.get("started_s")
    verdict = {
        "errors": errors, "upload_ok": bool(up.result.get("ok")), "b_answers_at_s": seen,
        "upload_finished_s": finished, "b_answers_after_s": after, "max_visible_s": args.max_visible,
        "b_answers_after_upload_start_s": round(seen - started, 2) if seen is not None and started is not None
        else None,
    }
    verdict["pass"] = bool(errors == 0 and verdict["upload_ok"] and after is not None and after <= args.max_visible)
    return {
        "finished": datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["python", "eval/load_test.py", *(argv if argv is not None else sys.argv[1:])]),
        "config": {"clients": args.clients, "quiet_s": args.quiet, "duration_s": args.duration,
                   "upload_at_s": args.upload_at, "upload": up.path.name, "database": where,
                   "seed": args.seed, "questions": len(load_questions()), "poll_every_s": POLL_EVERY_S},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_before": load_before, "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "kb_ingest_s": round(build_s, 1),
        "server_startup_s": startups,
        "verdict": verdict,
        "summary": summary,
        "by_phase": {"quiet": summarize(quiet), "load": summarize(load)},
        "by_kind": {k: summarize([s for s in load if s.kind == k]) for k in ("ask", "search", "bad_ask", "bad_search")},
        "by_server": by_server,
        "upload": up.result,
        "poll": visible,
        "memory": [server.memory() for server in servers],
        "stuck_clients": stuck,
        "error_examples": [f"{s.kind} at {s.start:.1f} s on {'AB'[s.server]}: {s.error}" for s in samples if not s.ok][:20],
    }


def _row(name: str, row: dict) -> str:
    return f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"


def write_markdown(path: Path, data: dict) -> None:
    c, v, u = data["config"], data["verdict"], data["upload"]
    lines = [
        "# Load test: two `policykb serve` on one PostgreSQL, an upload through A answered by B",
        "",
        f"Run {data['finished']} on {data['machine']['cpus']} CPUs ({data['machine']['platform']}), Python "
        f"{data['machine']['python']}; load average (1/5/15 min) {data['machine']['loadavg_before']} before, "
        f"{data['machine']['loadavg_after']} after. Database: {c['database']}.",
        "",
        "Command:", "", "```", data["command"], "```", "",
        f"The bundled Ganzhou plan ingested into the database ({data['kb_ingest_s']} s), then servers A and B "
        f"started from two empty KB folders on it (start-up {data['server_startup_s'][0]} / "
        f"{data['server_startup_s'][1]} s). {c['clients']} client threads split over A and B (keep-alive, "
        "127.0.0.1): 55% POST /api/ask, 40% GET /api/search, 5% bad requests that must get HTTP 400 with a "
        f"Chinese error; {c['quiet_s']:.0f} s quiet, then {c['duration_s']:.0f} s with {c['upload']} uploaded "
        f"through A's UI upload path at {c['upload_at_s']:.0f} s. From that moment B is polled every "
        f"{c['poll_every_s']} s (GET /api/search?q={POLL_QUERY}) until a hit from the new document.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| **errors** (clients and B's polls) | **{v['errors']}** of {data['summary']['requests']} requests "
        f"({data['summary']['throughput_rps']} per second) |",
        f"| **ask p50 / p95 under load** | **{data['by_kind']['ask']['p50_ms']} / {data['by_kind']['ask']['p95_ms']} ms** |",
        f"| upload through A | {u.get('outcome', 'ERROR')} in {u.get('seconds')} s (started {u.get('started_s')} s, "
        f"finished {u.get('finished_s')} s into the load) |",
        f"| **B answers from the new document** | **{v['b_answers_after_s']} s after A's upload finished** "
        f"(a negative figure: before A's page reported it), {v['b_answers_after_upload_start_s']} s after it "
        f"started; {v['b_answers_at_s']} s into the load, {data['poll'].get('polls')} polls of B; "
        f"limit {v['max_visible_s']} s after A finished |",
        f"| peak memory A / B (VmHWM) | {data['memory'][0].get('peak_rss_mb')} / {data['memory'][1].get('peak_rss_mb')} MB |",
        f"| verdict | {'PASS' if v['pass'] else 'FAIL'} |",
        "",
        "| requests | count | errors | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in data["by_phase"].items():
        lines.append(_row(name, row))
    for name, row in data["by_server"].items():
        lines.append(_row(f"server {name} (load phase)", row))
    for name, row in data["by_kind"].items():
        lines.append(_row(f"{name} (load phase)", row))
    if data["error_examples"] or data["poll"].get("poll_errors"):
        lines += ["", "Errors (first few):", ""] + [f"- {e}" for e in data["error_examples"]]
        lines += [f"- poll of B: {e}" for e in data["poll"].get("poll_errors", [])[:10]]
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
