"""Answer types from the interrogative form, candidates without boilerplate, one shape per type.

Questions here are written for these tests in the general forms people use; none is a gold question."""

from __future__ import annotations

import re

import pytest

from kb.compose.common import Draft
from kb.models import BODY, PREAMBLE, Clause
from kb.qa import analysis as A
from kb.qa.candidates import Candidate, clause_units, is_junk
from kb.qa.composers import announces_parts, compose, verdict


@pytest.mark.parametrize("question, expected", [
    ("这项工作由哪个部门牵头？", A.UNIT),
    ("谁负责受理申请", A.UNIT),
    ("新建养老机构能拿多少钱补贴", A.MONEY),
    ("贷款贴息比例是多少", A.RATE),
    ("到2025年要建成多少个服务站", A.COUNT),
    ("这个办法什么时候开始施行", A.DATE),
    ("外地户籍的可以申请吗", A.YESNO),
    ("申请要满足什么条件", A.CONDITIONS),
    ("什么情况下可以延期办理", A.CONDITIONS),
    ("有哪些情形不予受理", A.CONDITIONS),
    ("需要准备哪些材料", A.MATERIALS),
    ("具体怎么申请，流程是什么", A.PROCEDURE),
    ("什么是标准地", A.DEFINITION),
    ("资助对象是什么", A.DEFINITION),
    ("主要任务有哪些", A.LIST),
    ("农村电商 场地补贴", A.KEYWORD),
    ("这类事故由哪一级政府组织调查", A.UNIT),
    ("产业园区建设是哪里牵头", A.UNIT),
    ("充电桩每度电补贴几毛钱", A.MONEY),
    ("配套资金谁出", A.MONEY),
    ("一等奖的奖金是多少", A.MONEY),
    ("哪些时间不计入审查期限", A.LIST),
    ("场地租金标准是多少", A.MONEY),
    ("区教育局在这个方案里牵头什么", A.LIST),
])
def test_answer_type_from_the_interrogative_form(question: str, expected: str) -> None:
    assert A.answer_type(question) == expected


def _clause(text: str, label: str = "一", title: str = "") -> Clause:
    return Clause(f"d#{label}", "d", label, 1, BODY, title, [], text, 0, len(text), 0)


def test_site_furniture_titles_and_date_lines_are_never_candidates() -> None:
    c = _clause("x")
    for junk in ("扫一扫在手机打开当前页", "相关附件：实施细则.docx", "2023年5月6日", "一、总体要求",
                 "https://www.example.gov.cn/art/2023/5/6.html"):
        assert is_junk(junk, c), junk
    assert not is_junk("对新认定的示范基地给予一次性奖励20万元。", c)


def test_a_clause_whose_title_is_its_first_sentence_keeps_it_and_its_label_value_lines() -> None:
    """（一）推行X，2024年底前完成。牵头单位：Y。 — the segmenter takes the first sentence as the item's title;
    it is still the clause's content, and "牵头单位：Y" states the fact a who-leads question asks."""
    c = _clause("（一）推行一窗受理，2024年底前完成。牵头单位：市数据局。", "一（一）", "推行一窗受理，2024年底前完成")
    assert not is_junk("（一）推行一窗受理，2024年底前完成。", c)
    assert not is_junk("牵头单位：市数据局。", c)
    assert is_junk("加快发展数字产业", _clause("（一）加快发展数字产业", "一（一）", "加快发展数字产业"))


def test_inline_items_are_cut_at_their_markers() -> None:
    c = _clause("申请人应提交以下材料：（1）申请表；（2）营业执照复印件；（3）近一年财务报表。")
    units = clause_units(c)
    assert [item for _, item in units] == [False, True, True, True]
    assert units[2][0].startswith("（2）营业执照")


def _cand(clause: Clause, text: str, prob: float = 0.9, lead_in: bool = False) -> Candidate:
    return Candidate(text, clause, 0, 1.0, 0, False, lead_in, prob)


