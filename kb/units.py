"""Responsibility units: brackets that close a clause, table cells, and the document's conventions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kb import conventions
from kb.conventions import BEFORE, FIRST, LeadConvention

_DATA = Path(__file__).resolve().parent / "data"


def _data_rows(name: str) -> list[list[str]]:
    """Rows of a kb/data list: tab-separated cells, a '#' note after a tab, '#' lines skipped."""
    rows = []
    for line in (_DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c for c in re.split(r"\t+#", line, maxsplit=1)[0].split("\t") if c])
    return rows


@cache
def unit_suffixes() -> tuple[str, ...]:
    """How a unit's name ends (kb/data/unit_suffixes.txt), longest first."""
    return tuple(sorted((r[0] for r in _data_rows("unit_suffixes.txt")), key=len, reverse=True))


_LEAD_WORDS = "牵头|主责|主办|主要责任|第一责任"
_ROLE_WORDS = f"{_LEAD_WORDS}|责任|配合|协办|参与|协同|协助|协作"
_OPEN, _CLOSE = "〔（【［", "〕）】］"
# 〔责任单位：…〕  （牵头单位：…，责任单位：…）  【牵头单位：…；配合单位：…】  牵头单位：…。责任单位：…。
_ROLE = rf"(?:(?:{_ROLE_WORDS})(?:单位|部门)|责任主体)"
_BRACKET = re.compile(rf"[{_OPEN}]({_ROLE}[：:][^{_OPEN}{_CLOSE}]*(?:（[^（）]*）[^{_OPEN}{_CLOSE}]*)*)[{_CLOSE}]")
_INLINE = re.compile(rf"({_ROLE})[：:]([^。；〕】]+)")
# "由市数据局牵头，市政务服务中心、市财政局配合" closing a clause
_LED_BY = re.compile(r"由([^，。；：由]{2,40}?)牵头(?:负责)?(?:，([^，。；：]{2,80}?)(?:等单位|等部门)?(?:配合|参与|协同|协助))?[。；]?\s*$")
_ROLE_SPLIT = re.compile(rf"[，；,;]?\s*({_ROLE})[：:]")
# another label inside a role bracket ("；完成时限：2024年底"): the units end before it
_OTHER_LABEL = re.compile(r"[，；,;。]\s*[\u4e00-\u9fff]{2,6}[：:]")
_CONV_FIRST, _CONV_FIRST_AFTER, _CONV_BEFORE = conventions._patterns()
#: kept for callers that test a sentence for a first-is-lead / comma-is-lead rule
FIRST_IS_LEAD = re.compile(f"{_CONV_FIRST.pattern}|{_CONV_FIRST_AFTER.pattern}")
COMMA_IS_LEAD = _CONV_BEFORE
_GENERIC = re.compile(r"^(?:各)?(?:其他|其余)?(?:相关|有关)(?:部门|单位)(?:和单位)?$")
_NOT_A_NAME = re.compile(r"[的按及并将对在为是]|职责|分工|工作|负责人|政策|措施")
# "（市卫生健康委、市医保局负责）", "（X牵头，Y配合）", "（X牵头）": statements in parentheses
_PAREN = re.compile(r"[（(〔【]((?:[^（）()〔〕【】]|[（(][^（）()]{0,12}[）)]){2,160}?)[）)〕】]")
_PAREN_LED = re.compile(r"^(.+?)牵头(?:负责)?(?:[，,；;、]\s*(.+?)(?:等(?:有关|相关)?(?:单位|部门))?"
                        r"(?:配合|参与|协同|协助|协办|按职责分工负责|负责))?$")
