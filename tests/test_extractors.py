"""Field extractors: units, amounts, tiers, rates and caps, dates, validity, targets."""

from __future__ import annotations

from kb.amounts import find_amounts, find_incentive, find_tiers
from kb.dates import find_dates, find_targets, find_validity
from kb.header import read_header
from kb.units import find_responsibility, split_units


def test_split_units_keeps_parentheses_whole():
    assert split_units("市工信局、市商务局，各县（市、区）") == ["市工信局", "市商务局", "各县（市、区）"]
    assert split_units("市科技局 市工信局") == ["市科技局", "市工信局"]
    assert split_units("市城市住房服务中心等") == ["市城市住房服务中心"]


def test_responsibility_brackets():
    resp = find_responsibility("推进建设。〔责任单位：市行政审批局、市委网信办，各县（市、区）〕")
    assert resp.lead == [] and resp.shared == ["市行政审批局", "市委网信办", "各县（市、区）"]
    resp = find_responsibility("落实政策。（牵头单位：市财政局，责任单位：市发展改革委）")
    assert resp.lead == ["市财政局"] and resp.shared == ["市发展改革委"]
    resp = find_responsibility("做好服务。牵头单位：市民政局。责任单位：市财政局、市卫健委。")
    assert resp.lead == ["市民政局"] and resp.shared == ["市财政局", "市卫健委"]


def test_first_listed_convention_only_when_stated():
    text = "（责任单位：市人社局、市财政局）"
    assert find_responsibility(text).lead == []
    assert find_responsibility(text, first_is_lead=True).lead == ["市人社局"]


def test_amounts_normalised_to_yuan():
    amounts = find_amounts("一次性给予100万元奖励，按2%给予最高不超过50万元的奖励，每人4000—6000元，1.2元")
    by_kind = {(a.kind, a.value, a.upper) for a in amounts}
    assert ("money", 1_000_000.0, None) in by_kind
    assert ("percent", 2.0, None) in by_kind
    assert ("cap", 500_000.0, None) in by_kind
    assert ("range", 4000.0, 6000.0) in by_kind
    assert ("money", 1.2, None) in by_kind


def test_tiers_pair_conditions_with_rewards():
    tiers = find_tiers("企业年度营业收入首次达到1亿元、5亿元、10亿元及以上的，分别给予一次性20万元、50万元和100万元奖励。")
    assert [(t.condition_value, t.reward_value) for t in tiers] == [(1e8, 2e5), (5e8, 5e5), (1e9, 1e6)]


def test_word_tiers():
    tiers = find_tiers("对获得国家级、省级企业上云典型案例（示范标杆）的，分别给予一次性50万元、20万元的奖励")
    assert [(t.condition, t.reward) for t in tiers] == [("国家级", "50万元"), ("省级", "20万元")]


def test_rate_and_cap():
    inc = find_incentive("x#1", "对合同实际执行金额达到1000万元的企业，按照合同实际执行金额的2%给予最高不超过50万元的奖励。")
    assert inc.rate_percent == 2.0 and inc.cap_yuan == 500_000.0


def test_validity_period_and_years():
    [v] = find_validity("本方案自印发之日起执行，涉及的政策措施有效期为两年（2022—2023年）。", None)
    assert (v.scope, v.start_date, v.end_date) == ("政策措施", "2022-01-01", "2023-12-31")
    [v] = find_validity("本政策自2022年6月1日施行，有效期为2年。", None)
    assert (v.scope, v.start_date, v.end_date) == ("全文", "2022-06-01", "2024-05-31")
    [v] = find_validity("以上政策未特别注明实施期限的，施行有效期至2024年3月31日。", "2023-11-13")
    assert v.end_date == "2024-03-31"
    [v] = find_validity("本办法自印发之日起施行，有效期5年。", "2022-09-06")
    assert (v.start_date, v.end_date) == ("2022-09-06", "2027-09-05")
    assert find_validity("本办法自印发之日起施行，有效期5年。", None) == []


def test_dates_and_targets():
    assert find_dates("有效期为两年（2022—2023年），自2022年6月1日施行") == ["2022—2023年", "2022年6月1日"]
    [t] = find_targets("到2025年，建成5G基站超2万个。加强管理。")
    assert t.year == 2025 and "5G基站超2万个" in t.text


def test_header_from_a_notice():
    header = read_header("中共赣州市委文件\n赣市发〔2022〕5号\n中共赣州市委赣州市人民政府印发《关于做优数字经济的实施方案》的通知\n"
                         "各县：\n现将《关于做优数字经济的实施方案》印发给你们。\n关于做优数字经济的实施方案\n一、目标")
    assert header.number == "赣市发〔2022〕5号"
    assert header.title == "关于做优数字经济的实施方案"
    assert header.issuer == "中共赣州市委、赣州市人民政府"


def test_led_by_phrase_closing_a_clause():
    resp = find_responsibility("加快建设数据平台。由市数据局牵头，市政务服务中心、市财政局配合。")
    assert resp.lead == ["市数据局"] and resp.shared == ["市政务服务中心", "市财政局"]
    assert find_responsibility("全市由市委统一领导，统一部署。") is None
