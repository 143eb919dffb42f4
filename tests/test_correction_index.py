"""A header correction and the search index (issue 12): a fix of the 文号 (or issuer, dates) is not in
the index, so the live index keeps serving and the answer shows the new 文号 at once; a new title is in
every passage of the document, so the index is rebuilt and searches see it."""

from __future__ import annotations

from pathlib import Path

from conftest import TODAY
from test_doc_management_api import PARK_DOC

from kb.library import Library
from ui.docadmin import desk_of
from ui.service import UIService

QUESTION = "谁牵头建设蓝鲸测试园区？"


def _desk(kb_copy: Path, tmp_path: Path):
    service = UIService(Library(kb_copy, today=lambda: TODAY))
    service.warm()
    park = tmp_path / "蓝鲸园区通知.txt"
    park.write_text(PARK_DOC, encoding="utf-8")
    desk = desk_of(service)
    batch = desk.upload([(park, None)], "管理员甲")
    assert batch.ok_count == 1
    doc_id = next(r.document.doc_id for r in desk.rows() if "蓝鲸" in r.document.title)
    return service, desk, doc_id


def test_a_number_fix_keeps_the_index_and_is_served_at_once(kb_copy: Path, tmp_path: Path) -> None:
    service, desk, doc_id = _desk(kb_copy, tmp_path)
    retriever = service.answerer.retriever
    live = retriever.index()
    seen: list[tuple[float, str]] = []
    changes = desk.correct(doc_id, {"number": "测试〔2025〕8号", "issuer": "市测试局"}, "管理员甲",
                           lambda f, d: seen.append((f, d)))
    assert changes["number"] == ("测试〔2025〕7号", "测试〔2025〕8号")
    assert retriever.index() is live  # nothing rebuilt
    assert seen and seen[-1][0] == 1.0
    cited = [c for c in service.ask(QUESTION).citations if c.doc_id == doc_id]
    assert cited and all(c.doc_number == "测试〔2025〕8号" for c in cited)


def test_a_title_fix_rebuilds_the_index(kb_copy: Path, tmp_path: Path) -> None:
    service, desk, doc_id = _desk(kb_copy, tmp_path)
    retriever = service.answerer.retriever
    live = retriever.index()
    desk.correct(doc_id, {"title": "关于推进白鲟示范园区建设的通知"}, "管理员甲")
    assert retriever.index() is not live
    hits = retriever.search("白鲟示范园区", k=5, mode="bm25")
    assert hits and hits[0][0].doc_id == doc_id  # the new title is in the passages' context


def test_a_stale_generation_is_not_kept(kb_copy: Path, tmp_path: Path) -> None:
    service, desk, doc_id = _desk(kb_copy, tmp_path)
    retriever = service.answerer.retriever
    retriever.index()
    before = service.library.generation
    service.library.set_disabled(doc_id, True, "管理员甲")  # a change the index must follow, not yet rebuilt
    service.library.correct(doc_id, {"number": "测试〔2025〕9号"}, "管理员甲")
    assert not retriever.keep_index(before, {"number"})  # two writes since the live index
    assert not retriever.keep_index(before + 1, {"number"})  # the live index is not at the disable
    assert all(c.doc_id != doc_id for c, _ in retriever.search("蓝鲸测试园区", k=5))