# "（X负责，Y配合）", "（X会同Y负责）": the first named leads
_PAREN_DO_WITH = re.compile(r"^(.+?)(?:负责|主责)[，,；;]\s*(.+?)(?:等(?:有关|相关)?(?:单位|部门))?(?:配合|参与|协同|协助|协办)$")
_PAREN_WITH = re.compile(r"^(.+?)会同(.+?)(?:等(?:有关|相关)?(?:单位|部门))?(?:共同|按职责分工)?负责$")
_PAREN_DO = re.compile(r"^(.+?)(?:等(?:有关|相关)?(?:单位|部门))?(?:按职责分工|按职责|共同|分别)?负责$")
# "由市数据局牵头，市政务服务中心配合", "由市经济信息化局会同相关部门负责", "由市民政局负责"
_BY = re.compile(r"由([^，。；：由]{2,40}?)(?:牵头(?:负责)?|会同([^，。；：]{2,60}?)(?:共同)?(?:负责|实施|推进|开展|制定|组织|进行)|负责(?!人))"
                 r"(?:[，,]([^，。；：]{2,80}?)(?:等(?:有关|相关)?(?:单位|部门))?(?:配合|参与|协同|协助))?")
_LEAD_MARK = re.compile(r"[（(]牵头(?:单位|部门)?[）)]")

_LEAD_ROLES = ("牵头单位", "牵头部门", "主办单位", "主责单位", "主责部门", "主要责任单位", "主要责任部门", "第一责任单位", "责任主体")


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
    rule = conventions.statement_span(cell)
    if rule:  # "…、市委组织部，排在第一位的为牵头部门，下同": the rule is not a unit
        cell = cell[: rule[0]]
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
        while unit and unit[-1] in "）)〕】" and unit.count(unit[-1]) > unit.count("（(〔【"["）)〕】".index(unit[-1])]):
            unit = unit[:-1]  # the bracket that closed the statement, not part of a name
        unit = re.sub(r"等(?:有关|相关)?(?:部门|单位)?(?:和单位)?$", "", unit) if len(unit) > 3 else unit
        if unit and unit not in units and len(unit) <= 40:
            units.append(unit)
    return units


def looks_like_unit(name: str) -> bool:
    """A unit name by its structure: a short name ending as organs' names end (局, 委, 办, 中心, 管委会 …)."""
    bare = re.sub(r"[（(][^（）()]*[）)]", "", name).strip()
    if not 2 <= len(bare) <= 30 or _NOT_A_NAME.search(bare) or not re.fullmatch(r"[\u4e00-\u9fff]+", bare):
        return False
    return bare.endswith(unit_suffixes())


def _units(text: str) -> list[str] | None:
    """Units of a free-text list when every item is a unit name (else None: not a responsibility list)."""
    units = [u for u in split_units(text) if not _GENERIC.match(u)]
    named = [u for u in split_units(text) if looks_like_unit(u) or _GENERIC.match(u)]
    return units if units and len(named) == len(split_units(text)) else None


def cell_units(cell: str) -> tuple[list[str], list[str]]:
    """(lead, shared) of a list where the lead is marked: "市发改委（牵头）、市财政局、市税务局"."""
    if not _LEAD_MARK.search(cell):
        return [], split_units(cell)
    lead, shared = [], []
    for part in re.split(r"(?<=[）)])\s*[、，,；;]\s*|[、，,；;]\s*(?![^（(]*[）)])", cell):
        marked = bool(_LEAD_MARK.search(part))
        for unit in split_units(_LEAD_MARK.sub("", part)):
            (lead if marked else shared).append(unit)
    return lead, shared


def by_convention(units_text: str, convention: LeadConvention | None) -> tuple[list[str], list[str]] | None:
    """(lead, shared) of a unit list read by the document's own rule; None when no rule decides."""
    units = split_units(units_text)
    if convention is None or not units:
        return None
    if convention.kind == BEFORE:
        span = conventions.statement_span(units_text)
        parts = convention.split(units_text[: span[0]] if span else units_text)
        head = split_units(parts[0]) if parts else units  # no separator: every listed unit stands before it
        lead = [u for u in head if looks_like_unit(u) and not _GENERIC.match(u)]
        return (lead, [u for u in units if u not in lead]) if lead else None
    if convention.kind == FIRST and looks_like_unit(units[0]) and not _GENERIC.match(units[0]):
        return units[:1], units[1:]
    return None


