"""What the retriever searches for: the question in the documents' words, and for a question about a
period, the period statement of the document the thing asked about stands in."""

from __future__ import annotations

import pytest

from kb.query import PERIOD_WORDS, asks_period, search_text, topic_text


def test_colloquial_words_become_the_documents_words() -> None:
    assert "风险投资" in search_text("风投实际到位3000万 奖励多少")
    assert "营业收入" in search_text("营收首次过10亿")


@pytest.mark.parametrize(
    "question", ["学徒制培训补贴 过期没", "这个方案什么时候开始执行", "会展补贴政策是哪年到哪年", "还能申请吗", "有效期几年"]
)
def test_period_questions_search_for_period_statements(question: str) -> None:
    assert asks_period(question)
    assert search_text(question).endswith(PERIOD_WORDS)


@pytest.mark.parametrize("question", ["谁牵头赣南大数据交易中心", "广安稳就业实施办法里稳岗支持那条谁牵头", "2021年春节电力需求响应哪几天"])
def test_other_questions_are_not_expanded(question: str) -> None:
    assert not asks_period(question)
    assert PERIOD_WORDS not in search_text(question)


def test_topic_is_the_question_without_its_period_words() -> None:
    assert topic_text("学徒制培训补贴 过期没") == "学徒制培训补贴"
    assert "有效" not in topic_text("工业互联网奖补政策有效期")


def test_period_question_leads_with_the_statement_then_the_topic(library) -> None:
    from kb.retriever import Retriever

    hits = Retriever(library).search("学徒制培训补贴 过期没", k=5)
    first, second = hits[0][0], hits[1][0]
    assert "有效期为两年（2022—2023年）" in first.text
    assert "学徒制" in second.text
    assert len({c.clause_id for c, _ in hits}) == len(hits)


def test_period_question_naming_a_document_number(library) -> None:
    from kb.retriever import Retriever

    hits = Retriever(library).search("赣市发〔2022〕5号什么时候开始执行", k=3)
    assert "本方案自印发之日起执行" in hits[0][0].text


def test_unexpanded_search_is_the_plain_ranking(library) -> None:
    from kb.retriever import Retriever

    retriever = Retriever(library)
    plain = retriever.search("学徒制培训补贴 过期没", k=5, expand=False)
    assert "有效期为两年" not in plain[0][0].text


def test_event_time_questions_search_for_when_things_happen() -> None:
    from kb.query import EVENT_TIME_WORDS

    text = search_text("2021年春节电力需求响应哪几天")
    assert text.endswith(EVENT_TIME_WORDS) and PERIOD_WORDS not in text
    assert search_text("实施时间是哪几天").count(EVENT_TIME_WORDS) == 1  # already there: not added again
