"""Honest search (issue 12): no padding to k, "未找到相关条款" when nothing is relevant, absolute figures shown,
"只看现行有效" meaning in force, with unknown validity a separate choice. On the bundled Ganzhou plan."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import TODAY
from ui_fixtures import running_server

from kb.library import Library
from kb.retriever import Filters
from ui.relevance import THRESHOLD_FILE, coverage, fitted_rule
from ui.service import UIService


@pytest.fixture(scope="module")
def service(built_kb_dir: Path) -> UIService:
    service = UIService(Library(built_kb_dir, today=lambda: TODAY))
    service.warm()
    return service


def test_the_threshold_is_data_with_its_command_and_figures():
    data = json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))
    assert data["command"] == "python -m ui.fit_search_threshold --write"
    assert "dev" in data["fitted_on"] and data["best_gold_hits_kept"] >= data["keep"]
    rule = fitted_rule()
    assert 0 < rule.min_coverage < 1 and 0.5 < rule.min_similarity < 1


def test_a_term_the_documents_lack_finds_nothing(service):
    # issue 12: "停车费" listed 10 clauses, the first "相关度 0.850", none about parking. The plan mentions
    # parking once (智慧停车 among city scenarios): that clause, and only it, may stay.
    parking = service.search_hits("停车费", k=10)
    assert len(parking) <= 1 and all("停车" in h.citation.text for h in parking)
    for absent in ("房屋维修基金", "出租车驾驶员从业资格"):
        assert service.search_hits(absent, k=10) == [], absent
        html = service.search_html(absent)
        assert "未找到相关条款" in html and "pk-hit" not in html


def test_results_are_not_padded_and_each_one_passes(service):
    hits = service.search_hits("东数西算", k=10)
    assert hits and len(hits) < 10, "padding to k is back"
    assert "东数西算" in hits[0].citation.text
    rule = fitted_rule()
    for hit in hits:
        assert rule.passes(hit.coverage, hit.similarity)
        assert hit.coverage == pytest.approx(coverage("东数西算", hit.citation.text), abs=1e-3)
    html = service.search_html("东数西算")
    assert "语义相似度" in html and "关键词覆盖" in html and "相关度 " not in html


def test_in_force_means_in_force_and_unknown_is_separate(service):
    strict = service.search_hits("大数据交易中心", k=10, filters=Filters(in_force_only=True), include_unknown=False)
    assert all(h.citation.in_force is True for h in strict)
    loose = service.search_hits("大数据交易中心", k=10, filters=Filters(in_force_only=True), include_unknown=True)
    assert loose and all(h.citation.in_force is not False for h in loose)
    assert any(h.citation.in_force is None for h in loose)
    assert "仅现行有效（含未载明有效期）" in service.search_html("大数据交易中心", in_force_only=True,
                                                              include_unknown=True)


def test_the_json_api_is_as_honest(kb_copy: Path):
    library = Library(kb_copy, today=lambda: TODAY)
    with running_server(library) as server:
        def get(**params):
            with urllib.request.urlopen(server.url + "api/search?" + urllib.parse.urlencode(params), timeout=60) as r:
                return json.loads(r.read())
        assert get(q="房屋维修基金", k=10) == []
        hits = get(q="东数西算", k=10)
        assert hits and {"similarity", "coverage", "score"} <= set(hits[0])
        assert all(h["in_force"] is True for h in get(q="大数据交易中心", in_force="true"))
