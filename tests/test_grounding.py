"""The grounding check: an answer whose unit, amount, percentage or date is not in a cited clause is
never returned as such (the answerer falls back to quoting the clause)."""

from __future__ import annotations

import pytest

from kb.compose.common import Draft
from kb.grounding import facts_in, ungrounded
from kb.qa import answerer as answerer_module

CLAUSE = ("3.支持企业做大做强。对数字经济企业合同执行金额达到1000万元以上的，按合同执行金额的2%给予奖励，"
          "最高不超过50万元。政策措施有效期为两年（2022—2023年）。〔责任单位：市工信局〕")
UNITS = ["市工信局", "市财政局", "市行政审批局"]


def test_facts_are_found_in_an_answer() -> None:
    facts = facts_in("由市工信局牵头，最高50万元，按2%计，有效期2022—2023年。[1]", UNITS)
    assert {"市工信局", "50万元", "2%", "2022—2023年"} <= set(facts)


def test_a_true_answer_is_grounded() -> None:
    answer = "按2%给予奖励，最高不超过50万元，由市工信局负责，有效期2022—2023年。[1]"
    assert ungrounded(answer, [CLAUSE], UNITS) == []


@pytest.mark.parametrize(
    ("doctored", "fact"),
    [
        ("按2%给予奖励，最高不超过80万元。[1]", "80万元"),
        ("按3%给予奖励，最高不超过50万元。[1]", "3%"),
        ("该项由市财政局负责。[1]", "市财政局"),
        ("有效期为2022—2025年。[1]", "2022—2025年"),
        ("自2024年6月1日起施行。[1]", "2024年6月1日"),
    ],
)
def test_a_doctored_fact_is_caught(doctored: str, fact: str) -> None:
    assert fact in ungrounded(doctored, [CLAUSE], UNITS)


def test_a_computed_figure_stands_only_when_declared() -> None:
    answer = "按2%计算，2000万元×2%=40万元。[1]"
    assert ungrounded(answer, [CLAUSE, "合同执行金额2000万元能奖多少"], UNITS) == ["40万元"]
    assert ungrounded(answer, [CLAUSE, "合同执行金额2000万元能奖多少"], UNITS, derived=["40万元"]) == []


def test_the_answerer_never_returns_a_doctored_answer(answerer, monkeypatch) -> None:
    honest = answerer.ask("合同执行金额2000万元能奖多少")
    assert "40万元" in honest.answer

    def doctored_incentive(ctx):
        clause = next(c for c, _ in ctx.hits if "2%" in c.text)
        return Draft("incentive", "按该条款可获80万元奖励，由市财政局兑现。[1]", [clause])

    monkeypatch.setattr(answerer_module, "incentive", doctored_incentive)
    a = answerer.ask("合同执行金额2000万元能奖多少")
    assert a.found
    assert "80万元" not in a.answer and "市财政局" not in a.answer
    assert a.answer.startswith("最相关的条款")
    assert len(a.citations) == 1 and "2%" in a.citations[0].text
