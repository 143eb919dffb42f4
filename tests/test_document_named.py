"""A question names a document by its 文号 or a distinctive run of its title, never by a year or a shared topic."""

from __future__ import annotations

from kb.models import Document
from kb.qa.naming import named_document


def _doc(doc_id: str, title: str, number: str = "") -> Document:
    return Document(doc_id, title, number, "", None, "", "txt", "", "")


REPORT = _doc("report", "2023年政府信息公开工作年度报告")
GUARANTEE = _doc("smes", "关于支持中小微企业纾困发展的若干措施")
INDUSTRY = _doc("industry", "关于进一步促进融资担保行业持续健康发展的通知", "广安府发〔2021〕3号")
FIRE = _doc("fire", "广安市火灾事故调查处理实施细则")
DOCS = [REPORT, GUARANTEE, INDUSTRY, FIRE]


def test_a_distinctive_title_run_names_its_document():
    assert named_document("这个火灾事故调查处理细则什么时候开始施行", DOCS) == "fire"
    assert named_document("促进融资担保行业持续健康发展的通知里，担保费率要降到多少", DOCS) == "industry"


def test_the_number_names_its_document():
    assert named_document("广安府发〔2021〕3号有效期几年", DOCS) == "industry"


def test_a_year_in_a_title_names_nothing():
    # "2023年" is the start of the report's title and of many questions about other documents
    assert named_document("到2023年融资担保机构平均注册资本要达到多少", [REPORT, FIRE]) is None
    assert named_document("2023年政府信息公开工作年度报告里收费多少", [REPORT, FIRE]) == "report"


def test_two_titles_touched_alike_name_neither():
    # "小微企业" runs in one title, "融资担保" in the other: a topic both share
    question = "融资担保机构对小微企业的在保余额占比要达到多少"
    assert named_document(question, [GUARANTEE, INDUSTRY]) is None
    assert named_document(question, [GUARANTEE, FIRE]) == "smes"
