"""Bulk ingest on Ray (kb.bulk): the same KB and vectors as a plain ingest, re-ingest embeds only new text,
the local cluster listens on loopback only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="ray is installed by the test extra")

from kb.bulk import bulk_ingest, start_local_cluster  # noqa: E402
from kb.library import Library  # noqa: E402
from kb.retriever import Retriever  # noqa: E402

TODAY = date(2026, 11, 29)
DOCS = {
    "kechuang.txt": "赣州市促进科技创新的若干措施\n\n一、对首次认定的高新技术企业，给予一次性奖励20万元。\n"
                    "二、对新建的省级以上研发平台，给予一次性补助50万元。\n三、本措施由市科技局负责解释。\n",
    "rencai.txt": "赣州市引进高层次人才的实施办法\n\n一、对全职引进的博士研究生，给予安家补贴10万元。\n"
                  "二、对人才创办的企业，按实际租金的50%给予场地补贴，最高不超过5万元。\n三、本办法由市人社局负责解释。\n",
    "nongye.txt": "赣州市支持现代农业发展的若干措施\n\n一、对新认定的国家级农业产业化龙头企业，奖励30万元。\n"
                  "二、对新建高标准农田，每亩补助1500元。\n三、本措施由市农业农村局负责解释。\n",
}


@pytest.fixture(scope="module")
def ray_cluster():
    start_local_cluster(2)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture()
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_bulk_ingest_on_two_workers_equals_a_plain_ingest(ray_cluster, sources, tmp_path):
    plain = Library(tmp_path / "plain", today=lambda: TODAY)
    assert all(r.ok for r in plain.ingest([sources]))
    want = Retriever(plain).index()

    bulk = Library(tmp_path / "bulk", today=lambda: TODAY)
    report, retriever = bulk_ingest(bulk, [sources], workers=2)
    assert report.ok and report.workers == 2 and len(report.reports) == 3
    got = retriever.index()
    assert got.ids == want.ids and report.clauses == len(want.ids) >= 9
    assert report.embedded_new == len(want.ids) and report.extra["index_embedded_new"] == 0  # workers embedded all
    usage = report.extra["embed_usage"]  # each worker's e5 on one thread: workers, not threads, share the cores
    assert usage and all(u["omp_num_threads"] == 1 and u["cpu_s"] > 0 for u in usage)
    for q in ("高新技术企业奖励多少", "博士安家补贴"):
        a, b = got.scores(q, got.ids), want.scores(q, want.ids)
        assert np.allclose([a[c] for c in got.ids], [b[c] for c in got.ids], rtol=0, atol=1e-6)
    assert [h.clause_id for h in got.search("博士安家补贴", k=3)] == [h.clause_id for h in want.search("博士安家补贴", k=3)]


def test_re_ingest_embeds_only_new_text(ray_cluster, sources, tmp_path):
    lib = Library(tmp_path / "kb", today=lambda: TODAY)
    first, _ = bulk_ingest(lib, [sources], workers=1)  # in this process: the cache is the same either way
    again, _ = bulk_ingest(lib, [sources], workers=2)
    assert again.ok and again.embedded_new == 0 and again.cached == first.clauses
    path = sources / "nongye.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("每亩补助1500元", "每亩补助2000元"), encoding="utf-8")
    changed, retriever = bulk_ingest(lib, [path], workers=2)
    assert changed.ok and changed.embedded_new == 1
    assert "2000元" in retriever.search("高标准农田每亩补助", k=1)[0][0].text


def test_the_local_cluster_listens_on_loopback_only(ray_cluster):
    import psutil

    assert [n["NodeManagerAddress"] for n in ray.nodes()] == ["127.0.0.1"]
    ray_procs = [p for p in psutil.process_iter(["cmdline"]) if any("ray" in a for a in (p.info["cmdline"] or []))]
    listening = [c.laddr for p in ray_procs for c in _inet(p) if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip in ("127.0.0.1", "::ffff:127.0.0.1", "::1") for addr in listening), listening


def _inet(proc):
    import psutil

    try:
        return proc.net_connections(kind="inet")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def test_cli_ingest_with_workers_runs_bulk_ingest(ray_cluster, sources, tmp_path, monkeypatch):
    """`policykb ingest --workers 2`: the same per-file reports as a plain ingest, the index built once by
    kb.bulk (a second run embeds nothing), and the answer found by a later command."""
    import json

    from click.testing import CliRunner

    from kb.cli import main

    monkeypatch.setenv("POLICYKB_TODAY", "2026-11-29")
    runner, kb = CliRunner(), str(tmp_path / "kb")
    first = runner.invoke(main, ["ingest", str(sources), "--kb", kb, "--workers", "2", "--json"])
    assert first.exit_code == 0, first.output
    reports = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(reports) == 3 and all(r["ok"] for r in reports) and sum(r["clauses"] for r in reports) >= 9
    assert "批量导入：2 个工作进程" in first.stderr and "新嵌入 0 段" not in first.stderr
    again = runner.invoke(main, ["ingest", str(sources), "--kb", kb, "--workers", "2"])
    assert again.exit_code == 0 and "新嵌入 0 段" in again.stderr, again.output
    hits = json.loads(runner.invoke(main, ["search", "博士安家补贴", "--kb", kb, "--json"]).output)
    assert "10万元" in hits[0]["text"]


def test_cli_workers_without_ray_says_what_to_install(tmp_path, monkeypatch):
    import sys

    from click.testing import CliRunner

    from kb.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path), "--kb", str(tmp_path / "kb"), "--workers", "2"])
    assert result.exit_code == 1 and "请先安装: pip install -e '.[ray]'" in result.output