def test_a_procedure_is_answered_with_every_step_not_the_lead_in_line() -> None:
    c = _clause("申报按以下流程办理：1.企业在线提交申请；2.区级部门初审；3.市级部门复核并公示；4.拨付资金。")
    draft = compose(A.PROCEDURE, [_cand(c, "申报按以下流程办理：", lead_in=True)], lambda _c: [])
    assert isinstance(draft, Draft)
    head = draft.answer.partition("。")[0]
    for step in ("企业在线提交申请", "区级部门初审", "市级部门复核并公示", "拨付资金"):
        assert step in head
    assert head.startswith("申报按以下流程办理：（1）")


def test_a_procedure_or_conditions_told_in_sentences_are_answered_with_all_of_them_in_order() -> None:
    c = _clause("接到报案后，应当及时派员赶赴现场。对重大案件，应当在3日内上报上级机关，提出立案建议。"
                "情况有变的，应当及时补报。")
    best = "对重大案件，应当在3日内上报上级机关，提出立案建议。"
    head = compose(A.PROCEDURE, [_cand(c, best)], lambda _c: []).answer.partition("。")[0]
    assert head.startswith("接到报案后，应当及时派员赶赴现场；对重大案件") and head.endswith("应当及时补报")
    # conditions told in sentences are all of them too; another kind of question keeps to its one sentence
    assert compose(A.CONDITIONS, [_cand(c, best)], lambda _c: []).answer.startswith("接到报案后")
    assert compose(A.KEYWORD, [_cand(c, best)], lambda _c: []).answer.startswith("对重大案件")


def test_numbered_child_clauses_are_the_items_of_their_parent() -> None:
    parent = _clause("（二）支持对象。符合下列条件之一的：", "二", "支持对象")
    kids = [_clause("1.年满60周岁的本市户籍老人；", "二1"), _clause("2.经评估为失能的老人。", "二2")]
    draft = compose(A.LIST, [_cand(parent, "符合下列条件之一的：", lead_in=True)], lambda c: kids if c is parent else [])
    # each item is a clause of its own and is cited as such, after the lead-in's clause
    assert "（1）年满60周岁的本市户籍老人[2]；（2）经评估为失能的老人[3]" in draft.answer
    assert draft.cited == [parent, *kids]


def test_an_item_clause_answers_with_its_parents_whole_list() -> None:
    parent = _clause("第十九条申报者分别按下列程序办理：", "第十九条", "")
    kids = [_clause("（一）市级单位作者向所在学会申报；", "第十九条（一）"),
            _clause("（二）县级作者向所在县社科联申报；", "第十九条（二）"),
            _clause("（三）其他申报者直接向评奖办公室申报。", "第十九条（三）")]
    for kid in kids:
        kid.parent_id = parent.clause_id
    best = _cand(kids[1], kids[1].text)
    draft = compose(A.PROCEDURE, [best], lambda c: kids if c is parent else [],
                    lambda c: parent if c.parent_id == parent.clause_id else None)
    head = draft.answer.partition("。")[0]
    assert head.startswith("申报者分别按下列程序办理[1]：（1）市级单位作者")
    assert "（3）其他申报者直接向评奖办公室申报" in head


def test_an_item_under_a_bare_heading_answers_alone() -> None:
    # "三、产业发展政策" groups its parts; a question on one part is not asking for all of them
    parent = _clause("三、产业发展政策", "三", "产业发展政策")
    kids = [_clause("（一）支持集聚发展。每年遴选5家市级数字经济集聚区，给予一次性补助50万元。", "三（一）"),
            _clause("（二）支持做优做强。对首次进入规模以上的企业给予奖励。", "三（二）")]
    for kid in kids:
        kid.parent_id = parent.clause_id
    draft = compose(A.CONDITIONS, [_cand(kids[0], kids[0].text)], lambda c: kids if c is parent else [],
                    lambda c: parent if c.parent_id == parent.clause_id else None)
    assert draft.cited[0] is kids[0]
    assert "支持做优做强" not in draft.answer


