"""Readers, normaliser and segmenter take time in proportion to their input (issue 13 item 3).

Each hot spot runs on a generated input of size n and of size 10n, n at least 10x the largest real
one; the assertion is on the ratio of the two times (linear gives about 10, quadratic about 100),
never on a wall-clock limit. The best of three runs is taken to keep a busy machine's noise out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.normalize import normalize
from kb.readers.html import read_html
from kb.segment import segment

LINEAR_RATIO = 30  # 10x the input may cost at most 30x the time; a quadratic walk costs about 100x


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return max(min(times), 1e-4)


def _ratio(make: Callable[[int], object], run: Callable[[object], object], n: int) -> float:
    small, large = make(n), make(10 * n)
    return _best(lambda: run(large)) / _best(lambda: run(small))


def _nested(tag: str, depth: int) -> bytes:
    return ("<html><body>" + f"<{tag}>" * depth + "第一条 为了规范管理，制定本办法。" * 5 + f"</{tag}>" * depth
            + "</body></html>").encode("utf-8")


def test_nested_divs_are_linear_in_depth():
    # real pages of ../shared/corpus nest 15 deep at most; 1,000 nested <div> once took 101 s
    ratio = _ratio(lambda d: _nested("div", d), lambda data: read_html(data, "deep.html"), 1000)
    assert ratio < LINEAR_RATIO


def test_nested_tables_are_linear_and_never_exhaust_recursion():
    def make(depth: int) -> bytes:
        return ("<html><body>" + "<table><tr><td>" * depth + "第一条 为了规范管理，制定本办法。" * 5
                + "</td></tr></table>" * depth + "</body></html>").encode("utf-8")

    result = read_html(make(2000), "tables.html")  # raised RecursionError before
    assert "第一条 为了规范管理" in result.text
    assert _ratio(make, lambda data: read_html(data, "tables.html"), 200) < LINEAR_RATIO


@pytest.mark.parametrize("unit", ["一", " ", " 中", "第一条", " ,", "（一", "1."])
def test_normalise_and_segment_one_long_line_without_punctuation(unit: str):
    # the longest real line (a flattened 广安 page) has 11,228 characters; 240,000 is 20x that
    def make(n: int) -> str:
        return (unit * (n // len(unit) + 1))[:n]

    def run(text: str) -> None:
        segment(normalize(text) or text)

    assert _ratio(make, run, 24_000) < LINEAR_RATIO


def test_pdf_page_of_drawn_rules_is_linear(tmp_path: Path):
    from eval.hostile_corpus import drawn_rules_pdf
    from kb.readers.pdf import read_pdf

    # the Ganzhou PDF draws at most 75 cell rectangles on a page; 750 and 7,500 here
    made = {}
    for n in (750, 7500):
        (tmp_path / str(n)).mkdir()
        made[n] = drawn_rules_pdf(tmp_path / str(n), n).read_bytes()
    ratio = _best(lambda: read_pdf(made[7500], "rules.pdf")) / _best(lambda: read_pdf(made[750], "rules.pdf"))
    assert ratio < LINEAR_RATIO
