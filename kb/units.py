"""Responsibility units: brackets that close a clause, table cells, and the document's conventions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# 〔责任单位：…〕  （牵头单位：…，责任单位：…）  牵头单位：…。责任单位：…。
_BRACKET = re.compile(r"[〔（]((?:牵头|责任|配合|协办|主办|参与)(?:单位|部门)[：:][^〔〕（）]*(?:（[^（）]*）[^〔〕（）]*)*)[〕）]")
_INLINE = re.compile(r"(牵头|责任|配合|协办|参与)(?:单位|部门)[：:]([^。；〕]+)")
# "由市数据局牵头，市政务服务中心、市财政局配合" closing a clause
_LED_BY = re.compile(r"由([^，。；：由]{2,40}?)牵头(?:负责)?(?:，([^，。；：]{2,80}?)(?:等单位|等部门)?(?:配合|参与|协同|协助))?[。；]?\s*$")
_ROLE_SPLIT = re.compile(r"[，；,;]?\s*((?:牵头|责任|配合|协办|主办|参与)(?:单位|部门))[：:]")
FIRST_IS_LEAD = re.compile(r"列(?:首位|第一位|第一)(?:的|者)?为牵头单位|排名第一的为牵头单位|排在首位的为牵头单位|第一个为牵头单位")
COMMA_IS_LEAD = re.compile(r"逗号前(?:的)?为牵头单位")

_LEAD_ROLES = ("牵头单位", "牵头部门", "主办单位")


@dataclass
class Responsibility:
    """Who leads and who shares a clause's work, as the clause's own words say."""

    lead: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    start: int = -1  # offset (in the clause text) of the bracket or statement
    first_is_lead: bool = False  # lead taken from the document's "列首位的为牵头单位" convention


def split_units(cell: str) -> list[str]:
    """Split "市工信局、市商务局，各县（市、区）" into units, keeping parentheses intact."""
    cell = re.sub(r"[（(][^（）()]*牵头单位[^（）()]*[）)]?", "", cell)
    cell = re.sub(r"列(?:首位|第一位|第一)(?:的|者)?为牵头单位.*$", "", cell)
    parts, depth, buf = [], 0, []
    for ch in cell:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and ch in "、，,；; \t/":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    units = []
    for part in parts:
        unit = part.strip().strip("。：:")
        unit = re.sub(r"等(?:有关|相关)?(?:部门|单位)?(?:和单位)?$", "", unit) if len(unit) > 3 else unit
        if unit and unit not in units and len(unit) <= 40:
            units.append(unit)
    return units


def find_responsibility(text: str, first_is_lead: bool = False, comma_is_lead: bool = False) -> Responsibility | None:
    """The last responsibility statement of a clause (the one that closes it)."""
    matches = list(_BRACKET.finditer(text))
    if matches:
        body, start = matches[-1].group(1), matches[-1].start()
    else:
        inline = list(_INLINE.finditer(text))
        if not inline:
            led = _LED_BY.search(text.strip())
            if not led:
                return None
            return Responsibility(lead=split_units(led.group(1)), shared=split_units(led.group(2) or ""),
                                  start=led.start())
        start = inline[0].start()
        body = text[start:]  # each role's units end at its own full stop, below
    roles: dict[str, list[str]] = {}
    comma_lead: list[str] = []
    pieces = _ROLE_SPLIT.split(body)
    # pieces: ["", role1, units1, role2, units2, ...]
    for i in range(1, len(pieces) - 1, 2):
        role = pieces[i]
        units_text = re.split(r"[。]", pieces[i + 1])[0]
        roles.setdefault(role, []).extend(split_units(units_text))
        if comma_is_lead and not comma_lead and "，" in _top_level(units_text):
            comma_lead = split_units(_top_level(units_text).split("，")[0])
    lead = [u for r, us in roles.items() if r in _LEAD_ROLES for u in us]
    shared = [u for r, us in roles.items() if r not in _LEAD_ROLES for u in us]
    resp = Responsibility(lead=lead, shared=shared, start=start)
    if not lead and shared and comma_lead:
        resp.lead = [u for u in shared if u in comma_lead]
        resp.shared, resp.first_is_lead = [u for u in shared if u not in comma_lead], True
    elif not lead and shared and first_is_lead:
        resp.lead, resp.shared, resp.first_is_lead = shared[:1], shared[1:], True
    return resp


def _top_level(text: str) -> str:
    """The text with parenthesised parts blanked, so "各县（市、区）" hides its inner 、 and ，."""
    out, depth = [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
        if depth:
            out.append("·")
        else:
            out.append(ch)
        if ch in "）)" and depth:
            depth -= 1
    return "".join(out)