def test_a_preamble_announcing_the_parts_answers_with_the_parts() -> None:
    # "…结合本地实际，特制定以下五条措施。" then 一、… 二、…: the measures are the document's top-level parts
    preamble = _clause("为加快推进老旧小区改造，结合本地实际，特制定以下五条措施。", "序言")
    preamble.kind = PREAMBLE
    parts = [_clause(f"{n}、{name}。各地要抓好落实。", n, name)
             for n, name in zip("一二三四五", ("优化改造方案", "盘活存量资源", "精简审批流程", "加大资金支持", "强化组织保障"), strict=True)]
    assert announces_parts(preamble.text) and not announces_parts(parts[0].text)
    draft = compose(A.LIST, [_cand(preamble, preamble.text)], lambda c: parts if c is preamble else [])
    head = draft.answer.partition("。")[0]
    assert head.startswith("特制定以下五条措施[1]：（1）优化改造方案")
    assert re.search(r"（5）强化组织保障[^；]*\[6\]$", head) and draft.cited == [preamble, *parts]


def test_yes_no_leads_with_the_verdict() -> None:
    c = _clause("已享受同类补贴的，不得重复申请。")
    assert compose(A.YESNO, [_cand(c, c.text)], lambda _c: []).answer.startswith("不可以：已享受同类补贴的")
    c2 = _clause("企业年营业收入须达到500万元以上。")
    assert compose(A.YESNO, [_cand(c2, c2.text)], lambda _c: []).answer.startswith("需满足条件：")


@pytest.mark.parametrize("sentence, words, expected", [
    # the part asked about grants; a later part forbids refusing it, which grants too
    ("落实托育机构用水享受居民价格政策，不得以房屋性质为由拒绝执行", ["托育", "用水", "居民"], "可以"),
    ("经营场所不得拒收现金", ["现金"], "可以"),
    # a ban in another part of the sentence than the one asked about does not answer no
    ("符合条件的企业可以申请贴息，已享受其他贴息的，不得重复申请", ["企业", "申请", "贴息"], "需满足条件"),
    ("已享受其他贴息的，不得重复申请", ["享受", "贴息", "重复"], "不可以"),
    # a bound is a condition to meet, not a refusal
    ("补助标准不得低于每人每月500元", ["补助", "标准"], "需满足条件"),
])
def test_the_verdict_is_read_from_the_part_asked_about(sentence: str, words: list[str], expected: str) -> None:
    assert verdict(sentence, words) == expected


def test_which_ones_asks_for_names_and_a_quantity_answers_a_quantity() -> None:
    assert A.answer_type("七大产业都是哪几个") == A.LIST
    assert A.answer_type("哪几个部门负责") == A.UNIT
    # a how-much question is answered by any stated quantity: a share, an amount, a count
    assert A.states_quantity("按实际到位资金的50%给予资助")
    assert not A.states_quantity("按规定程序申报")
    assert A.states_value(A.DATE, "原则上每两年评选一次")


@pytest.mark.parametrize("answer_type", [A.YESNO, A.MONEY, A.KEYWORD])
def test_the_clause_number_is_left_to_the_citation(answer_type: str) -> None:
    text = "第二十三条申请送餐补贴的老年人，应当接受照护需求评估。"
    draft = compose(answer_type, [_cand(_clause(text), text)], lambda _c: [])
    assert isinstance(draft, Draft)
    body = re.sub(r"^(?:可以|不可以|需满足条件)：", "", draft.answer)
    assert body.startswith("申请送餐补贴的老年人") and "第二十三条" not in draft.answer


@pytest.mark.parametrize(("question", "expected"), [
    ("谁牵头探索建设赣南大数据交易中心？", A.UNIT), ("数字经济企业能拿多少钱奖励", A.MONEY), ("1", A.KEYWORD),
])
def test_an_answer_says_the_kind_of_thing_asked(answerer, question: str, expected: str) -> None:
    """The answer (and its JSON) carries the answer type read from the question, found or not."""
    answer = answerer.ask(question)
    assert answer.answer_type == expected and answer.to_dict()["answer_type"] == expected
