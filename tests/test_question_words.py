"""The words a question is judged by: cut first, fillers removed only as whole words, figures apart."""

from __future__ import annotations

from kb.confidence import GramStats
from kb.models import BODY, Clause


def _stats(*texts: str) -> GramStats:
    clauses = [Clause(f"d#{i}", "d", str(i), 1, BODY, "", [], t, 0, len(t), i) for i, t in enumerate(texts)]
    return GramStats(clauses)


STATS = _stats("本措施自印发之日起施行，有效期3年。", "对小微企业在保余额占比达到60%以上的担保机构给予奖励。",
               "支持人工智能企业发展，推动企业上云。")


def test_a_word_that_holds_a_filler_character_stays_whole():
    # 有 and 能 are fillers as whole words, not inside 有效期 or 人工智能
    assert "有效期" in STATS.question_words("有效期几年")
    assert "人工智能" in STATS.question_words("人工智能企业能拿多少")


def test_a_year_stands_apart_from_the_word_after_it():
    words = STATS.question_words("到2023年小微企业在保余额占比要达到多少")
    assert "2023" in words and not any(w.startswith("年") for w in words)


def test_a_callers_figures_in_chinese_numerals_are_not_looked_for():
    words = STATS.question_words("我们给好几家企业做了上云改造，合同两千来万")
    assert not {"好几家", "两千"} & set(words)
    assert "上云" in words  # found by the cut without the fillers
    assert "一次性" in _stats("给予一次性奖励").question_words("一次性奖励多少")
    assert not {"一个月", "两岁", "半年", "一年"} & set(STATS.question_words("孩子两岁，一个月能扣多少，半年呢，一年呢"))


def test_a_filler_the_cut_splits_goes_as_a_whole():
    # jieba cuts 能不能 into 能 / 不能: 不能 alone is a KB word, not something asked for
    stats = _stats("国有企业不能为个人提供担保。", "企业可以申请担保。")
    words = stats.question_words("国有企业能不能给私营企业担保")
    assert "不能" not in words and "担保" in words

