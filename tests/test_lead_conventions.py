"""A document's own rule for who leads among listed units (kb.conventions), applied to its lists."""

from __future__ import annotations

import pytest

from kb.conventions import BEFORE, FIRST, find_convention
from kb.parse import parse_text


@pytest.mark.parametrize("statement", [
    "排在第一位的部门为牵头部门", "列首位的为牵头单位，下同", "列第一位者为牵头单位", "排名第一的为牵头单位",
    "首个单位为牵头单位", "第一责任单位为牵头单位", "各项任务中牵头单位列第一位", "顿号前为牵头单位",
])
def test_first_listed_rules(statement):
    assert find_convention(f"（注：{statement}。）").kind == FIRST


def test_separator_rules_name_their_separator():
    assert find_convention("逗号前为牵头单位，其余按职责分工负责").separator == "，,"
    rule = find_convention("分号前为牵头单位，分号后为配合单位")
    assert rule.kind == BEFORE and rule.separator == "；;"
    assert find_convention("“；”前为牵头单位").separator == "；;"


def test_no_rule_in_ordinary_sentences():
    for text in ("牵头单位要把安全生产放在首位", "确保民生支出放在第一位", "第一条 为规范管理，制定本办法。"):
        assert find_convention(text) is None


def _who(body: str, snippet: str = "做好保障") -> list[tuple[list[str], list[str]]]:
    parsed = parse_text("某某实施方案\n一、重点任务\n" + body, "x.txt", "txt")
    return [(c.lead_units, c.responsible_units) for c in parsed.clauses if snippet in c.text and c.kind != "heading"]


def test_rule_stated_at_the_end_reaches_every_bracket():
    body = ("（一）推进改革。加强建设。（责任单位：市卫生健康委、市医保局）\n（二）强化保障。做好保障。（责任单位：市财政局、市税务局）\n"
            "各项任务中牵头单位列第一位。")
    assert _who(body) == [(["市财政局"], ["市税务局"])]


def test_semicolon_rule_splits_at_the_semicolon():
    body = ("（一）推进改革。加强建设。（责任单位：市卫生健康委；市医保局、市民政局。分号前为牵头单位，分号后为配合单位，下同）\n"
            "（二）强化保障。做好保障。（责任单位：市财政局、市发展改革委；市税务局）")
    assert _who(body) == [(["市财政局", "市发展改革委"], ["市税务局"])]


def test_bare_unit_list_closing_a_sentence():
    body = ("（一）推进改革。加强建设。（市卫生健康委、市医保局，排名第一的为牵头单位，下同）\n"
            "（二）强化保障。做好保障。（市财政局、市税务局）")
    assert _who(body) == [(["市财政局"], ["市税务局"])]
    assert _who("（一）强化保障。做好保障。（市财政局、市税务局）") == [([], ["市财政局", "市税务局"])]
    # an alias after a name is not a responsibility list
    assert _who("（一）强化保障。做好保障，由市发展和改革委员会（市发展改革委）统筹。") == [([], [])]


def test_sentence_forms_in_parentheses():
    assert _who("（一）强化保障。做好保障（市财政局负责，市税务局配合）。") == [(["市财政局"], ["市税务局"])]
    assert _who("（一）强化保障。做好保障（市财政局会同市税务局负责）。") == [(["市财政局"], ["市税务局"])]


def test_role_brackets_of_every_shape():
    assert _who("（一）强化保障。做好保障。【牵头单位：市财政局；配合单位：市税务局；完成时限：2024年底】") == [
        (["市财政局"], ["市税务局"])]
    assert _who("（一）强化保障。做好保障。（主要责任单位：市财政局；协同单位：市税务局）") == [(["市财政局"], ["市税务局"])]


def test_task_table_with_one_unit_column_follows_the_rule():
    text = ("某某方案\n一、任务\n（一）推进。做好工作。\n附件\n任务分工表\n序号\t工作任务\t责任单位\t完成时限\n"
            "1\t做好保障工作\t市财政局、市税务局\t2024年\n2\t推进改革\t市发展改革委、市财政局\t2025年\n注：责任单位排在第一位的为牵头单位。")
    rows = parse_text(text, "x.txt", "txt").task_rows
    assert [(r.lead_units, r.responsible_units) for r in rows] == [(["市财政局"], ["市税务局"]),
                                                                  (["市发展改革委"], ["市财政局"])]


def test_lead_stated_inside_a_role_bracket_and_in_sentences():
    assert _who("（一）强化保障。做好保障。（责任单位：市财政局牵头，市税务局、市发展改革委配合）") == [
        (["市财政局"], ["市税务局", "市发展改革委"])]
    assert _who("（一）强化保障。市财政局牵头，会同市税务局做好保障工作。") == [(["市财政局"], ["市税务局"])]
    assert _who("（一）强化保障。市财政局会同市税务局做好保障工作。") == [(["市财政局"], ["市税务局"])]
    assert _who("（一）强化保障。做好保障。（责任主体：市财政局；配合单位：市税务局）") == [(["市财政局"], ["市税务局"])]


def test_square_brackets_and_a_rule_stated_before_the_first_part():
    text = "某某方案\n（注：排在第一位的为牵头单位）\n一、任务\n（一）推进改革。做好保障。〔市财政局、市税务局〕"
    clause = next(c for c in parse_text(text, "x.txt", "txt").clauses if "做好保障" in c.text)
    assert (clause.lead_units, clause.responsible_units) == (["市财政局"], ["市税务局"])
    assert _who("（一）强化保障。做好保障。〔市财政局、市税务局按职责分工负责〕") == [([], ["市财政局", "市税务局"])]
