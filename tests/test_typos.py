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


def test_a_standard_abbreviation_is_not_read_as_a_slip(library, monkeypatch):
    """营收 is the standard abbreviation of 营业收入 (kb/lexicon/colloquial.tsv), so the question is put in
    standard words before slips are looked for: a KB holding 应收账款 must not turn 营收 into 应收."""
    from kb.answerer import Answerer

    lines = ["支持企业开展应收账款融资", "应收账款质押"]
    fixer = TypoFixer(lines, Tokenizer())
    question = "营收首次突破10亿元能拿多少奖励"
    assert fixer.fix(question)[1] == [("营收", "应收")]  # the hazard: read raw, it is a slip
    answerer = Answerer(library)
    monkeypatch.setattr(answerer, "_typo_fixer", lambda: fixer)
    analysed = answerer.analyse(question)
    assert analysed["fixes"] == []
    assert "营业收入" in analysed["formal"] and "应收" not in analysed["formal"]
