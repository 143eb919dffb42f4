"""Same-sound typing slips are read as the KB's words; real words and different sounds stay."""

from __future__ import annotations

import pytest

from indexing.tokenizer import Tokenizer
from kb.typos import TypoFixer


@pytest.fixture(scope="module")
def fixer(ganzhou_txt):
    text = ganzhou_txt.read_text(encoding="utf-8").replace(" ", "")
    return TypoFixer(text.split("\n"), Tokenizer())


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("谁牵头赣南大数剧交易中心", "大数据"), ("5G基战建设目标是多少", "基站"), ("数子经济集聚区", "数字经济")],
)
def test_slips_are_repaired(fixer, typed, meant):
    fixed, fixes = fixer.fix(typed)
    assert meant in fixed and fixes and fixes[0][1] == meant


@pytest.mark.parametrize(
    "question",
    ["租厂房有租金补贴吗", "公积金贷款额度最高多少", "营收过10个亿能拿多少", "这个政策什么时候失效", "底价能打几折"],
)
def test_real_words_are_left_alone(fixer, question):
    assert fixer.fix(question) == (question, [])
