"""Which files are one document: the same 文号 and an agreeing title replace; a 文号 shared by pages of
different titles (read from a footer link, or misprinted) keeps both documents, with a warning."""

from __future__ import annotations

from pathlib import Path

from kb.library import Library

_BODY = "各地要加强组织领导，明确责任分工，确保各项工作落到实处，切实做好相关保障工作。" * 3


def _page(title: str, number: str, topic: str) -> str:
    return (
        f"{title}\n{number}\n各县（市、区）人民政府，市级各部门：\n"
        f"一、总体要求\n{topic}{_BODY}\n二、主要任务\n{topic}{_BODY}\n广安市人民政府办公室\n2023年2月25日\n"
    )


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pages_with_one_number_and_different_titles_stay_two_documents(tmp_path: Path) -> None:
    lib = Library(tmp_path / "kb")
    first = _write(tmp_path, "a.txt", _page("广安市玄武岩纤维产品推广应用措施", "广安府办规〔2023〕1号", "推广玄纤产品。"))
    second = _write(tmp_path, "b.txt", _page("广安市促进养老服务发展实施方案", "广安府办规〔2023〕1号", "发展养老服务。"))
    one, two = lib.ingest([first, second])
    assert one.ok and two.ok
    assert one.doc_id != two.doc_id and not two.replaced
    assert any("广安府办规〔2023〕1号" in w and "玄武岩" in w for w in two.warnings)
    titles = sorted(d.title for d in lib.documents())
    assert titles == ["广安市促进养老服务发展实施方案", "广安市玄武岩纤维产品推广应用措施"]
    # each file's clauses belong to its own document
    ids = {d.title: d.doc_id for d in lib.documents()}
    clauses = lib.store.clauses(ids["广安市促进养老服务发展实施方案"])
    assert clauses and all(c.clause_id.startswith(ids["广安市促进养老服务发展实施方案"] + "#") for c in clauses)
    assert all("养老" in c.text for c in clauses if c.label in ("一", "二"))

    # ingesting either file again replaces its own copy, not the other document
    again = lib.ingest([second])[0]
    assert again.ok and again.replaced and again.doc_id == two.doc_id
    assert len(lib.documents()) == 2


def test_a_revised_file_of_the_same_document_still_replaces_it(tmp_path: Path) -> None:
    lib = Library(tmp_path / "kb")
    old = _write(tmp_path, "old.txt", _page("广安市玄武岩纤维产品推广应用措施", "广安府办规〔2023〕1号", "推广玄纤产品。"))
    new = _write(tmp_path, "new.txt", _page("广安市玄武岩纤维产品推广应用措施", "广安府办规〔2023〕1号", "全面推广玄纤产品。"))
    first = lib.ingest([old])[0]
    second = lib.ingest([new])[0]
    assert second.replaced and second.doc_id == first.doc_id
    assert not any("请核对文号" in w for w in second.warnings)
    assert len(lib.documents()) == 1


def test_the_bundled_plan_in_two_formats_is_one_document(tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    lib = Library(tmp_path / "kb")
    reports = lib.ingest([corpus / "ganzhou_digital_economy_2022.txt", corpus / "ganzhou_digital_economy_2022.pdf"])
    assert all(r.ok for r in reports)
    assert reports[1].replaced and reports[0].doc_id == reports[1].doc_id
    assert len(lib.documents()) == 1
