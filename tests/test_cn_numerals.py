"""Chinese numerals in amounts and question figures (through cn2an), each amount quoting the document's text."""

from __future__ import annotations

from kb.amounts import find_amounts
from kb.figures import cn_number, money_in_question


def test_cn_number():
    assert [cn_number(s) for s in ("五十", "十二", "一点五", "二〇二五", "两千", "一百零五", "百")] == [
        50, 12, 1.5, 2025, 2000, 105, 100]
    assert cn_number("某某") is None


def test_amounts_in_chinese_numerals_stay_verbatim():
    text = "给予五十万元奖励，最高不超过一点五亿元"
    amounts = find_amounts(text)
    assert [(a.text, a.kind, a.value) for a in amounts] == [
        ("五十万元", "money", 5e5), ("最高不超过一点五亿元", "cap", 1.5e8)]
    assert all(text[a.start : a.end] == a.text for a in amounts)
    assert find_amounts("给予数千元补助") == []


def test_question_figures():
    assert money_in_question("营收十二亿能拿多少") == [1.2e9]
    assert money_in_question("一点五亿") == [1.5e8]
    assert money_in_question("给五十万") == [5e5]


def _cost(text: str) -> float:
    import time

    t = time.process_time()
    find_amounts(text)
    return time.process_time() - t


def test_amount_scan_is_linear_on_long_runs():
    """A run of digits or numerals with no 元 costs O(n): 10x input, well under 30x time (quadratic ~100x)."""
    for unit in ("1", "五"):
        small = min(_cost(unit * 20_000) for _ in range(3))
        large = min(_cost(unit * 200_000) for _ in range(3))
        assert large / max(small, 1e-4) < 30, unit


def test_spoken_ranges_read_at_their_upper_end():
    assert money_in_question("三四万够不够") == [4e4]
    assert money_in_question("七八十万") == [8e5]
