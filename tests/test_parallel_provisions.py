"""Money answers read one clause's parallel provisions: the one the question names, counts times each
amount, ordinals as the clause writes them, the step a figure reaches and a base plus increments."""

from __future__ import annotations

import pytest

from kb.compose.common import Context
from kb.compose.provisions import parallel_provisions
from kb.confidence import GramStats
from kb.models import BODY, Clause

_MEDALS = ("第六条对获得单项项目前8名的选手，按以下标准给予奖励：每获得金牌1枚，奖励2万元；每获得银牌1枚，奖励1万元；"
           "每获得铜牌1枚，奖励5000元；获得第4名至第8名的，分别奖励1000元。")
_PLACES = ("第七条对获得团体项目前3名的队伍，按以下标准给予奖励：获得第1名，每名队员奖励6000元；获得第2名，每名队员奖励3000元；"
           "获得第3名，每名队员奖励2000元。")
_PRIZES = "第八条优秀成果奖一等奖5项，每项奖励20000元；二等奖10项，每项奖励10000元；三等奖20项，每项奖励5000元。"
_BEYOND = "（十四）对服务机构同一年度代理授权量达10件的，奖励2万元；超过10件的部分，每10件奖励1万元，累计最高奖励10万元。"
_LISTING = ("对本地企业首次成功在主板上市的，最高补助1000万元；首次成功在创业板上市的，最高补助500万元；"
            "首次成功在新三板挂牌的，最高补助100万元，进入创新层的再补助200万元。")
_MIXED = ("对新设立的企业给予一次性开办补贴3万元。对吸纳就业满一年的，每人给予就业补贴5000元，每户企业最多补贴20人。"
          "对获得省级认定的孵化基地给予一次性奖励50万元。")


def _clause(text: str, label: str) -> Clause:
    return Clause(f"d#{label}", "d", label, 1, BODY, "", [label], text, 0, len(text), 0)


_CLAUSES = {name: _clause(text, name) for name, text in
            {"medals": _MEDALS, "places": _PLACES, "prizes": _PRIZES, "beyond": _BEYOND, "mixed": _MIXED,
              "listing": _LISTING}.items()}
_STATS = GramStats(list(_CLAUSES.values()))


def _rule(question: str, clause: str):
    grams = [question[i:i + 2] for i in range(len(question) - 1)]
    ctx = Context(question, grams, _STATS, [(_CLAUSES[clause], 1.0)], None, 0.2)  # type: ignore[arg-type]
    return parallel_provisions(ctx, _CLAUSES[clause])


@pytest.mark.parametrize(("question", "clause", "says", "not_says"), [
    ("单项拿了银牌奖多少", "medals", "每获得银牌1枚，奖励1万元", "2万元"),
    ("铜牌奖励多少钱", "medals", "奖励5000元", "1万元"),
    ("团体项目得了第二名，队员每人奖多少", "places", "获得第2名，每名队员奖励3000元", "6000元"),
    ("一等奖奖金是多少", "prizes", "每项奖励20000元", "10000元"),
])
def test_the_provision_the_question_names(question: str, clause: str, says: str, not_says: str) -> None:
    rule = _rule(question, clause)
    assert rule is not None and says in rule.text and not_says not in rule.text


def test_counts_before_named_items_are_multiplied_and_summed() -> None:
    rule = _rule("单项拿了2枚金牌1枚银牌，一共能领多少", "medals")
    assert rule is not None and "2×2万元+1×1万元=5万元" in rule.text and rule.derived == ["5万元"]


@pytest.mark.parametrize(("count", "working"), [
    (30, "2万元+2×1万元=4万元"),
    (200, "2万元+19×1万元=21万元，超过最高10万元，按10万元计"),
])
def test_a_base_amount_plus_each_full_increment_beyond_it(count: int, working: str) -> None:
    rule = _rule(f"服务机构一年代理授权{count}件，奖多少", "beyond")
    assert rule is not None and working in rule.text


def test_a_figure_below_the_base_step_is_not_computed() -> None:
    assert _rule("服务机构一年代理授权5件，奖多少", "beyond") is None


def test_unrelated_payments_of_one_clause_are_not_parallel_provisions() -> None:
    # three payments of different templates: no word of the question picks "the" provision among them
    assert _rule("孵化基地就业补贴每人多少", "mixed") is None


def test_a_sum_the_question_gives_is_left_to_the_rate_rules() -> None:
    assert _rule("投资了500万元，拿了银牌奖多少", "medals") is None


def test_a_payment_of_another_shape_holding_the_words_is_not_passed_over() -> None:
    # the 新三板 part pays two sums; the rule must not answer with 主板 or 创业板 instead
    assert _rule("新三板挂牌补多少，进创新层呢", "listing") is None
    rule = _rule("创业板上市补多少", "listing")
    assert rule is not None and "500万元" in rule.text and "1000万元" not in rule.text
