"""Property tests (hypothesis): readers, normaliser, segmenter, extractors and answerer on arbitrary input.

- `read_bytes` on arbitrary (and mutated real) bytes raises nothing but ReadError, and what it returns
  goes through `parse_text` and the store without error;
- `normalize` + `parse_text` on document-like text never raise, every clause is an exact slice of the
  document text, every amount and target sits at its offsets, clause ids are unique;
- the answerer on arbitrary strings returns a valid Answer or raises QuestionError.

Example counts are modest (the whole file runs well under a minute); raise them with
POLICYKB_FUZZ_EXAMPLES=500 for a longer run.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.answerer import Answerer
from kb.errors import QuestionError, ReadError
from kb.library import Library
from kb.models import Answer, Citation, ParsedDocument
from kb.normalize import normalize
from kb.parse import parse_text
from kb.readers import ReadResult, read_bytes
from kb.store import Store

REPO = Path(__file__).resolve().parents[1]
GANZHOU_TXT = REPO / "corpus" / "ganzhou_digital_economy_2022.txt"
GANZHOU_PDF = REPO / "corpus" / "ganzhou_digital_economy_2022.pdf"
N = int(os.environ.get("POLICYKB_FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(examples: int):
    return settings(
        max_examples=N or examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------------------------------------- KB


@pytest.fixture(scope="module")
def answerer(built_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    """Over this module's copy of the session's built KB (conftest.py)."""
    copy = tmp_path_factory.mktemp("fuzz") / "kb"
    shutil.copytree(built_kb_dir, copy)
    return Answerer(Library(copy))


@pytest.fixture(scope="module")
def scratch_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("fuzzstore") / "kb.sqlite")


# ----------------------------------------------------------------------------------- strategies

MARKERS = [
    "一、", "二、", "十二、", "三十、", "（一）", "（二）", "（十五）", "(三)", "（3）", "1.", "2、", "3．", "12.", "1.5",
    "第一章", "第五条", "第十二条", "第一节", "第二部分", "①", "⑳", "附件", "附件1", "附件2：", "附表", "——", "……",
]
PHRASES = [
    "〔责任单位：市工信局〕", "（牵头单位：市发改委；责任单位：市财政局、各县（市、区）政府）", "牵头单位：市商务局。",
    "责任单位：市委网信办、赣州国投集团", "给予50万元奖励", "最高不超过100万元", "一次性奖励20万元、50万元、100万元",
    "按实际投资额的10%给予补助", "4000—6000元", "万元", "亿元", "2%", "到2025年", "2022年6月1日", "2022—2023年",
    "有效期为两年（2022—2023年）", "自印发之日起施行，有效期5年", "赣市发〔2022〕5号", "广安府办规〔2022〕10号",
    "关于进一步做优做强数字经济的实施方案", "中共赣州市委 赣州市人民政府", "营业收入首次达到1亿元、10亿元的，分别",
    "序号\t工作任务\t主要内容\t牵头单位\t责任单位", "1\t（一）构筑资源承载新高地\t推动数据互通\t市行政审批局\t市公安局",
    "2\t\t探索建设大数据交易中心\t市行政审批局\t", "相关附件：", "扫一扫在手机打开当前页", "**", "【", "】", "[", "]",
    "(", ")", "（", "）", "〔", "〕", "《", "》", "“", "”", "。", "，", "；", "：", "、", "？", "！",
]
WHITESPACE = ["\t", "\n", "\n\n", "\r\n", "\r", " ", "  ", "\u3000", "\u3000\u3000", "\xa0", "\u200b", "\ufeff"]

cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=12)
fullwidth = st.text(alphabet=st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E), min_size=1, max_size=4)
digits = st.integers(min_value=0, max_value=10**9).map(str)
fragment = st.one_of(
    st.sampled_from(MARKERS),
    st.sampled_from(PHRASES),
    st.sampled_from(WHITESPACE),
    cjk,
    digits,
    fullwidth,
    st.text(max_size=6),  # anything at all, control characters included
)
document_text = st.lists(fragment, max_size=120).map("".join)
# lines that start with numbering, as real documents do
numbered_line = st.tuples(st.sampled_from(MARKERS), st.lists(fragment, max_size=8).map("".join)).map("".join)
document_lines = st.lists(numbered_line, min_size=1, max_size=40).map("\n".join)
UNITS = ["市工信局", "市商务局", "市发改委", "市行政审批局", "各县（市、区）政府", "赣州国投集团", "市委网信办", ""]
cell = st.one_of(st.sampled_from(UNITS), st.sampled_from(MARKERS), cjk, digits, st.just(""))
table_row = st.lists(cell, min_size=1, max_size=7).map("\t".join)
table = st.tuples(
    st.sampled_from(["序号\t工作任务\t主要内容\t牵头单位\t责任单位", "序号\t重点任务\t牵头单位\t配合单位",
                     "序号\t工作任务\t责任单位"]),
    st.lists(st.tuples(st.integers(0, 60).map(str), table_row).map("\t".join), max_size=20),
).map(lambda t: "\n".join([t[0], *t[1]]))
document_with_table = st.tuples(document_lines, st.sampled_from(["附件", "附件1", "附件\n重点任务分工表", ""]), table,
                                document_lines).map("\n".join)


def check_parsed(parsed: ParsedDocument, raw: str) -> None:
    doc = parsed.document
    text = doc.text
    assert text == normalize(raw)
    ids = [c.clause_id for c in parsed.clauses]
    assert len(ids) == len(set(ids)), f"duplicate clause ids {sorted(i for i in ids if ids.count(i) > 1)[:5]}"
    for c in parsed.clauses:
        assert 0 <= c.start <= c.end <= len(text), (c.label, c.start, c.end, len(text))
        assert c.text == text[c.start : c.end], c.label
        assert c.doc_id == doc.doc_id and c.clause_id == f"{doc.doc_id}#{c.label}"
        if c.parent_id is not None:
            assert c.parent_id in ids
        for a in c.amounts:
            assert text[a.start : a.end] == a.text, (a, c.label)
        for t in c.targets:
            assert text[t.start : t.end] == t.text, (t, c.label)
    for row in parsed.task_rows:
        assert row.clause_id in ids
        assert row.linked_clause_id is None or row.linked_clause_id in ids
    for v in doc.validity:
        assert v.text in text
    for inc in parsed.incentives:
        assert inc.clause_id in ids


# ----------------------------------------------------------------------------------- text


@fuzz_settings(150)
@given(raw=document_text)
def test_normalize_and_parse_document_like_text(raw: str) -> None:
    check_parsed(parse_text(raw, "fuzz.txt", "txt"), raw)


@fuzz_settings(100)
@given(raw=document_lines)
def test_parse_numbered_lines(raw: str) -> None:
    check_parsed(parse_text(raw, "fuzz.txt", "txt"), raw)


@fuzz_settings(100)
@given(raw=document_with_table)
def test_parse_document_with_task_table(raw: str) -> None:
    parsed = parse_text(raw, "fuzz.txt", "txt")
    check_parsed(parsed, raw)


@fuzz_settings(100)
@given(raw=st.text(max_size=400))
def test_parse_arbitrary_text(raw: str) -> None:
    check_parsed(parse_text(raw, "任意.txt", "txt"), raw)


@fuzz_settings(40)
@given(data=st.data())
def test_parse_real_document_with_noise(data: st.DataObject) -> None:
    """The Ganzhou plan with fragments spliced in at random places: offsets stay exact."""
    text = GANZHOU_TXT.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(text)))
        text = text[:pos] + data.draw(fragment) + text[pos:]
    check_parsed(parse_text(text, "ganzhou_noisy.txt", "txt"), text)


@fuzz_settings(60)
@given(raw=document_text)
def test_parsed_document_stores(raw: str, scratch_store: Store) -> None:
    """Whatever parses must store: one transaction, no constraint violation."""
    parsed = parse_text(raw, "fuzz.txt", "txt")
    scratch_store.save(parsed, "2024-01-01T00:00:00")
    assert scratch_store.counts(parsed.document.doc_id) == (len(parsed.clauses), len(parsed.task_rows))


# ----------------------------------------------------------------------------------- bytes

MAGIC = [
    b"%PDF-1.4\n", b"%PDF-", b"PK\x03\x04", b"PK\x05\x06", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
    b"<html><body>", b"<!DOCTYPE html>", b"<p>", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1", b"\x89PNG",
    b"\x1f\x8b", b"MZ", b"", b"\x00",
]
NAMES = ["a.txt", "a.pdf", "a.docx", "a.html", "a.htm", "a.md", "a.doc", "a", "政策.TXT", "x.DOCX"]


def check_read(data: bytes, name: str) -> None:
    try:
        result = read_bytes(data, name)
    except ReadError as exc:
        assert exc.reason and str(exc).startswith("无法读取文件")
        return
    assert isinstance(result, ReadResult)
    assert isinstance(result.text, str) and result.text.strip()
    assert result.fmt in ("txt", "pdf", "docx", "html")
    assert all(isinstance(w, str) for w in result.warnings)
    parsed = parse_text(result.text, name, result.fmt, result.warnings)  # the rest of the ingest path
    check_parsed(parsed, result.text)


@fuzz_settings(200)
@given(data=st.binary(max_size=3000), name=st.sampled_from(NAMES))
def test_read_bytes_arbitrary(data: bytes, name: str) -> None:
    check_read(data, name)


@fuzz_settings(150)
@given(head=st.sampled_from(MAGIC), body=st.binary(max_size=2000), name=st.sampled_from(NAMES))
def test_read_bytes_with_magic(head: bytes, body: bytes, name: str) -> None:
    check_read(head + body, name)


text_bytes = st.tuples(
    document_text, st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5"])
).map(lambda t: t[0].encode(t[1], errors="replace"))


@fuzz_settings(150)
@given(data=text_bytes, name=st.sampled_from(["a.txt", "a.md", "a"]))
def test_read_bytes_encoded_text(data: bytes, name: str) -> None:
    check_read(data, name)


html_doc = st.lists(
    st.one_of(
        fragment,
        st.sampled_from([
            "<p>", "</p>", "<div>", "</div>", "<br>", "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>",
            '<td rowspan="3">', '<td colspan="2">', '<td rowspan="x">', '<td colspan="-4">', "<script>", "</script>",
            "<style>", "</style>", "<nav>", "</nav>", "<h1>", "</h1>", "&nbsp;", "&#x4e00;", "&#xD800;", "&amp;",
            "<!--", "-->", "<meta charset='gbk'>", "<title>", "</title>", "<a href='x'>", "</a>",
        ]),
    ),
    max_size=80,
).map(lambda parts: "<html><body>" + "".join(parts) + "</body></html>")


@fuzz_settings(100)
@given(html=html_doc, enc=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_read_html_fuzz(html: str, enc: str) -> None:
    check_read(html.encode(enc, errors="replace"), "page.html")


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """edits: (position fraction in 0..10_000, kind, byte)."""
    buf = bytearray(data)
    for frac, kind, value in edits:
        if not buf:
            break
        pos = frac * (len(buf) - 1) // 10_000
        if kind == 0:
            buf[pos] = value
        elif kind == 1:
            del buf[pos : pos + 1 + value % 64]
        else:
            buf[pos:pos] = bytes([value]) * (1 + value % 16)
    return bytes(buf)


edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 2), st.integers(0, 255)), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def small_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("关于印发某某办法的通知")
    document.add_paragraph("一、总体要求")
    document.add_paragraph("（一）对首次达到1亿元的企业，给予50万元奖励。（责任单位：市工信局）")
    table = document.add_table(rows=3, cols=4)
    for r, row in enumerate([["序号", "工作任务", "牵头单位", "责任单位"], ["1", "建设中心", "市工信局", "市商务局"],
                             ["2", "", "市发改委", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 1).merge(table.cell(2, 1))
    buf = io.BytesIO()
    document.save(buf)
    # stored (not deflated) so byte edits land in the XML rather than in compressed data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    return out.getvalue()


@fuzz_settings(60)
@given(changes=edits)
def test_read_mutated_docx(changes: list, small_docx: bytes) -> None:
    check_read(_mutate(small_docx, changes), "mutated.docx")


XML_BITS = [
    "<w:p><w:r><w:t>", "</w:t></w:r></w:p>", "<w:tbl>", "</w:tbl>", "<w:tr>", "</w:tr>", "<w:tc>", "</w:tc>",
    '<w:tcPr><w:gridSpan w:val="2"/></w:tcPr>', '<w:tcPr><w:gridSpan w:val="x"/></w:tcPr>',
    '<w:tcPr><w:vMerge w:val="restart"/></w:tcPr>', "<w:tcPr><w:vMerge/></w:tcPr>",
    '<w:trPr><w:gridBefore w:val="1"/></w:trPr>', "<w:r><w:tab/></w:r>", "<w:br/>", "<w:sdt><w:sdtContent>",
    "</w:sdtContent></w:sdt>",
]


@fuzz_settings(60)
@given(parts=st.lists(st.one_of(st.sampled_from(XML_BITS), fragment.map(lambda s: s.replace("<", "").replace("&", ""))),
                      max_size=60))
def test_read_generated_docx_xml(parts: list[str]) -> None:
    """word/document.xml assembled from paragraph and table pieces (often malformed)."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{"".join(parts)}</w:body></w:document>'
    content_types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", xml.encode("utf-8", errors="replace"))
    check_read(buf.getvalue(), "generated.docx")


