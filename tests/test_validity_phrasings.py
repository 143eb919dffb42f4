"""Validity in every common phrasing, Chinese-numeral dates, one count per repeated statement, linear scans."""

from __future__ import annotations

import time

from kb.dates import find_validity


def _spans(text: str, issue: str | None = "2022-03-04") -> list[tuple[str | None, str | None]]:
    return [(v.start_date, v.end_date) for v in find_validity(text, issue)]


def test_start_is_the_issue_date():
    assert _spans("本办法自公布之日起施行。") == [("2022-03-04", None)]
    assert _spans("本方案自印发之日起实施。") == [("2022-03-04", None)]
    assert _spans("本办法自公布之日起施行。", None) == []


def test_from_and_at_phrasings():
    assert _spans("本意见从2023年3月1日起实施。") == [("2023-03-01", None)]
    assert _spans("本细则于2021年2月13日起执行，2021年2月15日止。") == [("2021-02-13", "2021-02-15")]
    assert _spans("有效期为2023年1月1日至2025年12月31日。") == [("2023-01-01", "2025-12-31")]


def test_years_counted_from_the_start():
    assert _spans("本办法自2019年5月16日起施行，有效期五年。") == [("2019-05-16", "2024-05-15")]


def test_chinese_numeral_dates():
    assert _spans("本政策有效期至二〇二五年十二月三十一日。") == [(None, "2025-12-31")]
    assert _spans("本办法自二〇二四年二月一日起施行，有效期五年。") == [("2024-02-01", "2029-01-31")]


def test_a_double_page_counts_the_period_once():
    text = "本办法自2024年2月1日起施行，有效期5年。" * 2
    assert _spans(text) == [("2024-02-01", "2029-01-31")]


def test_a_dated_period_comes_before_a_bare_start():
    spans = _spans("本办法自2022年1月1日起施行。政策措施有效期为两年（2022—2023年）。")
    assert spans[0] == ("2022-01-01", "2023-12-31")


def _cost(n: int) -> float:
    text = "施行" + "字" * n  # one line with no 。；or newline
    t = time.process_time()
    find_validity(text, None)
    return time.process_time() - t


def test_validity_scan_is_linear():
    """A run of n characters without a sentence end costs O(n), not O(n^2): 10x input, well under 30x time."""
    small, large = 24_000, 240_000
    base = min(_cost(small) for _ in range(3))
    big = min(_cost(large) for _ in range(3))
    assert big / max(base, 1e-4) < 30  # quadratic would be ~100x


def test_until_the_end_of_a_year_or_month():
    assert _spans("本政策有效期至2025年底。") == [(None, "2025-12-31")]
    assert _spans("本办法自印发之日起施行，有效期至二〇二六年六月底。") == [("2022-03-04", "2026-06-30")]
