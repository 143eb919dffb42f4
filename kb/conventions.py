"""The rule a document states about its own unit lists: which listed unit leads.

A 任务分工 document says it once, anywhere ("排在第一位的为牵头单位，下同", "牵头单位列首位",
"逗号前为牵头单位，逗号后为配合单位", "分号前为牵头单位"); every responsibility list of that document
is then read by the rule. The words come from kb/data/lead_conventions.txt, so a new phrasing is a data
line, not code. No rule stated: callers keep their default (every listed unit shares the work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data" / "lead_conventions.txt"
FIRST = "first"
BEFORE = "before"


@dataclass(frozen=True)
class Words:
    """The vocabulary of convention statements (kb/data/lead_conventions.txt)."""

    position: tuple[str, ...]
    verb: tuple[str, ...]
    separators: dict[str, str]  # punctuation name -> the characters it stands for
    lead: tuple[str, ...]
    follower: tuple[str, ...]


@dataclass(frozen=True)
class LeadConvention:
    """A document's rule: the first listed unit leads, or the units before a separator lead."""

    kind: str  # FIRST | BEFORE
    separator: str = ""  # for BEFORE: the characters that end the lead part ("，," or "；;")
    start: int = -1  # where the document states it
    text: str = ""  # the statement as written

    def split(self, units_text: str) -> tuple[str, str] | None:
        """(lead part, the rest) of a list by a BEFORE rule; None when the list has no such separator."""
        top = _top_level(units_text)
        cuts = [i for i, ch in enumerate(top) if ch in self.separator]
        if not cuts:
            return None
        return units_text[: cuts[0]], units_text[cuts[0] + 1 :]


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def words() -> Words:
    rows: dict[str, list[list[str]]] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cells = re.split(r"\t+#", line, maxsplit=1)[0].split("\t")
            rows.setdefault(cells[0], []).append(cells[1].split())
    seps = {r[0]: "".join(r[1:]) for r in rows.get("separator", [])}
    flat = {k: tuple(w for r in v for w in r) for k, v in rows.items() if k != "separator"}
    return Words(flat.get("position", ()), flat.get("verb", ()), seps, flat.get("lead", ()), flat.get("follower", ()))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    w = words()
    unit = r"(?:单位|部门|责任单位|责任部门)"
    role = rf"(?:{_alt(w.lead)}){unit}?"
    position = rf"(?:{_alt(w.verb)})?(?:在|于)?(?:{_alt(w.position)})(?:位)?"
    # 排在第一位的(部门)为牵头部门 / 第一个单位为牵头单位 / 列首位者是主责单位
    first = re.compile(rf"{position}(?:的|者)?{unit}?(?:均|即)?(?:为|是|系|作为)(?:该项工作的)?{role}")
    # 牵头单位列第一位 / 牵头部门排在首位 / 牵头单位均放在最前面
    first_after = re.compile(rf"{role}(?:均|一般|统一)?(?:{_alt(w.verb)})(?:在|于)?(?:{_alt(w.position)})(?:位)?")
    names = _alt(list(w.separators))
    chars = "".join(w.separators.values())
    # 逗号前为牵头单位 / “；”前的单位为牵头单位
    before = re.compile(rf"(?:({names})|[“\"‘']([{re.escape(chars)}])[”\"’'])(?:之)?前(?:面)?(?:的|者)?{unit}?"
                        rf"(?:均|即)?(?:为|是|系)(?:该项工作的)?{role}")
    return first, first_after, before


def find_convention(text: str) -> LeadConvention | None:
    """The first lead rule the document states about its lists, or None."""
    first, first_after, before = _patterns()
    found = [m for m in (p.search(text) for p in (before, first, first_after)) if m]
    if not found:
        return None
    m = min(found, key=lambda m: m.start())
    if m.re is before:
        name, char = m.group(1), m.group(2)
        sep = words().separators.get(name, "") if name else next(
            (v for v in words().separators.values() if char in v), char)
        if "、" in sep:  # "顿号前为牵头单位": the first listed
            return LeadConvention(FIRST, start=m.start(), text=m.group(0))
        return LeadConvention(BEFORE, separator=sep, start=m.start(), text=m.group(0))
    return LeadConvention(FIRST, start=m.start(), text=m.group(0))


def statement_span(text: str) -> tuple[int, int] | None:
    """Where a convention statement stands in `text` (so a unit list can be read without it)."""
    spans = [(m.start(), m.end()) for p in _patterns() if (m := p.search(text))]
    return min(spans) if spans else None


def _top_level(text: str) -> str:
    """The text with parenthesised parts blanked, so "各县（市、区）" hides its inner 、 and ，."""
    out, depth = [], 0
    for ch in text:
        if ch in "（(〔[":
            depth += 1
        out.append("·" if depth else ch)
        if ch in "）)〕]" and depth:
            depth -= 1
    return "".join(out)
