"""Read a document's header: title, 文号, issuer and date."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.dates import iso

DOC_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12}〔\d{4}〕\d{1,4}号)")
_KINDS = r"(?:实施方案|行动方案|方案|若干措施|若干政策措施|政策措施|措施|管理办法|实施办法|办法|实施意见|指导意见|意见|通知|实施细则|细则|规定|条例|报告|政策|规划|计划|决定|公告|要点|清单)"
_TITLE_IN_NOTICE = re.compile(r"(?:印发|现将|转发)《([^《》]{4,80})》|《([^《》]{4,80})》(?:已经|现印发|印发|的通知)")
_TITLE_LINE = re.compile(rf"^[^。，；：]{{4,60}}{_KINDS}(?:（[^）]{{1,10}}）)?$")
_ISSUER_DATE = re.compile(
    r"((?:中共)?[\u4e00-\u9fff]{2,60}?(?:人民政府办公室|人民政府办公厅|人民政府|委员会|办公室|委|局|厅))\s*"
    r"(\d{4})年(\d{1,2})月(\d{1,2})日"
)
_ISSUER_LINE = re.compile(r"^(.{2,30}?)文件$")


@dataclass
class Header:
    title: str
    number: str
    issuer: str
    issue_date: str | None


def read_header(text: str, tail: str = "", fallback_title: str = "") -> Header:
    """Title, 文号, issuer and date from the first lines (and the web-page tail for 文号)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    head = "\n".join(lines[:12])[:1500]
    number = ""
    for ln in lines[:6]:
        m = DOC_NUMBER.fullmatch(ln) or (DOC_NUMBER.match(ln) if len(ln) < 30 else None)
        if m:
            number = m.group(1)
            break
    meta = _metadata_block("\n".join(lines[:60]))
    number = number or meta.get("文号", "")
    if not number and tail:
        m = re.search(r"([\u4e00-\u9fff]{1,12}〔\d{4}〕\d{1,4}号)(?:关于|印发)", tail)
        if m:
            number = m.group(1)
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
        if _TITLE_LINE.match(ln) and not ln.startswith(("各", "现将")) and not DOC_NUMBER.search(ln):
            title = ln
            break
    if not title:
        title = notice_title
    if not title:
        m = re.search(r"印发(.{4,60}?)的通知", head)
        if m:
            title = m.group(1).strip("《》")
    if not title:
        title = _title_from_purpose(text[:2000])
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
    m = _ISSUER_DATE.search(head) or _ISSUER_DATE.search(text[-600:])
    if m:
        issuer = issuer or _join_issuers(_drop_caption(m.group(1)))
        issue_date = iso(int(m.group(2)), int(m.group(3)), int(m.group(4)))
    for ln in lines[:4]:
        m = re.match(r"^(.{2,40}?)(?:关于)?印发", ln)
        if m and re.search(r"(市委|人民政府|办公室|办公厅|局|委员会)$", m.group(1)):
            issuer = _join_issuers(m.group(1))
            break
    return Header(title=title, number=number, issuer=issuer, issue_date=issue_date)


# "根据《四川省人民政府关于做好…促进就业工作的实施意见》…精神，结合我市实际，制定本实施办法"
_MADE_UNDER = re.compile(
    r"根据《[^《》]{0,30}?关于([^《》]{4,60}?)的(?:实施意见|指导意见|意见|通知|决定)》[^。]{0,80}?"
    r"制定本(实施办法|管理办法|办法|实施方案|方案|若干措施|措施|实施意见|实施细则|细则)"
)
INFERRED_TITLE_MARK = "（标题据正文推定）"


def _title_from_purpose(text: str) -> str:
    """A page saved without its title line still says what it is and what it implements: the title
    is put together from those words and marked as inferred."""
    m = _MADE_UNDER.search(text)
    return f"关于{m.group(1)}的{m.group(2)}{INFERRED_TITLE_MARK}" if m else ""


_CAPTION_END = re.compile(r".*(?:(?<!代)表|清单|一览|目录|附件\d*)")


def _drop_caption(text: str) -> str:
    """A flattened page glues a table caption to the signature ("…进度安排表广安市人民政府办公室"):
    the issuer is what follows the caption."""
    m = _CAPTION_END.match(text)
    rest = text[m.end() :] if m else text
    return rest if len(rest) >= 4 else text


def _join_issuers(text: str) -> str:
    """"中共赣州市委赣州市人民政府" -> "中共赣州市委、赣州市人民政府" (joint issuers lose their space)."""
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