def _closes_sentence(text: str, m: re.Match[str]) -> bool:
    """A parenthesis after a sentence end or closing the clause: a note on the sentence, not an alias."""
    return (m.start() > 0 and text[m.start() - 1] in "。；！") or text[m.end() :].strip() in ("", "。", "；")


def _from_parentheses(text: str, convention: LeadConvention | None) -> Responsibility | None:
    """The last parenthesised statement naming units: （X牵头，Y配合）, （X、Y负责）, （X、Y）, X（牵头）、Y."""
    for m in reversed(list(_PAREN.finditer(text))):
        body = m.group(1).strip()
        span = conventions.statement_span(body)
        rule = convention
        if span:  # "（X、Y负责，列首位的为牵头单位，下同）": the statement before the rule
            rule = convention or conventions.find_convention(body)
            body = body[: span[0]].rstrip("，,。；; ")
        led = _PAREN_LED.match(body) or _PAREN_DO_WITH.match(body) or _PAREN_WITH.match(body)
        if led and (lead := _units(led.group(1))):
            shared = _units(led.group(2) or "") or []
            return Responsibility(lead=lead, shared=shared, start=m.start())
        do = _PAREN_DO.match(body)
        bare = None if do else _units(body)
        if (do and (units := _units(do.group(1)))) or (bare and _closes_sentence(text, m) and (units := bare)):
            read = by_convention(do.group(1) if do else body, rule)
            if read:
                return Responsibility(lead=read[0], shared=read[1], start=m.start(), first_is_lead=True)
            return Responsibility(shared=units, start=m.start())
    mark = _LEAD_MARK.search(text)
    if mark:  # a flattened task-table row: "… 市发改委（牵头）、市财政局、市税务局 …"
        head = re.split(r"[\s，。；：]", text[: mark.start()])[-1]
        tail = re.match(r"(?:[、，,]\s*[^\s、，,。；（）()]{2,30}(?:[（(][^（）()]{1,12}[）)])?)*", text[mark.end() :])
        lead = [u for u in split_units(head) if looks_like_unit(u)][-1:]
        if lead:
            shared = [u for u in split_units(tail.group(0) if tail else "") if looks_like_unit(u)]
            return Responsibility(lead=lead, shared=shared, start=mark.start() - len(head))
    return None


# "市发展改革委牵头，市财政局配合。" / "市民政局为牵头单位，市财政局为配合单位" as a sentence of their own
_BARE = re.compile(r"(?:^|[。；：\s])([^，。；：\s由]{2,60}?)(?:牵头(?:负责)?|为牵头(?:单位|部门))[，,]"
                   r"([^，。；：]{2,120}?)(?:等(?:有关|相关)?(?:单位|部门))?(?:为)?(?:配合|参与|协同|协助|按职责分工负责)")


# "市卫生计生委要牵头制定督导细则", "民政部门牵头做好…衔接工作": a unit that leads the sentence's own task
_LEADS_VERB = re.compile(r"(?:^|[。；：\s])([^，。；：\s由]{2,30}?)(?:要|应|应当|负责|原则上)?牵头(?!单位|部门|医院|机构|作用|揽总)"
                         r"(?=[\u4e00-\u9fff])")


@cache
def _with_sentence() -> re.Pattern[str]:
    """"市财政局会同市税务局做好…", "市财政局牵头，会同市税务局…": X leads, the units after 会同 share."""
    name = rf"[\u4e00-\u9fff]{{1,24}}?(?:{'|'.join(map(re.escape, unit_suffixes()))})"
    return re.compile(rf"(?:^|[。；：\s，])([^，。；：\s由]{{2,30}}?)(?:牵头[，,]?)?会同({name}(?:[、和及]{name})*)"
                      r"(?:等(?:有关|相关)?(?:单位|部门))?")


