"""Conversations on the Ganzhou plan: follow-ups made self-contained from the previous turn, history per user."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import TODAY
from ui_fixtures import running_server

from kb.conversation import (
    ATTRIBUTE,
    FIGURE,
    ORDINAL,
    STANDALONE,
    TOPIC,
    VALIDITY,
    ConversationError,
    ConversationLog,
    PreviousTurn,
    ask_in,
    looks_like_followup,
    resolve,
    topic_of,
)
from kb.library import Library

REWARD_Q = "数字产品制造业企业营业收入首次达到1亿元能奖励多少？"
LEAD_Q = "谁牵头探索建设赣南大数据交易中心？"


@pytest.fixture(scope="module")
def doc_id(library) -> str:
    return library.documents()[0].doc_id


def _previous(library, question: str, *labels: str) -> PreviousTurn:
    doc = library.documents()[0]
    return PreviousTurn(question, doc.doc_id, tuple(f"{doc.doc_id}#{label}" for label in labels), doc.title)


def test_shape_tells_a_followup_from_a_question():
    assert looks_like_followup("那5亿呢？")
    assert looks_like_followup("还有效吗")
    assert looks_like_followup("第二条呢")
    assert not looks_like_followup("市行政审批局负责哪些任务？")  # no marker
    assert not looks_like_followup("那么市行政审批局在数字政府建设方面负责哪些任务呢？")  # too long to lack a topic


def test_a_figure_replaces_the_previous_figure_of_the_same_kind(library):
    r = resolve("那5亿呢？", _previous(library, REWARD_Q, "四（一）2"), library)
    assert r.kind == FIGURE
    assert r.question == "数字产品制造业企业营业收入首次达到5亿元能奖励多少？"  # the 元 the follow-up left implicit
    assert "1亿元" in r.carried and "5亿元" in r.carried


def test_validity_is_asked_of_the_previous_topic_in_the_previous_document(library, doc_id):
    r = resolve("还有效吗？", _previous(library, REWARD_Q, "四（一）2"), library)
    assert r.kind == VALIDITY
    assert "数字产品制造业企业营业收入首次达到1亿元" in r.question and r.question.endswith("有效吗？")
    assert r.prefer_doc == doc_id
    assert r.prefer_clauses == (f"{doc_id}#四（一）2",)


def test_another_attribute_of_the_same_topic(library):
    previous = _previous(library, LEAD_Q, "附件 17", "三（五）3")
    r = resolve("那配合单位呢", previous, library)
    assert r.kind == ATTRIBUTE
    assert r.question.startswith("探索建设赣南大数据交易中心") and "配合单位" in r.question
    again = resolve("牵头单位呢？", _previous(library, "探索建设赣南大数据交易中心的配合单位有哪些？"), library)
    assert again.kind == ATTRIBUTE and "牵头" in again.question and "探索建设赣南大数据交易中心" in again.question


def test_an_ordinal_names_a_sibling_of_the_clause_last_cited(library, doc_id):
    # the answer cited the table row and the body clause 三（五）3; "第二条" is the body clause's 2nd sibling
    r = resolve("第二条呢", _previous(library, LEAD_Q, "附件 17", "三（五）3"), library)
    sibling = library.clause(f"{doc_id}#三（五）2")
    assert r.kind == ORDINAL
    assert r.prefer_clauses == (sibling.clause_id,)
    assert sibling.title and sibling.title in r.question and "牵头" in r.question


def test_a_new_unit_takes_the_old_units_place(library):
    r = resolve("那市工信局呢？", _previous(library, "市行政审批局负责哪些任务？"), library)
    assert r.kind == TOPIC
    assert r.question == "市工信局负责哪些任务？"


def test_a_self_contained_question_or_a_first_question_is_left_alone(library):
    assert resolve("那5亿呢？", None, library).kind == STANDALONE
    r = resolve("新型学徒制培训补贴每人多少钱？", _previous(library, REWARD_Q), library)
    assert r.kind == STANDALONE and r.question == "新型学徒制培训补贴每人多少钱？"
    assert topic_of(LEAD_Q) == "探索建设赣南大数据交易中心"


def test_a_conversation_answers_followups_and_keeps_its_history(kb_copy: Path):
    from kb.answerer import Answerer

    library = Library(kb_copy, today=lambda: TODAY)
    answerer = Answerer(library)
    log = ConversationLog(kb_copy / "kb.sqlite")
    conv = log.start("staff1")
    first = ask_in(answerer, log, "staff1", conv.id, REWARD_Q)
    assert first.answer["found"] and "20万元" in first.answer["answer"]
    second = ask_in(answerer, log, "staff1", conv.id, "那5亿呢？")
    assert second.kind == FIGURE and "50万元" in second.answer["answer"]
    assert second.answer["warnings"][0].startswith("追问已补全为")  # the answer says what it carried over
    third = ask_in(answerer, log, "staff1", conv.id, "还有效吗？")
    assert third.kind == VALIDITY and "2023" in third.answer["answer"]  # the period stated in the plan (2022—2023年)

    assert [t.asked for t in log.turns(conv.id, "staff1")] == [REWARD_Q, "那5亿呢？", "还有效吗？"]
    assert log.conversations("staff1")[0].title == REWARD_Q
    assert [t.id for t in log.search("staff1", "5亿")] == [third.id, second.id]  # newest first; 3rd inherited it
    assert first.id in [t.id for t in log.search("staff1", "20万元")]  # the answer text is searched too
    assert log.search("staff2", "5亿") == []  # another user's history is not searchable
    with pytest.raises(ConversationError):
        log.turns(conv.id, "staff2")
    with pytest.raises(ConversationError):
        ask_in(answerer, log, "staff2", conv.id, "那5亿呢？")
    rows = log.rows(owner="staff1")
    assert [r["turn_id"] for r in rows] == [first.id, second.id, third.id]
    assert rows[1]["question"].endswith("5亿元能奖励多少？") and "四（一）2" in rows[1]["citations"]

    reopened = ConversationLog(kb_copy / "kb.sqlite")  # kept in the KB file
    assert len(reopened.turns(conv.id, "staff1")) == 3


def test_the_json_api_holds_a_conversation(kb_copy: Path):
    def call(method: str, url: str, data: dict | None = None) -> tuple[int, object]:
        body = json.dumps(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read().decode("utf-8"))

    with running_server(Library(kb_copy, today=lambda: TODAY)) as server:  # no users, loopback: this machine
        api = server.url + "api/conversations"
        status, conv = call("POST", api, {"title": ""})
        assert status == 200 and conv["owner"] == "本机"
        status, first = call("POST", f"{api}/{conv['id']}/ask", {"question": REWARD_Q})
        assert status == 200 and "20万元" in first["answer"]["answer"] and first["answer"]["curated"] is False
        status, second = call("POST", f"{api}/{conv['id']}/ask", {"question": "那5亿呢？"})
        assert status == 200 and second["kind"] == FIGURE and "50万元" in second["answer"]["answer"]
        status, history = call("GET", f"{api}/{conv['id']}")
        assert status == 200 and [t["asked"] for t in history["turns"]] == [REWARD_Q, "那5亿呢？"]
        status, judged = call("POST", f"{api}/{conv['id']}/turns/{second['id']}/feedback", {"verdict": "useful"})
        assert status == 200 and judged["verdict_text"] == "有用"
        status, error = call("POST", f"{api}/{conv['id']}/turns/{second['id']}/feedback", {"verdict": "好"})
        assert status == 400 and "useful" in error["error"]
        status, error = call("GET", f"{api}/0000000000000000")
        assert status == 404 and "找不到对话" in error["error"]
        status, error = call("POST", f"{api}/{conv['id']}/ask", {"question": ""})
        assert status == 400 and "问题为空" in error["error"]
        status, schema = call("GET", server.url + "openapi.json")
        assert {"/api/conversations", "/api/conversations/{conversation_id}/ask",
                "/api/conversations/{conversation_id}"} <= set(schema["paths"])