@fuzz_settings(25)
@given(changes=edits)
def test_read_mutated_pdf(changes: list) -> None:
    check_read(_mutate(GANZHOU_PDF.read_bytes(), changes), "mutated.pdf")


# ----------------------------------------------------------------------------------- answerer


def check_answer(answerer: Answerer, question: str) -> None:
    try:
        answer = answerer.ask(question)
    except QuestionError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
        return
    assert isinstance(answer, Answer)
    assert isinstance(answer.found, bool)
    assert isinstance(answer.answer, str) and answer.answer.strip()
    assert isinstance(answer.citations, list) and all(isinstance(c, Citation) for c in answer.citations)
    assert all(isinstance(w, str) for w in answer.warnings)
    for c in answer.citations:
        document = answerer.library.document(c.doc_id)
        assert document is not None and document.text[c.start : c.end] == c.text
    answer.to_dict()


QUESTION_BITS = [
    "谁牵头", "负责", "哪些任务", "奖励多少", "有效期", "到2025年", "首次达到1亿元", "市行政审批局", "大数据交易中心",
    "赣市发〔2022〕5号", "？", "吗", "请问", "'; DROP TABLE clauses; --", "<script>", "%", "_", "\\", "\"", "OR 1=1",
]


@fuzz_settings(30)
@given(question=st.text(max_size=80))
def test_answerer_arbitrary_text(question: str, answerer: Answerer) -> None:
    check_answer(answerer, question)


@fuzz_settings(25)
@given(question=st.lists(st.one_of(st.sampled_from(QUESTION_BITS), fragment), max_size=12).map("".join))
def test_answerer_question_like(question: str, answerer: Answerer) -> None:
    check_answer(answerer, question)


@fuzz_settings(3)
@given(question=st.text(min_size=490, max_size=520))
def test_answerer_near_length_limit(question: str, answerer: Answerer) -> None:
    check_answer(answerer, question)
