"""Who leads, in every common convention, with unit names recognised by their structure (kb/data)."""

from __future__ import annotations

from kb.parse import parse_text
from kb.units import FIRST_IS_LEAD, cell_units, find_responsibility, looks_like_unit


def _who(text: str, first_is_lead: bool = False) -> tuple[list[str], list[str]] | None:
    resp = find_responsibility(text, first_is_lead)
    return (resp.lead, resp.shared) if resp else None


def test_unit_names_by_structure():
    assert all(map(looks_like_unit, ["市卫生健康委", "市医保局", "赣州国投集团", "园区管委会", "市政务服务中心", "省财政厅"]))
    assert not any(map(looks_like_unit, ["政府负责人", "按职责分工负责", "企业", "各有关部门和单位按职责分工负责"]))


def test_first_is_lead_rules_stated_by_the_document():
    for rule in ("列首位的为牵头单位，下同", "排在第一位的为牵头部门", "列第一位者为牵头单位", "排名第一的为牵头单位"):
        assert FIRST_IS_LEAD.search(rule), rule
    assert _who("推进改革。（责任单位：市卫生健康委、市委组织部，排在第一位的为牵头部门，下同）", True) == (
        ["市卫生健康委"], ["市委组织部"])


def test_parenthesised_statements():
    assert _who("做好保障（市卫生健康委、市医保局负责）。", True) == (["市卫生健康委"], ["市医保局"])
    assert _who("做好保障（市卫生健康委、市医保局负责）。") == ([], ["市卫生健康委", "市医保局"])
    assert _who("加强监管（市市场监管局牵头，市公安局、市商务局配合）。") == (["市市场监管局"], ["市公安局", "市商务局"])
    assert _who("完善机制。（市发展改革委牵头）") == (["市发展改革委"], [])
    assert _who("（按职责分工负责）", True) is None


def test_lead_marked_in_a_flattened_table_row():
    assert _who("1 建设平台 市大数据局（牵头）、市财政局、市经济信息化局 2023年底") == (
        ["市大数据局"], ["市财政局", "市经济信息化局"])
    assert cell_units("市发改委（牵头）、市财政局、市税务局") == (["市发改委"], ["市财政局", "市税务局"])


def test_led_by_phrases_anywhere():
    assert _who("由市市场监管局牵头，市经济信息化局、市住房城乡建设局配合，指导企业认证") == (
        ["市市场监管局"], ["市经济信息化局", "市住房城乡建设局"])
    assert _who("由市民政局会同市财政局负责组织实施。") == (["市民政局"], ["市财政局"])
    assert _who("建立由政府负责人牵头、相关部门共同参与的工作机制") is None


def test_a_stated_rule_reaches_the_extractor_through_the_document():
    text = ("广安市某某实施方案\n一、加强保障\n（一）完善机制。推进工作（市人社局、市财政局负责，列首位的为牵头单位，下同）。\n"
            "（二）强化监督。加强督查（市政府督查室、市发展改革委负责）。")
    parsed = parse_text(text, "x.txt", "txt")
    second = next(c for c in parsed.clauses if "加强督查" in c.text and c.kind != "heading")
    assert second.lead_units == ["市政府督查室"] and second.responsible_units == ["市发展改革委"]


def test_the_rule_inside_the_statement_itself():
    assert _who("推进工作（市人社局、市财政局负责，列首位的为牵头单位，下同）。") == (["市人社局"], ["市财政局"])


def test_bare_lead_sentences_and_role_words():
    assert _who("推进工作。市发展改革委牵头，市财政局、市商务局配合。") == (["市发展改革委"], ["市财政局", "市商务局"])
    assert _who("市民政局为牵头单位，市财政局为配合单位。") == (["市民政局"], ["市财政局"])
    assert _who("加强监督。主责单位：市民政局；协同单位：市财政局。") == (["市民政局"], ["市财政局"])
    assert _who("企业牵头，高校配合，共同建设") is None


def test_a_unit_that_leads_its_sentence():
    assert _who("加强考核。市卫生计生委要牵头制定详细的督导和考核细则。") == (["市卫生计生委"], [])
    assert _who("民政部门牵头做好农村低保制度与扶贫开发政策衔接工作") == (["民政部门"], [])
    assert _who("医联体牵头医院要与基层医疗卫生机构建立协作关系") is None
    assert _who("市自然资源规划局要发挥牵头揽总作用") is None


def test_a_generic_first_unit_does_not_lead():
    assert _who("（责任单位：各有关部门和单位按职责分工负责）", True)[0] == []
    assert _who("（责任单位：各有关部门和单位，各区市县人民政府、园区管委会）", True)[0] == []