def _from_by(text: str) -> Responsibility | None:
    """由X牵头(，Y配合) / 由X会同Y负责 / 由X负责 / X牵头，Y配合, where X names units by their structure."""
    for m in _BARE.finditer(text):
        lead, shared = _units(m.group(1)), _units(re.sub(r"(?:单位|部门)$", "", m.group(2)) or m.group(2))
        if lead and shared is not None:
            return Responsibility(lead=lead, shared=shared, start=m.start(1))
    for m in _BY.finditer(text):
        lead = _units(m.group(1))
        if lead:
            shared = (_units(m.group(2) or "") or []) + (_units(m.group(3) or "") or [])
            return Responsibility(lead=lead, shared=shared, start=m.start())
    for m in _with_sentence().finditer(text):
        lead, shared = _units(m.group(1)), _units(m.group(2))
        if lead and shared:
            return Responsibility(lead=lead, shared=shared, start=m.start(1))
    for m in _LEADS_VERB.finditer(text):
        lead = _units(m.group(1))
        if lead:
            return Responsibility(lead=lead, start=m.start(1))
    return None


def _convention(first_is_lead: bool, comma_is_lead: bool, convention: LeadConvention | None) -> LeadConvention | None:
    if convention is not None:
        return convention
    if comma_is_lead:
        return LeadConvention(BEFORE, separator="，,")
    return LeadConvention(FIRST) if first_is_lead else None


def find_responsibility(text: str, first_is_lead: bool = False, comma_is_lead: bool = False,
                        convention: LeadConvention | None = None) -> Responsibility | None:
    """The last responsibility statement of a clause (the one that closes it), in any common convention.

    `convention` is the document's own rule for its lists (kb.conventions.find_convention of the whole
    text); the two flags are the older way to say "first listed leads" / "before the comma leads"."""
    rule = _convention(first_is_lead, comma_is_lead, convention)
    matches = list(_BRACKET.finditer(text))
    if matches:
        body, start = matches[-1].group(1), matches[-1].start()
    else:
        inline = list(_INLINE.finditer(text))
        if not inline:
            led = _LED_BY.search(text.strip())
            if led:
                return Responsibility(lead=split_units(led.group(1)), shared=split_units(led.group(2) or ""),
                                      start=led.start())
            return _from_parentheses(text, rule) or _from_by(text)
        start = inline[0].start()
        body = text[start:]  # each role's units end at its own full stop, below
    rule = rule or conventions.find_convention(body)
    roles: dict[str, list[str]] = {}
    read: tuple[list[str], list[str]] | None = None
    pieces = _ROLE_SPLIT.split(body)
    # pieces: ["", role1, units1, role2, units2, ...]
    for i in range(1, len(pieces) - 1, 2):
        role = pieces[i]
        units_text = re.split(r"[。]", pieces[i + 1])[0]
        other = _OTHER_LABEL.search(units_text)
        if other and not conventions.statement_span(units_text[: other.end()]):
            units_text = units_text[: other.start()]  # "；完成时限：2024年底" is not a unit
        led = _PAREN_LED.match(units_text.strip()) or _PAREN_DO_WITH.match(units_text.strip())
        if led and (led_units := _units(led.group(1))):  # "责任单位：市财政局牵头，市税务局配合"
            roles.setdefault("牵头单位", []).extend(led_units)
            roles.setdefault(role, []).extend(_units(led.group(2) or "") or [])
            continue
        marked_lead, units = cell_units(units_text)
        roles.setdefault(role, []).extend(units)
        if marked_lead:
            roles.setdefault("牵头单位", []).extend(marked_lead)
        if read is None and role not in _LEAD_ROLES:
            read = by_convention(units_text, rule)
    lead = [u for r, us in roles.items() if r in _LEAD_ROLES for u in us]
    shared = [u for r, us in roles.items() if r not in _LEAD_ROLES for u in us]
    resp = Responsibility(lead=lead, shared=shared, start=start)
    if not lead and shared and read:
        resp.lead = [u for u in shared if u in read[0]]
        resp.shared, resp.first_is_lead = [u for u in shared if u not in read[0]], True
    return resp

