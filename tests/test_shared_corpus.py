"""Every real document in ../shared/corpus reads into a sane clause tree (skipped when absent)."""

from __future__ import annotations

import pytest

from kb.models import BODY, TASK_ROW
from kb.parse import parse_text
from kb.readers import read_file

# file -> (minimum clauses, labels that must exist, 文号)
EXPECTED = {
    "guangan_employment_measures_2019.txt": (15, ["一", "十五"], ""),
    "guangan_gongga_manufacturing_action_2022.txt": (14, ["三（一）", "四（三）"], "广安府办规〔2022〕8号"),
    "guangan_investment_20_policies_2022.txt": (20, ["二（一）1", "三（四）"], ""),
    "guangan_ip_policies_2022.txt": (25, ["一（一）", "五（十九）", "六（二十）"], "广安府办规〔2022〕10号"),
    "guangan_market_vitality_measures_2023.txt": (19, ["一", "十九"], "广安府办规〔2023〕5号"),
    "guangan_return_home_entrepreneurship_2019.txt": (30, ["二（二十二）", "三（五）"], ""),
    "guangan_standard_land_reform_2022.txt": (22, ["三（一）1", "四（四）"], "广安府办规〔2022〕5号"),
    "guangan_yilao_yixiao_plan_2022.txt": (25, ["三（一）1", "四（七）"], "广安府规〔2022〕8号"),
    "gz_elderly_meal_service_2024.html": (40, ["第一条", "第三十八条"], "穗民规字〔2024〕3号"),
    "gz_family_doctor_plan_2023.html": (60, ["二（一）1", "附件2"], "穗卫函〔2023〕1930号"),
    "gz_home_community_eldercare_2022.html": (60, ["第一条", "第五十二条"], "穗府办规〔2022〕13号"),
    "gz_tianhe_hkmacao_youth_2023.html": (14, ["第一条", "第十三条"], "穗天科工信规字〔2023〕1号"),
    "hongze_gov_info_disclosure_report_2023.pdf": (20, ["一", "一（一）", "六"], ""),
    "tj_spring_festival_demand_response_2021.txt": (20, ["二（一）"], "津工信电力〔2021〕3号"),
}


def _parse(path):
    result = read_file(path)
    return parse_text(result.text, str(path), result.fmt, result.warnings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_document_reads_into_a_sane_tree(shared_corpus, name):
    parsed = _parse(shared_corpus / name)
    minimum, labels, number = EXPECTED[name]
    assert len(parsed.clauses) >= minimum
    present = {c.label for c in parsed.clauses}
    for label in labels:
        assert label in present, label
    assert parsed.document.number == number
    text = parsed.document.text
    for c in parsed.clauses:
        assert text[c.start : c.end] == c.text
    # no web-site boilerplate survives as clause text
    assert "扫一扫在手机打开当前页" not in text
    assert sum(c.kind in (BODY, TASK_ROW) for c in parsed.clauses) >= minimum // 2


def test_family_doctor_task_table_fills_merged_cells(shared_corpus):
    parsed = _parse(shared_corpus / "gz_family_doctor_plan_2023.html")
    rows = parsed.task_rows
    assert len(rows) == 39
    assert len({r.number for r in rows}) == 24
    first = [r for r in rows if r.number == "1"]
    assert len(first) == 3  # 序号 and 工作事项 span three rows in the page
    assert all(r.task == "有序扩大家庭医生来源。" for r in first)
    assert all(r.lead_units == ["各区政府"] for r in first)
    assert first[1].responsible_units == ["市卫生健康委", "市人社局"]
    assert all(c.kind == TASK_ROW for c in parsed.clauses if c.clause_id in {r.clause_id for r in rows})


def test_first_listed_unit_leads_when_the_document_says_so(shared_corpus):
    parsed = _parse(shared_corpus / "guangan_employment_measures_2019.txt")
    first = next(c for c in parsed.clauses if c.label == "一")
    assert first.lead_units == ["市人力资源和社会保障局"]
    assert "市财政局" in first.responsible_units


def test_units_before_the_comma_lead_when_the_document_says_so(shared_corpus):
    parsed = _parse(shared_corpus / "guangan_yilao_yixiao_plan_2022.txt")
    clause = next(c for c in parsed.clauses if c.label == "三（一）1")
    assert clause.lead_units == ["市民政局", "市卫生健康委"]
    assert "市财政局" in clause.responsible_units


def test_explicit_lead_bracket(shared_corpus):
    parsed = _parse(shared_corpus / "guangan_market_vitality_measures_2023.txt")
    clause = next(c for c in parsed.clauses if c.label == "三")
    assert clause.lead_units == ["市财政局"]
    assert clause.responsible_units == ["市发展改革委"]


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("guangan_investment_20_policies_2022.txt", "2022-06-01", "2024-05-31"),
        ("guangan_market_vitality_measures_2023.txt", "2023-11-13", "2024-03-31"),
        ("gz_tianhe_hkmacao_youth_2023.html", "2023-09-08", "2026-09-07"),
        ("gz_elderly_meal_service_2024.html", "2024-04-01", "2029-03-31"),
    ],
)
def test_validity_statements(shared_corpus, name, start, end):
    parsed = _parse(shared_corpus / name)
    assert (parsed.document.validity[0].start_date, parsed.document.validity[0].end_date) == (start, end)


def test_a_page_without_its_title_line_gets_one_from_its_purpose_statement(shared_corpus):
    # the saved page starts at "各区市县人民政府，…": no title, no 文号; the text says it implements
    # 《…关于做好当前和今后一个时期促进就业工作的实施意见》 and is "本实施办法"
    parsed = _parse(shared_corpus / "guangan_employment_measures_2019.txt")
    assert parsed.document.title == "关于做好当前和今后一个时期促进就业工作的实施办法（标题据正文推定）"
    titled = _parse(shared_corpus / "guangan_ip_policies_2022.txt")
    assert "推定" not in titled.document.title
