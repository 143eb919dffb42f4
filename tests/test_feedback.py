"""Feedback on answers and administrators' corrections, on real SQLite over the Ganzhou plan."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import TODAY

from kb.audit import AuditLog
from kb.curated import CorrectionError, CuratedAnswers, near_identical, normalise
from kb.feedback import USEFUL, USELESS, FeedbackError, FeedbackLog
from kb.library import Library

QUESTION = "数字产品制造业企业营业收入首次达到1亿元能奖励多少？"
CORRECTED = "数字产品制造业企业年度营业收入首次达到1亿元的，一次性奖励20万元；奖励资金由市县两级财政各承担50%。"


@pytest.fixture()
def kb(kb_copy: Path):
    from kb.answerer import Answerer

    library = Library(kb_copy, today=lambda: TODAY)
    audit = AuditLog(kb_copy / "kb.sqlite")
    return library, Answerer(library), audit


def test_feedback_is_stored_with_question_answer_citations_and_audited(kb, kb_copy: Path):
    library, answerer, audit = kb
    answer = answerer.ask(QUESTION).to_dict()
    log = FeedbackLog(kb_copy / "kb.sqlite", audit)
    good = log.record("staff1", USEFUL, answer)
    bad = log.record("staff2", USELESS, answer, comment="没有说明申报时间")
    assert [f.id for f in log.entries()] == [bad.id, good.id]
    assert [f.id for f in log.entries(USELESS)] == [bad.id]
    stored = FeedbackLog(kb_copy / "kb.sqlite").get(bad.id)
    assert stored.question == QUESTION and stored.answer == answer["answer"] and stored.comment == "没有说明申报时间"
    assert [c["label"] for c in stored.citations] == [c["label"] for c in answer["citations"]]
    row = log.rows(USELESS)[0]
    assert row["verdict"] == "没用" and "四（一）2" in row["citations"]
    assert [e.action_text for e in audit.entries()[:2]] == ["反馈", "反馈"]
    for verdict, comment in (("great", ""), (USEFUL, "很" * 501)):
        with pytest.raises(FeedbackError):
            log.record("staff1", verdict, answer, comment)
    with pytest.raises(FeedbackError):
        log.record("staff1", USEFUL, {"answer": "", "citations": []})
    assert len(log.entries()) == 2  # refusals store nothing


def test_a_correction_must_cite_existing_clauses_and_be_grounded(kb, kb_copy: Path):
    library, _answerer, audit = kb
    doc = library.documents()[0].doc_id
    curated = CuratedAnswers(kb_copy / "kb.sqlite", audit)
    with pytest.raises(CorrectionError, match="30万元"):  # the clause states 20万元
        curated.add(library, QUESTION, "首次达到1亿元的，一次性奖励30万元。", [f"{doc}#四（一）2"], "管理员甲")
    with pytest.raises(CorrectionError, match="不存在"):
        curated.add(library, QUESTION, CORRECTED, [f"{doc}#九（九）9"], "管理员甲")
    with pytest.raises(CorrectionError, match="至少一条"):
        curated.add(library, QUESTION, CORRECTED, [], "管理员甲")
    with pytest.raises(CorrectionError, match="市商务局"):  # a unit the cited clause does not name
        curated.add(library, QUESTION, CORRECTED + "由市商务局兑现。", [f"{doc}#四（一）2"], "管理员甲")
    assert curated.entries() == []


def test_a_correction_is_served_first_for_the_same_or_a_near_identical_question(kb, kb_copy: Path):
    library, answerer, audit = kb
    doc = library.documents()[0].doc_id
    before = answerer.ask(QUESTION)
    assert not before.curated
    curated = CuratedAnswers(kb_copy / "kb.sqlite", audit)
    fix = curated.add(library, QUESTION, CORRECTED, [f"{doc}#四（一）2"], "管理员甲", intent="incentive")
    assert audit.entries()[0].action == "correction" and audit.entries()[0].actor == "管理员甲"

    served = answerer.ask(QUESTION)
    assert served.curated and served.answer == CORRECTED and served.to_dict()["curated"] is True
    assert [c.label for c in served.citations] == ["四（一）2"]
    assert served.citations[0].in_force is False  # validity still judged by the clock: 2022—2023 has ended
    assert "人工校正" in served.warnings[0]
    assert answerer.ask("请问，数字产品制造业企业营业收入首次达到1亿元的能奖励多少").curated  # near-identical
    assert not answerer.ask("数字产品制造业企业营业收入首次达到5亿元能奖励多少？").curated  # another figure
    assert not answerer.ask("新型学徒制培训补贴每人多少钱？").curated

    curated.withdraw(fix.id, "管理员甲")
    assert not answerer.ask(QUESTION).curated


def test_near_identical_needs_the_same_figures_and_high_overlap():
    a = normalise(QUESTION)
    assert near_identical(a, normalise("数字产品制造业企业的营业收入首次达到1亿元，能奖励多少？"))
    assert not near_identical(a, normalise(QUESTION.replace("1亿元", "10亿元")))
    assert not near_identical(a, normalise("数字产品制造业企业能奖励多少？"))


def test_serving_reads_without_creating_tables(kb_copy: Path):
    from kb.curated import serve

    library = Library(kb_copy, today=lambda: TODAY)
    assert serve(library, QUESTION) is None
    with sqlite3.connect(kb_copy / "kb.sqlite") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "curated_answers" not in names


def test_a_busy_kb_is_read_again_not_taken_for_no_corrections(kb, kb_copy: Path):
    """A locked or busy KB while corrections are read must not silently serve the answerer's answer in
    place of an administrator's correction: the read is tried again, and a KB that stays busy is an error."""
    from kb import curated as C

    library, answerer, audit = kb
    doc = library.documents()[0].doc_id
    CuratedAnswers(kb_copy / "kb.sqlite", audit).add(library, QUESTION, CORRECTED, [f"{doc}#四（一）2"], "管理员甲",
                                                     intent="incentive")
    path = library.kb_dir / C.DB_NAME
    reader = C._READERS.setdefault(path, C._Reader(path))
    assert reader.corrections()  # its connection is open
    real, failures = reader._conn, []

    class Busy:
        def __init__(self, times: int) -> None:
            self.times = times

        def execute(self, *args):
            if len(failures) < self.times:
                failures.append(1)
                raise sqlite3.OperationalError("database is locked")
            return real.execute(*args)

    reader._conn = Busy(1)
    try:
        assert answerer.ask(QUESTION).curated and failures == [1]
        failures.clear()
        reader._conn = Busy(C._READ_ATTEMPTS)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            answerer.ask(QUESTION)
    finally:
        reader._conn = real
