"""Header from the document's own furniture: 文号 in the first block or the attachment's file name,
title from the page's own subject sentence, issuers from the signature block, the closing date."""

from __future__ import annotations

import io

import pytest

from kb.header import INFERRED_TITLE_MARK, read_header
from kb.parse import parse_text
from kb.readers import read_bytes


def test_number_in_the_first_block_not_a_cited_one():
    text = ("广州市民政局广州市财政局关于印发某某管理办法的通知成文日期：2024-03-14穗民规字〔2024〕3号各区民政局、财政局：\n"
            "根据《某某办法》（穗府办规〔2022〕13号），现印发给你们。")
    assert read_header(text).number == "穗民规字〔2024〕3号"
    cited = "各区民政局：\n根据《某某办法》（穗府办规〔2022〕13号）精神，现印发给你们。"
    assert read_header(cited).number == ""
    glued = "点击查看政策解读：关于《某某办法》的解读穗天科工信规字〔2023〕1号某某区科技局关于印发某某办法的通知"
    assert read_header(glued).number == "穗天科工信规字〔2023〕1号"


def test_number_from_the_attachment_file_name():
    page = "各县（市、区）人民政府：现将《某某措施》印发给你们。广安市人民政府办公室2023年2月25日"
    assert read_header(page, "相关附件：广安府办规[2023] 1号关于印发某某措施的通知.pdf").number == "广安府办规〔2023〕1号"
    assert read_header(page, "附件：关于印发某某措施的通知（广安府发〔2021〕5号）.doc").number == "广安府发〔2021〕5号"


def test_title_from_the_subject_sentence():
    notice = ("各区市县人民政府，市级相关部门：为提高土地利用效率，根据《某某条例》，现就进一步加强国有建设用地管理有关事项通知如下。"
              "一、规范编制计划。")
    assert read_header(notice).title == "关于进一步加强国有建设用地管理的通知"
    opinion = "各区市县人民政府：为保障学生饮食安全，现就进一步加强学生食堂食品安全工作提出如下意见。一、总体要求。"
    assert read_header(opinion).title == "关于进一步加强学生食堂食品安全工作的意见"
    implementing = "各区市县人民政府：为贯彻落实《四川省人民政府办公厅关于支持戏曲传承发展的实施意见》精神，现提出以下实施意见。"
    assert read_header(implementing).title == f"关于支持戏曲传承发展的实施意见{INFERRED_TITLE_MARK}"


def test_a_numbered_heading_is_never_the_title():
    text = "各县（市、区）人民政府：\n三、进一步完善支持政策\n（一）加大补助。"
    assert read_header(text, fallback_title="某某文件").title == "某某文件"


def test_joint_issuers_from_the_signature_block_and_the_closing_date():
    text = ("某区深化支持青年创业实施办法\n现印发实施。\n广州市天河区科技工业和信息化局\n广州市天河区人力资源和社会保障局\n"
            "中共广州市天河区委统战部\n2023年8月9日\n第一条 为支持青年创业，制定本办法。\n公开方式：主动公开\n"
            "广州市天河区科技工业和信息化局办公室\n2023年8月9日印发")
    header = read_header(text)
    assert header.issuer == "广州市天河区科技工业和信息化局、广州市天河区人力资源和社会保障局、中共广州市天河区委统战部"
    assert header.issue_date == "2023-08-09"
    closing = read_header("某某局关于印发某某细则的通知\n有关单位：\n现予以印发，请遵照执行。\n特此通知。2021年2月2日（联系人：某某）")
    assert closing.issue_date == "2021-02-02"


def test_issuer_line_above_the_title():
    assert read_header("洪泽区人民政府\n2023年政府信息公开工作年度报告\n本报告由区政府办公室编制。").issuer == "洪泽区人民政府"



# a title, its 文号 line and the salutation on adjacent short lines: the normaliser joins a title of 45
# characters or more with the lines below it (it reads as a hard-wrapped sentence), so the header sees
# "……工作的通知穗民规字〔2024〕3号各区人民政府，……：" and read the 文号 as "通知穗民规字〔2024〕3号"
_LONG_TITLE = "广州市民政局 广州市财政局 广州市卫生健康委员会关于进一步做好全市老年人助餐配餐服务工作的通知"
_LAYOUTS = {
    "one-title-line": [_LONG_TITLE],
    "title-over-two-lines": ["广州市民政局 广州市财政局 广州市卫生健康委员会关于进一步做好", "全市老年人助餐配餐服务工作的通知"],
    "short-title": ["广州市民政局关于加强养老服务的通知"],
}
_NUMBER = "穗民规字〔2024〕3号"
_SALUTE = "各区人民政府，市政府各部门、各直属机构："
_BODY = ["为进一步做好老年人助餐服务工作，现就有关事项通知如下。", "一、总体要求", "（一）坚持就近便利。各区要合理布局助餐点。"]


def _docx(paragraphs: list[str]) -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("blank", [False, True], ids=["tight", "blank-lines"])
@pytest.mark.parametrize("fmt", ["txt", "docx"])
@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_a_number_line_ends_the_title_and_a_salutation_is_never_part_of_it(layout: str, fmt: str, blank: bool):
    lines = [*_LAYOUTS[layout], _NUMBER, _SALUTE, *_BODY]
    paragraphs = [p for line in lines for p in ([line, ""] if blank else [line])]
    data = "\n".join(paragraphs).encode("utf-8") if fmt == "txt" else _docx(paragraphs)
    document = parse_text(read_bytes(data, f"通知.{fmt}").text, f"通知.{fmt}", fmt).document
    assert (document.number, document.title) == (_NUMBER, "".join(_LAYOUTS[layout]).replace(" ", ""))


def test_a_glued_head_is_cut_apart_only_where_it_reads_so():
    title = _LONG_TITLE.replace(" ", "")
    glued = read_header(f"{title}{_NUMBER}{_SALUTE}\n为做好工作，现就有关事项通知如下。")
    assert (glued.title, glued.number) == (title, _NUMBER)
    assert read_header(f"{title}{_SALUTE}\n为做好工作，现就有关事项通知如下。").title == title
    other = read_header("广州市民政局关于加强养老服务的通知穗民〔2024〕3号市各有关单位：\n现通知如下。")
    assert (other.title, other.number) == ("广州市民政局关于加强养老服务的通知", "穗民〔2024〕3号")
    # "……的通知要求：" cites a notice in a sentence: no title and salutation there
    cited = read_header("各区民政局：\n根据省政府关于加强养老服务的通知要求：\n一、总体要求", fallback_title="文件名")
    assert cited.title == "文件名"
