"""CI regression check: the gold TEST split must stay at or above the committed floors.

The floors (eval/results/floors.json) are the test-split figures measured when they were committed,
minus 2 points: Ganzhou answer accuracy (first sentence), all-corpus answer accuracy, answer-citation
recall@3 and abstention recall. Questions on ../shared documents (and the all-corpus floors) are
skipped when ../shared/corpus is absent.

The KB is the evaluation's cached one (eval/.cache/kb, rebuilt only when the corpus or the ingest/index
code changes). With the cache warm this file runs in well under a minute; a cold build embeds every
clause of the corpus with e5 first (about 3-4 minutes on 2 cores).
"""

from __future__ import annotations

import pytest

from eval.common import (
    SHARED_CORPUS,
    canon,
    expect_met,
    first_sentence,
    is_gold_text,
    load_gold,
    recall_block,
)
from eval.run_eval import FLOOR_METRICS, check_floors, load_floors, run


@pytest.fixture(scope="module")
def test_split_result() -> dict:
    return run(None, "test", retrieval=False, log=lambda s: None)


def test_floors_file_is_well_formed() -> None:
    floors = load_floors()
    assert floors, "eval/results/floors.json is missing: run `python -m eval.run_eval --split test --write-floors`"
    assert floors["split"] == "test"
    assert set(floors["floors"]) <= set(FLOOR_METRICS)
    assert {"ganzhou.answer_accuracy"} <= set(floors["floors"])
    assert all(0.0 <= v <= 1.0 for v in floors["floors"].values())


@pytest.mark.slow
def test_test_split_meets_floors(test_split_result: dict) -> None:
    floors = load_floors()
    broken = check_floors(test_split_result["test_groups"], floors, SHARED_CORPUS.is_dir())
    assert not broken, "figures below the committed floor: " + "; ".join(broken)


@pytest.mark.slow
def test_no_gold_question_makes_the_answerer_raise(test_split_result: dict) -> None:
    errors = [(r.id, r.error) for r in test_split_result["records"] if r.error]
    assert not errors


@pytest.mark.slow
def test_shared_questions_follow_the_shared_folder(test_split_result: dict) -> None:
    sets = {r.set for r in test_split_result["records"]}
    assert "ganzhou" in sets
    assert ("shared" in sets) == SHARED_CORPUS.is_dir()


# -- the scoring rule itself (eval/gold/README.md), cheap -------------------------------------------


def _q(**kw):
    base = dict(id="x", set="ganzhou", question="?", doc="ganzhou_digital_economy_2022", intent="who_leads",
                user="helpdesk", answerable=True, gold_quotes=("探索建设赣南大数据交易中心",), expect=("市行政审批局",),
                split="test")
    base.update(kw)
    from eval.common import GoldQuestion

    return GoldQuestion(**base)


def test_gold_citation_rule() -> None:
    q = _q()
    clause = "（五）激发数据要素新活力。探索建设 赣南大数据\n交易中心，由市国资平台……"
    assert is_gold_text(q, clause, "ganzhou_digital_economy_2022")
    assert not is_gold_text(q, clause, "guangan_ip_policies_2022")  # right words, wrong document
    assert not is_gold_text(q, "推动数据资源互通", "ganzhou_digital_economy_2022")
    # a short table row counts when a gold quote contains all of it (>= 12 characters)
    assert is_gold_text(_q(gold_quotes=("常态化开展打击虚拟货币“挖矿”整治行动",)), "开展打击虚拟货币“挖矿”整治行动",
                        "ganzhou_digital_economy_2022")
    assert not is_gold_text(_q(gold_quotes=("常态化开展打击虚拟货币“挖矿”整治行动",)), "整治行动", "ganzhou_digital_economy_2022")
    assert not is_gold_text(_q(answerable=False, gold_quotes=()), clause, "ganzhou_digital_economy_2022")


def test_canonical_form_folds_what_the_normaliser_folds() -> None:
    assert canon("市直(驻市)各单位, 各县(市、区)") == canon("市直（驻市）各单位，各县（市、区）")
    assert canon("1.2\n元\n/\n千瓦时") == "1.2元/千瓦时"
    assert canon("〔责任单位：市发改委〕") == canon("[责任单位：市发改委]")


def test_answer_accuracy_uses_the_first_sentence() -> None:
    q = _q(expect=("市行政审批局", "赣州国投集团"))
    answer = "赣南大数据交易中心由市行政审批局牵头，市委网信办、赣州国投集团为责任单位。[1]"
    assert expect_met(q, first_sentence(answer))
    late = "赣南大数据交易中心由市行政审批局牵头。[1]赣州国投集团为责任单位。"
    assert not expect_met(q, first_sentence(late)) and expect_met(q, late)
    assert expect_met(_q(expect=("40万元",)), "2000 万元×2%=40 万元[1]，未超过上限。")
    assert not expect_met(_q(expect=()), "anything")


def test_recall_block() -> None:
    m = recall_block([1, 3, None, 5], (1, 3, 5))
    assert m["recall@1"] == 0.25 and m["recall@3"] == 0.5 and m["recall@5"] == 0.75
    assert m["mrr@5"] == pytest.approx((1 + 1 / 3 + 1 / 5) / 4)


def test_gold_sets_load_by_split() -> None:
    dev, test = load_gold("dev"), load_gold("test")
    assert dev and test and not ({q.id for q in dev} & {q.id for q in test})
    assert {q.id for q in load_gold("all")} == {q.id for q in dev} | {q.id for q in test}
