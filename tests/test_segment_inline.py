"""Numbering written inline: 第X章/第X条 after a sentence end or a title, in flattened and line-based text."""

from __future__ import annotations

from kb.normalize import normalize
from kb.numbering import cn_to_int, int_to_cn
from kb.segment import segment


def _labels(text: str) -> list[str]:
    return [s.label for s in segment(normalize(text))]


def test_int_to_cn_inverts_cn_to_int():
    assert [int_to_cn(n) for n in (1, 10, 12, 20, 105, 110)] == ["一", "十", "十二", "二十", "一百零五", "一百一十"]
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 300))


def test_short_flattened_page_with_chapters_after_a_title():
    # a cover notice, its signature, the policy title, then 第一章 with no sentence end before it
    page = ("各县（市、区）人民政府：《某市奖励办法》已经市政府同意，现印发给你们。某市人民政府办公室2022年9月15日"
            "某市奖励办法第一章　总则第一条为激励运动员，制定本办法。第二条本办法适用于运动员。"
            "第二章　奖励第三条获得金牌的，给予奖励。第四条依照本办法第三条规定发放。")
    assert _labels(page) == ["前言1", "第一章", "第一条", "第二条", "第二章", "第三条", "第四条"]


def test_cross_reference_is_not_an_article():
    page = "各有关单位：现将某办法印发给你们，请认真贯彻执行。某办法第一条为规范管理，制定本办法。第二条违反本办法第一条的，予以纠正；按照第三条规定处理。第三条本办法自公布之日起施行。"
    assert _labels(page) == ["前言1", "第一条", "第二条", "第三条"]


def test_short_flattened_page_with_parts_after_full_stops():
    page = ("各区市县人民政府：为加强管理，现就有关事项通知如下。一、规范编制计划加强年度供应管控。"
            "二、严格供应程序土地统一管理。（一）出让程序为：编制方案。（二）划拨程序为：报批。三、强化监管各地要加强巡查。")
    assert _labels(page) == ["前言1", "一", "二", "二（一）", "二（二）", "三"]


def test_article_glued_to_the_paragraph_before_in_line_based_text():
    text = "第七条 单位应当建立制度。\n第八条 单位应当开展培训。第九条 单位应当定期检查。\n第十条 本细则自印发之日起施行。"
    assert _labels(text) == ["第七条", "第八条", "第九条", "第十条"]


def test_stray_number_inside_a_paragraph_does_not_start_a_clause():
    text = "一、总体要求\n坚持统一、规范的原则。2.5万元以内的，按1.比例执行。\n二、措施\n1.第一项。"
    assert _labels(text) == ["一", "二", "二1"]


def test_table_caption_glued_to_the_signature_is_not_the_issuer():
    from kb.header import read_header

    text = "关于某事项的实施意见\n一、总体要求。\n附件：年度重点工作及进度安排表广安市人民政府办公室2020年9月10日\n"
    assert read_header(text).issuer == "广安市人民政府办公室"


def test_page_without_numbering_is_cut_into_readable_clauses():
    from kb.parse import parse_text

    page = "各有关单位：" + "为进一步加强管理，现就有关事项通知如下，请认真贯彻执行。" * 120
    parsed = parse_text(page, "plain.txt", "txt")
    text = parsed.document.text
    assert len(parsed.clauses) >= len(text) // 400
    assert max(len(c.text) for c in parsed.clauses) <= 400
    assert all(c.text.endswith("。") for c in parsed.clauses[:-1])
    assert [c.label for c in parsed.clauses[:3]] == ["前言1", "前言2", "前言3"]
    assert all(text[c.start : c.end] == c.text for c in parsed.clauses)


def test_a_long_numbered_clause_is_continued_in_readable_pieces():
    sentence = "在财政投入方面，各地要把推动养老服务发展所需资金纳入年度财政预算，并逐年提高投入比例。"
    long_part = "（九）强化要素保障。" + sentence * 30 + "（责任单位：市民政局、市财政局，排在第一位的为牵头单位）"
    text = "某某实施意见\n一、主要任务\n" + long_part + "\n（十）加强监督。做好考核。"
    from kb.parse import parse_text

    parsed = parse_text(text, "x.txt", "txt")
    pieces = [c for c in parsed.clauses if c.label.startswith("一（九）")]
    assert [c.label for c in pieces][:2] == ["一（九）", "一（九）续2"] and len(pieces) >= 3
    assert all(len(c.text) <= 400 for c in pieces)
    assert "".join(c.text for c in pieces).replace("\n", "") == long_part
    # the bracket closing the whole part names the lead of every piece
    assert all(c.lead_units == ["市民政局"] for c in pieces)
    assert next(c for c in parsed.clauses if c.label == "一（十）").text.startswith("（十）加强监督")
