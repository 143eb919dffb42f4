"""Read a document's header: title, 文号, issuer and date."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.dates import iso

DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12}〔\d{4}〕\d{1,4}号)")
# a 文号 as pages and file names also write it: [2022] ［2022］ (2022) 【2022】, spaces inside
_ANY_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})\s*[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]\s*(\d{1,4})\s*号")
# words before a 文号 that cite another document; a prefix ending in these is not the issuing organ's
_CITES = re.compile(r"(?:根据|按照|依据|依照|贯彻|落实|执行|参照|对照|转发|结合|和|及|、)$")
_NOT_PREFIX = re.compile(r"^.*(?:的|解读|文号|字号|编号|文件|日期)")
_SALUTATION_END = re.compile(r"(?:局|委|府|门|位|会|区|县|市|室|厅|办|司|业|校|院|队|所)[：:]")
_KINDS = r"(?:实施方案|行动方案|方案|若干措施|若干政策措施|政策措施|措施|管理办法|实施办法|办法|实施意见|指导意见|意见|通知|实施细则|细则|规定|条例|报告|政策|规划|计划|决定|公告|要点|清单)"
_TITLE_IN_NOTICE = re.compile(r"(?:印发|现将|转发)《([^《》]{4,80})》|《([^《》]{4,80})》(?:已经|现印发|印发|的通知)")
_TITLE_LINE = re.compile(rf"^[^。，；：]{{4,60}}{_KINDS}(?:（[^）]{{1,10}}）)?$")
_ISSUER_DATE = re.compile(
    r"((?:中共)?[\u4e00-\u9fff]{2,60}?(?:人民政府办公室|人民政府办公厅|人民政府|委员会|办公室|委|局|厅))\s*"
    r"(\d{4})年(\d{1,2})月(\d{1,2})日(?!印发)"
)
_ISSUER_LINE = re.compile(r"^(.{2,30}?)文件$")
_ORGAN_END = re.compile(r"(?:人民政府办公室|人民政府办公厅|人民政府|委员会|办公室|办公厅|管委会|政府|局|厅|委|部|办|中心|院)$")
_DATE_LINE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# "特此通知。2021年2月2日": the date that closes a cover notice without a signature line
_CLOSING_DATE = re.compile(r"(?:特此通知|特此公告|特此函告|特此批复|此复)[。.]?\s*(\d{4})年(\d{1,2})月(\d{1,2})日")


@dataclass
class Header:
    title: str
    number: str
    issuer: str
    issue_date: str | None


# a title line the normaliser joined with the 文号 line and/or the salutation below it (a title of 45
# characters or more reads as a hard-wrapped sentence): "……的通知" + "穗民规字〔2024〕3号" + "各区人民政府，……："
_GLUED_HEAD = re.compile(
    rf"^(?P<title>[^。，；：《》]{{4,120}}{_KINDS}(?:（[^）]{{1,10}}）)?)"
    r"(?P<number>[\u4e00-\u9fff]{1,12}\s*[〔［\[【]\s*\d{4}\s*[〕］\]】]\s*\d{1,4}\s*号)?"
    r"(?P<salutation>[^。；]{2,120}[：:])?$"
)
_SALUTATION_START = re.compile(r"^(?:各|有关|全市|市直|区直|县直)|(?:机构|机关)[：:]$")
# the first half of a title broken over two lines: "……关于进一步做好" above "……工作的通知"
_TITLE_START = re.compile(r"^[^。，；：《》]{2,60}关于[^。，；：《》]{0,40}$")


def _split_head(lines: list[str]) -> list[str]:
    """The first lines with a glued title, 文号 and salutation cut apart again, and a title broken over
    two lines joined: a 文号 ends a title, and a salutation ending in ：is never part of one."""
    out: list[str] = []
    for i, ln in enumerate(lines):
        m = _GLUED_HEAD.match(ln) if i < 4 and len(ln) <= 300 else None
        salutation = m.group("salutation") if m else None
        addressed = not salutation or _SALUTATION_START.search(salutation) or _SALUTATION_END.fullmatch(salutation[-2:])
        if m and (m.group("number") or salutation) and addressed:
            out.extend(part for part in (m.group("title"), m.group("number"), m.group("salutation")) if part)
        else:
            out.append(ln)
    for i in range(min(len(out), 4) - 1):
        upper, lower = out[i], out[i + 1]
        if _TITLE_START.match(upper) and not _TITLE_LINE.match(upper) and _TITLE_LINE.match(upper + lower) \
                and not lower.startswith("关于"):
            return out[:i] + [upper + lower] + out[i + 2 :]
    return out


def read_header(text: str, tail: str = "", fallback_title: str = "") -> Header:
    """Title, 文号, issuer and date from the first lines (and the web-page tail for 文号)."""
    lines = _split_head([ln.strip() for ln in text.split("\n") if ln.strip()])
    head = "\n".join(lines[:12])[:1500]
    number = ""
    for ln in lines[:6]:
        m = DOC_NUMBER.fullmatch(ln) or (DOC_NUMBER.match(ln) if len(ln) < 30 else None)
        if m:
            number = m.group(1)
            break
    meta = _metadata_block("\n".join(lines[:60]))
    number = number or meta.get("文号", "") or _number_in_first_block(lines) or _number_of_attachment(text, tail)
    if not number:
        m = re.search(r"([\u4e00-\u9fff]{1,12}〔\d{4}〕\d{1,4}号)\s*$", "\n".join(lines[:3]), re.M)
        if m:
            number = m.group(1)
    title = meta.get("标题", "")
    notice = _TITLE_IN_NOTICE.search(head[:600])
    notice_title = (notice.group(1) or notice.group(2)) if notice else ""
    if not title and notice_title and any(ln == notice_title for ln in lines[:15]):
        title = notice_title
    for ln in lines[:15] if not title else []:
        if _TITLE_LINE.match(ln) and not ln.startswith(("各", "现将", "附件")) and not DOC_NUMBER.search(ln) \
                and not _NUMBERED.match(ln):
            title = ln
            break
    if not title:
        title = notice_title
    if not title:
        masked = _CITED.sub(lambda c: "《" + "·" * (len(c.group()) - 2) + "》", head)
        m = re.search(r"印发(.{4,60}?)的通知", masked)
        if m:
            title = head[m.start(1) : m.end(1)].strip("《》")
    if not title:
        title = _title_from_subject(text[:3000]) or _title_from_purpose(text[:2000])
    if not title:
        title = fallback_title or (lines[0][:40] if lines else "")
    cover = re.search(r"印发《?(.{4,80}?)》?的通知$", title)
    if cover:  # the policy itself, not its cover notice
        title = cover.group(1)
    issuer = meta.get("发文机关", "")
    issue_date = None
    for ln in lines[:3]:
        m = _ISSUER_LINE.match(ln)
        if m:
            issuer = m.group(1).strip()
            break
    signed = _signature_block(lines)
    m = _ISSUER_DATE.search(head) or _ISSUER_DATE.search(text[-600:])
    if signed:
        issuer = issuer or signed[0]
        issue_date = signed[1]
    elif m:
        issuer = issuer or _join_issuers(_drop_caption(m.group(1)))
        issue_date = iso(int(m.group(2)), int(m.group(3)), int(m.group(4)))
    if issue_date is None and (closing := _CLOSING_DATE.search("\n".join(lines[:60]))):
        issue_date = iso(int(closing.group(1)), int(closing.group(2)), int(closing.group(3)))
    for ln in lines[:4]:
        m = re.match(r"^(.{2,40}?)(?:关于)?印发", ln) or re.search(r"号([\u4e00-\u9fff]{4,90}?)关于印发", ln)
        if m and re.search(r"(市委|人民政府|办公室|办公厅|局|委员会|部)$", m.group(1)):
            issuer = _join_issuers(m.group(1))
            break
    if not issuer and len(lines) > 1 and _is_organ(lines[0]) and _TITLE_LINE.match(lines[1]):
        issuer = lines[0]  # "某区人民政府" above "2023年政府信息公开工作年度报告"
    return Header(title=title, number=number, issuer=issuer, issue_date=issue_date)


def _clean_number(m: re.Match[str]) -> str:
    prefix = _NOT_PREFIX.sub("", m.group(1))
    return f"{prefix}〔{m.group(2)}〕{m.group(3)}号" if prefix else ""


def _number_in_first_block(lines: list[str]) -> str:
    """A 文号 standing in the first block before the salutation ("…发布日期：2024-10-15穗民规字〔2024〕3号各区
    民政局…："), not one cited in parentheses, 《》 or after 根据/按照."""
    block = "\n".join(lines[:3])[:400]
    end = _SALUTATION_END.search(block)
    block = block[: end.start()] if end else block
    for m in _ANY_NUMBER.finditer(block):
        before = block[max(0, m.start() - 1) : m.start()]
        if before in "（(《〈" and before or _CITES.search(block[max(0, m.start() - 4) : m.start()]):
            continue
        if block[m.end() : m.end() + 2] in ("文件", "精神", "要求", "规定") or re.match(r"[）)》〉]", block[m.end() : m.end() + 1]):
            continue
        if number := _clean_number(m):
            return number
    return ""


_ATTACHMENT_LINE = re.compile(r"(?:相关附件|附件)\s*\d*\s*[：:]\s*([^\n]{0,200})")


def _number_of_attachment(text: str, tail: str) -> str:
    """The 文号 in the file name of the page's own attachment ("相关附件：某府办规〔2022〕10号关于印发….pdf",
    "附件：关于印发…的通知（某府发〔2021〕5号）.doc")."""
    for source in (tail, text[-3000:]):
        for att in _ATTACHMENT_LINE.finditer(source or ""):
            name = re.split(r"二维码|\.(?:pdf|docx?|wps|ofd|xlsx?)\b", att.group(1))[0]
            for m in _ANY_NUMBER.finditer(name):
                if number := _clean_number(m):
                    return number
    return ""


# "根据《四川省人民政府关于做好…促进就业工作的实施意见》…精神，结合我市实际，制定本实施办法"
_MADE_UNDER = re.compile(
    r"根据《[^《》]{0,30}?关于([^《》]{4,60}?)的(?:实施意见|指导意见|意见|通知|决定)》[^。]{0,80}?"
    r"制定本(实施办法|管理办法|办法|实施方案|方案|若干措施|措施|实施意见|实施细则|细则)"
)
INFERRED_TITLE_MARK = "（标题据正文推定）"
_CITED = re.compile(r"《[^《》]{1,120}》")
_NUMBERED = re.compile(r"^(?:[（(]?[一二三四五六七八九十百\d]{1,4}[）)、.．]|第[一二三四五六七八九十百]{1,5}[章节条部])")
# "现就进一步加强国有建设用地管理有关事项通知如下", "现就加强全市艾滋病防治工作提出如下意见": a notice or
# opinion without its title line names its own subject and kind; the title is 关于 + subject + 的 + kind
_SUBJECT = re.compile(r"现就(?:我市|本市|全市)?([^。；：]{4,80}?)(?:的)?(?:有关(?:事项|问题|工作))?(?:通知如下|(提出|制定)(?:如下|以下)(实施意见|指导意见|意见))")
_CITED_OPINION = re.compile(r"《[^《》]{0,30}?关于([^《》]{4,60}?)的(?:实施意见|指导意见|意见)》")


def _title_from_subject(text: str) -> str:
    """关于X的通知 / 关于X的意见 from "现就X有关事项通知如下" / "现就X提出如下意见" (the page's own words)."""
    m = _SUBJECT.search(text)
    if m:
        return f"关于{m.group(1)}的{m.group(3) or '通知'}"
    if re.search(r"(?:现|特)?提出(?:如下|以下)实施意见", text[:1500]):  # the opinion implements the one it cites
        cited = list(_CITED_OPINION.finditer(text[:1500]))
        if cited:
            return f"关于{cited[-1].group(1)}的实施意见{INFERRED_TITLE_MARK}"
    return ""


def _title_from_purpose(text: str) -> str:
    """A page saved without its title line still says what it is and what it implements: the title
    is put together from those words and marked as inferred."""
    m = _MADE_UNDER.search(text)
    return f"关于{m.group(1)}的{m.group(2)}{INFERRED_TITLE_MARK}" if m else ""


_CAPTION_END = re.compile(r".*(?:(?<!代)表|清单|一览|目录|附件\d*)")


def _drop_caption(text: str) -> str:
    """A flattened page glues a table caption to the signature ("…进度安排表某市人民政府办公室"):
    the issuer is what follows the caption."""
    m = _CAPTION_END.match(text)
    rest = text[m.end() :] if m else text
    return rest if len(rest) >= 4 else text


def _is_organ(line: str) -> bool:
    return 4 <= len(line) <= 30 and bool(_ORGAN_END.search(line)) and not re.search(r"[，。；：、\d]", line)


def _signature_block(lines: list[str]) -> tuple[str, str] | None:
    """(issuers, date) of the first signature: organ lines directly above a line that is only a date
    ("某市某区科技工业和信息化局 / 某市某区人力资源和社会保障局 / …统战部 / 2023年8月9日")."""
    for i, ln in enumerate(lines):
        m = _DATE_LINE.fullmatch(ln)
        if not m or i == 0:
            continue
        organs = []
        for prev in reversed(lines[max(0, i - 4) : i]):
            if not _is_organ(prev):
                break
            organs.insert(0, prev)
        if organs:
            return "、".join(_join_issuers(o) for o in organs), iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _join_issuers(text: str) -> str:
    """"中共某市委某市人民政府" -> "中共某市委、某市人民政府" (joint issuers lose their space)."""
    place = re.match(r"(?:中共)?([\u4e00-\u9fff]{1,4}?[省市州县])", text)
    if place:  # a new organ starts where the place name comes again after an organ's ending
        cuts = [m.start() for m in re.finditer(rf"(?:中共)?{re.escape(place.group(1))}", text)
                if m.start() > 0 and text[m.start() - 1] in "局委府部办厅室会心院"]
        if cuts:
            bounds = [0, *cuts, len(text)]
            return "、".join(text[a:b] for a, b in zip(bounds, bounds[1:], strict=False))
    parts = re.findall(r".+?(?:人民政府办公室|人民政府办公厅|人民政府|市委|省委|县委|区委|委员会|办公室|局|厅)", text)
    return "、".join(parts) if "".join(parts) == text else text


_META_KEYS = {
    "发文字号": "文号", "文号": "文号", "名称": "标题", "标题": "标题", "发布机构": "发文机关", "发文机关": "发文机关",
}


def _metadata_block(head: str) -> dict[str, str]:
    """Government sites print a metadata table (名称/发文字号/发布机构) above the text."""
    found: dict[str, str] = {}
    for m in re.finditer(r"(发文字号|文号|名称|标题|发布机构|发文机关)[：:]\n?([^\n]{2,80})", head):
        key = _META_KEYS[m.group(1)]
        value = m.group(2).strip()
        if key not in found and not value.endswith("："):
            found[key] = value
    return found
