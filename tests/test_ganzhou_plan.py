"""The Ganzhou plan 赣市发〔2022〕5号 pinned exactly: header, task rows, brackets, validity, tiers."""

from __future__ import annotations

import re

import pytest

from kb.models import BODY, TASK_ROW
from kb.parse import parse_text
from kb.readers import read_file


def _parse(path):
    result = read_file(path)
    return parse_text(result.text, str(path), result.fmt, result.warnings)


@pytest.fixture(scope="module")
def txt(ganzhou_txt):
    return _parse(ganzhou_txt)


@pytest.fixture(scope="module")
def pdf(ganzhou_pdf):
    return _parse(ganzhou_pdf)


def _row(parsed, number: str):
    return next(r for r in parsed.task_rows if r.number == number)


def _clause(parsed, label: str):
    return next(c for c in parsed.clauses if c.label == label)


@pytest.mark.parametrize("which", ["txt", "pdf"])
def test_header(which, request):
    doc = request.getfixturevalue(which).document
    assert doc.number == "赣市发〔2022〕5号"
    assert doc.title == "关于进一步做优做强数字经济的实施方案"
    assert doc.issuer == "中共赣州市委、赣州市人民政府"


@pytest.mark.parametrize("which", ["txt", "pdf"])
def test_46_task_rows_with_their_lead_units(which, request):
    parsed = request.getfixturevalue(which)
    assert [r.number for r in parsed.task_rows] == [str(n) for n in range(1, 47)]
    assert _row(parsed, "17").content == "探索建设赣南大数据交易中心"
    assert _row(parsed, "17").lead_units == ["市行政审批局"]
    assert _row(parsed, "17").responsible_units == ["市委网信办", "赣州国投集团"]
    assert _row(parsed, "24").lead_units == ["市科技局", "市工信局"]
    assert _row(parsed, "29").lead_units == ["市发改委", "市财政局"]
    assert _row(parsed, "42").lead_units == ["章贡区"]
    assert _row(parsed, "46").lead_units == ["市直（驻市）各单位", "各县（市、区）"]
    assert _row(parsed, "19").responsible_units == []


@pytest.mark.parametrize("which", ["txt", "pdf"])
def test_merged_task_cells_are_filled_down(which, request):
    parsed = request.getfixturevalue(which)
    assert _row(parsed, "16").task == _row(parsed, "15").task == "（五）激发数据要素新活力"
    assert _row(parsed, "17").task == "（五）激发数据要素新活力"
    assert _row(parsed, "30").section == "二、政策措施"


def test_rows_link_to_the_clause_they_restate(txt):
    assert _row(txt, "17").linked_clause_id.endswith("#三（五）3")
    assert _row(txt, "42").linked_clause_id.endswith("#五（三）")


def test_every_bracket_sits_on_the_clause_it_closes(txt):
    text = txt.document.text
    brackets = [m.start() for m in re.finditer(r"〔责任单位：", text)]
    assert len(brackets) == 38
    for pos in brackets:
        holder = next(c for c in txt.clauses if c.start <= pos < c.end)
        assert holder.kind == BODY
        assert holder.text.rstrip().endswith("〕"), holder.label
        assert holder.responsible_units, holder.label
    # the bold bracket and the one closed with "]" are read too
    assert _clause(txt, "四（二）4").responsible_units == ["市工信局", "市发改委", "市财政局", "各县（市、区）"]
    assert "市乡村振兴局" in _clause(txt, "三（二）3").responsible_units


def test_no_clause_is_cut_at_a_page_break(txt):
    clause = _clause(txt, "三（一）2")
    assert "聚焦粤港澳大湾区数字经济发展需求，有针对性地开展延链" in clause.text
    assert "推进国家区块链创新应用综合性试点城市建设" in _clause(txt, "二（二）").text.replace("区区", "区")
    for c in txt.clauses:
        if c.kind == BODY and c.label[0] in "二三四五" and len(c.label) > 1:
            assert c.text.endswith("〕"), c.label


def test_policy_measures_validity(txt):
    [validity] = txt.document.validity
    assert validity.scope == "政策措施"
    assert (validity.start_date, validity.end_date) == ("2022-01-01", "2023-12-31")
    assert "四" in validity.covers_labels


def test_revenue_tiers(txt):
    inc = next(i for i in txt.incentives if i.clause_id.endswith("#四（一）2"))
    manufacturing = [(t.condition, t.reward) for t in inc.tiers if "制造业" in t.group]
    assert manufacturing == [("1亿元", "20万元"), ("5亿元", "50万元"), ("10亿元", "100万元")]
    digital = [(t.condition_value, t.reward_value) for t in inc.tiers if "应用业" in t.group]
    assert digital == [(1e7, 2e5), (5e7, 5e5), (1e8, 1e6)]
    assert inc.payer == "奖励资金由市县两级财政各承担50%"


def test_rate_with_cap(txt):
    inc = next(i for i in txt.incentives if i.clause_id.endswith("#四（一）3"))
    assert inc.rate_percent == 2.0
    assert inc.cap_yuan == 500000.0


def test_txt_and_pdf_give_the_same_clauses_and_rows(txt, pdf):
    assert txt.document.doc_id == pdf.document.doc_id
    assert [c.label for c in txt.clauses] == [c.label for c in pdf.clauses]
    for a, b in zip(txt.task_rows, pdf.task_rows, strict=True):
        assert (a.number, a.task, a.lead_units, a.responsible_units) == (b.number, b.task, b.lead_units, b.responsible_units)

    def squash(s: str) -> str:
        return re.sub(r"\s", "", s)

    body_txt = {c.label: squash(c.text) for c in txt.clauses if c.kind != TASK_ROW}
    body_pdf = {c.label: squash(c.text) for c in pdf.clauses if c.kind != TASK_ROW}
    same = sum(body_txt[k] == body_pdf[k] for k in body_txt)
    assert same / len(body_txt) >= 0.9
