"""The segmenter follows the document's own numbering and keeps every clause an exact slice."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.normalize import normalize
from kb.parse import parse_text
from kb.segment import segment


def _labels(text: str) -> list[str]:
    return [s.label for s in segment(normalize(text))]


def test_line_numbering_levels():
    text = "总则\n一、目标\n（一）总体目标。到2025年建成。\n1.第一项。\n2.第二项。\n（二）分项目标。\n二、措施\n（一）措施一。"
    assert _labels(text) == ["前言1", "一", "一（一）", "一（一）1", "一（一）2", "一（二）", "二", "二（一）"]


def test_articles_under_chapters_are_labelled_alone():
    text = "第一章 总则\n第一条 为了规范。\n第二条 适用范围。\n（一）居家老人。\n第二章 服务\n第三条 服务内容。"
    assert _labels(text) == ["第一章", "第一条", "第二条", "第二条（一）", "第二章", "第三条"]


def test_flattened_single_line_document():
    body = "各有关单位：为促进就业，制定本办法。" + "一、稳岗支持对不裁员的企业返还失业保险费。（责任单位：市人社局）" * 1
    body += "二、创业扶持（一）担保贷款。符合条件的可申请贷款。（二）场地支持。给予补贴。三、组织保障各地要加强领导。"
    body += "说明文字" * 400  # long enough to count as a flattened page
    labels = _labels(body)
    assert labels[:6] == ["前言1", "一", "二", "二（一）", "二（二）", "三"]


def test_marker_inside_running_text_is_not_a_clause():
    # "统一、" and "1.5" are not numbering
    text = "一、总体要求\n坚持统一、规范的原则，能效降至1.5以下。\n二、措施\n1.第一项。"
    assert _labels(text) == ["一", "二", "二1"]


def test_heading_and_body_on_one_line():
    parsed = parse_text("一、目标定位。围绕打造走廊，推动发展。\n（一）信息技术。依托产业园发展。〔责任单位：市工信局〕", "x.txt", "txt")
    clause = next(c for c in parsed.clauses if c.label == "一（一）")
    assert clause.title == "信息技术"
    assert clause.responsible_units == ["市工信局"]


def test_loose_paragraph_after_a_bracket_is_its_own_clause():
    text = "一、保障\n（一）机制。加强领导。〔责任单位：市发改委〕\n本方案自印发之日起执行，有效期为两年（2022—2023年）。"
    parsed = parse_text(text, "x.txt", "txt")
    last = parsed.clauses[-1]
    assert last.text.startswith("本方案自印发之日起执行")
    assert last.label == "段1"


def test_same_text_gives_same_ids():
    text = "关于测试的实施方案\n一、目标\n（一）内容。"
    a = parse_text(text, "a.txt", "txt")
    b = parse_text(text, "b.txt", "txt")
    assert [c.clause_id for c in a.clauses] == [c.clause_id for c in b.clauses]


FRAGMENTS = st.sampled_from(
    ["一、", "二、", "十一、", "（一）", "（二）", "1.", "2.", "（1）", "①", "第五条", "第二章", "附件", "附件1",
     "〔责任单位：市工信局、市发改委〕", "（牵头单位：市财政局，责任单位：市税务局）", "\t", "\n", "\n\n", "。", "，",
     "50万元", "1亿元、5亿元、10亿元", "分别给予20万元、50万元和100万元", "2%", "最高不超过50万元", "有效期为两年（2022—2023年）",
     "2025年", " ", "序号\t工作任务\t主要内容\t牵头单位\t责任单位\n", "17\t\t探索建设\t市行政审批局\t市委网信办\n", "**", "[", "]", "(", ")"]
)
DOCUMENTS = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_property_never_raises_and_slices_are_exact(raw):
    parsed = parse_text(raw, "fuzz.txt", "txt")
    text = parsed.document.text
    for clause in parsed.clauses:
        assert text[clause.start : clause.end] == clause.text
        assert clause.start <= clause.end
    assert len({c.clause_id for c in parsed.clauses}) == len(parsed.clauses)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_property_arbitrary_unicode(raw):
    parsed = parse_text(raw, "fuzz.txt", "txt")
    for clause in parsed.clauses:
        assert parsed.document.text[clause.start : clause.end] == clause.text
