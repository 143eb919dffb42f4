"""Reader layer: bytes of TXT/PDF/DOCX/HTML -> text, one paragraph or table row per line."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from kb.errors import ReadError
from kb.readers import DEFAULT_MAX_BYTES, ReadResult, read_bytes, read_file

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GANZHOU_PDF = REPO / "corpus" / "ganzhou_digital_economy_2022.pdf"
GANZHOU_TXT = REPO / "corpus" / "ganzhou_digital_economy_2022.txt"

SAMPLE = "关于进一步做优做强数字经济的实施方案\n一、目标定位\n力争到2025年，数字基础设施较为完善。\n"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def nospace(text: str) -> str:
    return re.sub(r"\s", "", text)


def numbered_rows(text: str) -> dict[int, list[str]]:
    rows = {}
    for line in text.split("\n"):
        cells = line.split("\t")
        if len(cells) >= 4 and re.fullmatch(r"\d{1,3}", cells[0].strip()):
            rows[int(cells[0])] = cells
    return rows


# ---------------------------------------------------------------- TXT


@pytest.mark.parametrize(
    "encoding,prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("gb18030", b""),
        ("gbk", b""),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
    ],
)
def test_txt_encodings_decode_to_same_text(encoding: str, prefix: bytes) -> None:
    result = read_bytes(prefix + SAMPLE.encode(encoding), "sample.txt")
    assert result.fmt == "txt"
    assert result.text == SAMPLE
    assert result.pages is None


def test_txt_crlf_becomes_lf_and_bom_is_stripped() -> None:
    data = b"\xef\xbb\xbf" + SAMPLE.replace("\n", "\r\n").encode("utf-8")
    assert read_bytes(data, "a.txt").text == SAMPLE


def test_txt_mixed_utf8_and_gbk_lines_decoded_with_warning() -> None:
    data = "第一行是UTF-8编码。\n".encode() + "第二行是GBK编码的政策文本。\n".encode("gbk")
    result = read_bytes(data, "mixed.txt")
    assert result.text == "第一行是UTF-8编码。\n第二行是GBK编码的政策文本。\n"
    assert any("混杂" in w for w in result.warnings)


def test_txt_keeps_spacing_as_is() -> None:
    text = "到 2025 年，　全角空格与ＡＢＣ全角字母保持原样。\n\n\n第二段\n"
    assert read_bytes(text.encode(), "x.txt").text == text


def test_guangan_single_line_files_read_unchanged() -> None:
    files = sorted(need(SHARED).glob("guangan_*.txt"))
    assert files
    for path in files:
        raw = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        result = read_file(path)
        assert result.fmt == "txt"
        assert result.text == raw


def test_binary_named_txt_is_rejected() -> None:
    data = bytes(range(256)) * 20
    with pytest.raises(ReadError, match="不是文本文件"):
        read_bytes(data, "evil.txt")


def test_control_characters_named_txt_are_rejected() -> None:
    data = b"\x01\x02\x03\x04abc\x05\x06\x07\x08" * 50
    with pytest.raises(ReadError, match="不是文本文件"):
        read_bytes(data, "ctrl.txt")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match="文件为空") as info:
        read_file(path)
    assert info.value.path == str(path)


def test_whitespace_only_file_is_empty() -> None:
    with pytest.raises(ReadError, match="文件为空"):
        read_bytes(b"  \r\n\t\n", "blank.txt")


def test_size_limit_names_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(SAMPLE.encode() * 100)
    with pytest.raises(ReadError, match="文件过大") as info:
        read_file(path, max_bytes=1000)
    assert "1000 字节" in info.value.reason
    assert str(path.stat().st_size) in info.value.reason
    with pytest.raises(ReadError, match="超过上限"):
        read_bytes(b"x" * 2001, "b.txt", max_bytes=2000)
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="不存在"):
        read_file(tmp_path / "nope.pdf")


def test_unsupported_formats() -> None:
    with pytest.raises(ReadError, match="不支持"):
        read_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "scan.png")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(ReadError, match="不支持"):
        read_bytes(buf.getvalue(), "archive.zip")


def test_detection_by_content_not_extension() -> None:
    html = (
        "<html><body><div class='content'><p>"
        + "本办法自印发之日起施行，有效期五年。" * 3
        + "</p></div></body></html>"
    )
    result = read_bytes(html.encode(), "misnamed.txt")
    assert result.fmt == "html"
    assert read_bytes(SAMPLE.encode(), "misnamed.html").fmt == "txt"


# ---------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def ganzhou_pdf() -> ReadResult:
    return read_file(need(GANZHOU_PDF))


def test_ganzhou_pdf_basics(ganzhou_pdf: ReadResult) -> None:
    assert ganzhou_pdf.fmt == "pdf"
    assert ganzhou_pdf.pages == 18
    assert ganzhou_pdf.warnings == []


def test_ganzhou_pdf_page_furniture_removed(ganzhou_pdf: ReadResult) -> None:
    for line in ganzhou_pdf.text.split("\n"):
        assert not re.fullmatch(r"\s*[—\-－]\s*\d+\s*[—\-－]\s*", line), line
        assert not re.fullmatch(r"\s*\d{1,2}\s*", line), line
    assert "— 3 —" not in ganzhou_pdf.text


def test_ganzhou_pdf_paragraphs_rejoined(ganzhou_pdf: ReadResult) -> None:
    lines = [nospace(line) for line in ganzhou_pdf.text.split("\n")]
    assert any("聚焦粤港澳大湾区数字经济发展需求，有针对性地开展" in line for line in lines)
    # across a page break (pages 1 -> 2), and "到 2025" + "年" wrapped apart
    assert any("共建数字产业合作平台、“科创飞地”，引进一批50亿元以上" in line for line in lines)
    assert any("到2025年，跻身全国数字经济百强城市前50名。" in line for line in lines)
    # every numbered clause starts its own line and carries its text
    assert any(line.startswith("1.承接大湾区资源辐射。") for line in lines)
    assert any(line.startswith("6.依托“1+5+N”产业基金") for line in lines)


def test_ganzhou_pdf_body_matches_txt_paragraphs(ganzhou_pdf: ReadResult) -> None:
    """Every TXT paragraph stands inside one PDF line (modulo spaces and the TXT's ** marks)."""
    txt = need(GANZHOU_TXT).read_text(encoding="utf-8")
    pdf_lines = [nospace(line) for line in ganzhou_pdf.text.split("\n") if "\t" not in line]
    missing = []
    for raw in txt.split("\n"):
        para = nospace(raw).replace("**", "")
        if para and "\t" not in raw and not any(para in line for line in pdf_lines):
            missing.append(para)
    # the TXT has a few spurious breaks of its own (e.g. the notice title); the PDF may join more
    assert len(missing) <= 1, missing


def test_ganzhou_pdf_task_table(ganzhou_pdf: ReadResult) -> None:
    rows = numbered_rows(ganzhou_pdf.text)
    assert sorted(rows) == list(range(1, 47))
    assert all(len(cells) == 5 for cells in rows.values())
    assert rows[17][3] == "市行政审批局"
    assert nospace(rows[17][2]) == "探索建设赣南大数据交易中心"
    assert rows[42][3] == "章贡区"
    assert re.fullmatch(r"市科技局[ 、]市工信局", rows[24][3])
    assert re.fullmatch(r"市发改委[ 、]市财政局", rows[29][3])
    assert nospace(rows[46][3]) == nospace("市直(驻市)各单位, 各县(市、区)")
    # merged 工作任务 cells are filled down
    assert nospace(rows[2][1]) == "(一)构筑资源承载新高地"
    assert nospace(rows[17][1]) == "(五)激发数据要素新活力"
    assert all(cells[1].strip() for cells in rows.values())
    # a genuinely empty 责任单位 stays empty
    assert rows[19][4] == ""
    header = "序号\t工作任务\t主要内容\t牵头单位\t责任单位"
    assert header in ganzhou_pdf.text.split("\n")


def test_ganzhou_pdf_table_matches_txt(ganzhou_pdf: ReadResult) -> None:
    txt_rows = numbered_rows(need(GANZHOU_TXT).read_text(encoding="utf-8"))
    pdf_rows = numbered_rows(ganzhou_pdf.text)
    for number, cells in txt_rows.items():
        for col in (0, 2, 3, 4):
            assert nospace(pdf_rows[number][col]) == nospace(cells[col]), (number, col)


def test_hongze_pdf_reads() -> None:
    result = read_file(need(SHARED / "hongze_gov_info_disclosure_report_2023.pdf"))
    assert result.fmt == "pdf" and result.pages == 5
    assert "政府信息公开" in result.text
    assert "- 1 -" not in result.text
    assert any(nospace(line).startswith("一、总体情况") for line in result.text.split("\n"))


def _make_pdf(tmp_path: Path, *, encrypt: str | None = None, blank: bool = True) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    if blank:
        writer.add_blank_page(width=595, height=842)
        writer.add_blank_page(width=595, height=842)
    else:
        writer.append(PdfReader(need(GANZHOU_PDF)), pages=[0])
    if encrypt is not None:
        writer.encrypt(user_password=encrypt, owner_password="owner")
    path = tmp_path / "made.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def test_encrypted_pdf_rejected(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path, encrypt="secret", blank=False)
    with pytest.raises(ReadError, match="已加密"):
        read_file(path)


def test_encrypted_pdf_with_empty_user_password_reads(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path, encrypt="", blank=False)
    result = read_file(path)
    assert "赣市发" in result.text


def test_pdf_without_text_layer_is_a_scan(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="扫描版.*OCR"):
        read_file(_make_pdf(tmp_path))


def test_truncated_pdf(tmp_path: Path) -> None:
    data = need(GANZHOU_PDF).read_bytes()
    with pytest.raises(ReadError, match="PDF") as info:
        read_bytes(data[: len(data) // 2], "cut.pdf")
    assert "不完整" in info.value.reason or "损坏" in info.value.reason


def test_garbage_after_pdf_header(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="PDF"):
        read_bytes(b"%PDF-1.7\n" + b"garbage" * 50 + b"\n%%EOF\n", "bad.pdf")


# ---------------------------------------------------------------- DOCX


def _make_docx(path: Path) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("关于印发测试实施方案的通知")
    document.add_paragraph("一、总体要求")
    table = document.add_table(rows=4, cols=4)
    for c, text in enumerate(["序号", "工作任务", "牵头单位", "责任单位"]):
        table.cell(0, c).text = text
    for r in range(1, 4):
        table.cell(r, 0).text = str(r)
    merged = table.cell(1, 1).merge(table.cell(3, 1))  # vertical merge
    merged.text = "构筑资源承载新高地"
    table.cell(1, 2).text = "市行政审批局"
    table.cell(2, 2).text = "市发改委"
    table.cell(3, 2).text = "市商务局"
    wide = table.cell(1, 3).merge(table.cell(2, 3))  # vertical again, in the last column
    wide.text = "市工信局"
    table.cell(3, 3).text = ""
    footer = document.add_table(rows=1, cols=4)
    span = footer.cell(0, 0).merge(footer.cell(0, 2))  # horizontal gridSpan
    span.text = "合计"
    footer.cell(0, 3).text = "3项"
    document.add_paragraph("二、保障措施\t（略）")
    document.save(path)
    return path


def test_docx_paragraphs_and_merged_tables_in_order(tmp_path: Path) -> None:
    result = read_file(_make_docx(tmp_path / "plan.docx"))
    assert result.fmt == "docx"
    lines = result.text.strip("\n").split("\n")
    assert lines[0] == "关于印发测试实施方案的通知"
    assert lines[1] == "一、总体要求"
    assert lines[2] == "序号\t工作任务\t牵头单位\t责任单位"
    assert lines[3] == "1\t构筑资源承载新高地\t市行政审批局\t市工信局"
    assert lines[4] == "2\t构筑资源承载新高地\t市发改委\t市工信局"
    assert lines[5] == "3\t构筑资源承载新高地\t市商务局\t"
    assert lines[6] == "合计\t合计\t合计\t3项"
    assert lines[7] == "二、保障措施 （略）"  # a paragraph tab must not look like a table row


def test_docx_detected_without_extension(tmp_path: Path) -> None:
    data = _make_docx(tmp_path / "plan.docx").read_bytes()
    assert read_bytes(data, "download.bin").fmt == "docx"


def test_docx_not_a_zip() -> None:
    with pytest.raises(ReadError, match="DOCX"):
        read_bytes(b"This is not really a Word file, just text pretending.\n", "fake.docx")


def test_docx_corrupt_zip() -> None:
    with pytest.raises(ReadError):
        read_bytes(b"PK\x03\x04" + b"\x00" * 200, "broken.docx")


def _zip_with_huge_member(declared: int) -> bytes:
    """A zip whose central directory declares `declared` bytes for word/document.xml."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    data = bytearray(buf.getvalue())
    # patch the uncompressed size of word/document.xml in local header and central directory
    name = b"word/document.xml"
    for sig, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) != -1:
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[i + size_offset : i + size_offset + 4] = declared.to_bytes(4, "little")
            start = i + 4
    return bytes(data)


def test_docx_zip_bomb_rejected_before_extraction() -> None:
    with pytest.raises(ReadError, match="压缩炸弹") as info:
        read_bytes(_zip_with_huge_member(4_000_000_000), "bomb.docx")
    assert "MB" in info.value.reason


def test_docx_zip_bomb_by_ratio() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>" + " " * 20_000_000)
    with pytest.raises(ReadError, match="压缩比"):
        read_bytes(buf.getvalue(), "ratio.docx")


# ---------------------------------------------------------------- HTML


def test_family_doctor_html_table() -> None:
    result = read_file(need(SHARED / "gz_family_doctor_plan_2023.html"))
    assert result.fmt == "html"
    lines = result.text.split("\n")
    assert lines[0].startswith("广州市卫生健康委等4部门关于印发推进广州市家庭医生签约服务")
    assert "文号：穗卫函〔2023〕1930号" in lines[:6]
    header = next(
        i for i, line in enumerate(lines) if line.startswith("序号\t工作事项\t主要内容\t牵头单位\t配合单位")
    )
    width = len(lines[header].split("\t"))
    table = []
    for line in lines[header + 1 :]:
        if "\t" not in line:
            break
        table.append(line.split("\t"))
    assert len(table) > 20
    assert all(len(cells) == width for cells in table)
    # row 1 has rowspan=3 on 序号 and 工作事项: filled into the next two rows
    ones = [cells for cells in table if cells[0] == "1"]
    assert len(ones) == 3
    assert len({cells[1] for cells in ones}) == 1 and ones[0][1].startswith("有序扩大家庭医生来源")


def test_html_boilerplate_dropped() -> None:
    for path in sorted(need(SHARED).glob("gz_*.html")):
        result = read_file(path)
        assert result.fmt == "html"
        text = result.text
        for junk in ("扫一扫在手机打开当前页", "关闭窗口", "打印本页", "高级搜索", "当前位置"):
            assert junk not in text, (path.name, junk)
        assert "<" not in text and "function(" not in text
        assert re.search(
            r"^[\s\u3000]*(第[一二三四五六七八九十]+条|[一二三四五六七八九十]+、)", text, re.M
        ), path.name


def test_html_titles_first() -> None:
    result = read_file(need(SHARED / "gz_tianhe_hkmacao_youth_2023.html"))
    assert result.text.split("\n")[0] == "广州市天河区深化支持港澳青年创新创业高质量发展实施办法"
    assert "穗天科工信规字〔2023〕1号" in result.text


def test_html_with_only_nav_and_footer_rejected() -> None:
    html = """<!doctype html><html><head><title>某某市人民政府</title><script>var a=1;</script></head>
    <body><nav><a href='/'>首页</a><a href='/zw'>政务公开</a><a href='/bs'>办事服务</a></nav>
    <div class="footer">主办单位：某某市人民政府办公室 版权所有 网站标识码1234</div>
    <footer>扫一扫在手机打开当前页</footer></body></html>"""
    with pytest.raises(ReadError, match="没有正文"):
        read_bytes(html.encode(), "page.html")


def test_html_rowspan_colspan_br_and_gbk() -> None:
    html = """<html><head><meta charset="gbk"><title>测试 - 某某网</title></head><body>
    <div id="zoom"><h1>某某区关于支持企业发展的若干措施</h1><p>第一条 为支持企业发展，制定本措施。<br>第二条 本措施自印发之日起施行。</p>
    <table><tr><th>序号</th><th>事项</th><th>牵头单位</th></tr>
    <tr><td rowspan="2">1</td><td>事项甲</td><td rowspan="2">区发改局</td></tr>
    <tr><td>事项乙</td></tr>
    <tr><td colspan="2">合计</td><td></td></tr></table></div>
    <div class="share">分享到：微信</div></body></html>"""
    result = read_bytes(html.encode("gbk"), "page.htm")
    assert result.text.split("\n") == [
        "某某区关于支持企业发展的若干措施",
        "第一条 为支持企业发展，制定本措施。",
        "第二条 本措施自印发之日起施行。",
        "序号\t事项\t牵头单位",
        "1\t事项甲\t区发改局",
        "1\t事项乙\t区发改局",
        "合计\t合计\t",
        "",
    ]
