"""The grounding check: every unit, amount, percentage and date in an answer stands in a cited clause."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.amounts import MONEY, PERCENT
from kb.dates import DATE, PERIOD

_UNIT_SHAPE = re.compile(
    r"(?:市|区|县|省)?[\u4e00-\u9fff]{1,12}?(?:局|委员会|办公室|委|办|中心|集团|公司|分公司|分局|支行|中支|政府|党校|管委会)"
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def facts_in(answer: str, known_units: Iterable[str]) -> list[str]:
    """The checkable facts of an answer: amounts, percentages, dates, and KB unit names."""
    text = re.sub(r"\[\d+\]", "", answer)
    facts = [m.group(0) for m in MONEY.finditer(text)]
    facts += [m.group(0) for m in PERCENT.finditer(text)]
    facts += [m.group(0) for m in PERIOD.finditer(text)]
    facts += [m.group(0) for m in DATE.finditer(text) if not any(m.group(0) in p for p in facts)]
    units = sorted({u for u in known_units if len(u) >= 3}, key=len, reverse=True)
    rest = text
    for unit in units:
        if unit in rest:
            facts.append(unit)
            rest = rest.replace(unit, "")
    return facts


def ungrounded(answer: str, sources: Iterable[str], known_units: Iterable[str], derived: Iterable[str] = ()) -> list[str]:
    """Facts of `answer` found in none of `sources` (cited clause texts, the question) nor `derived`."""
    corpus = _squash("\n".join(sources))
    allowed = {_squash(d) for d in derived}
    missing = []
    for fact in facts_in(answer, known_units):
        f = _squash(fact)
        if f in allowed or f in corpus:
            continue
        # a date like 2023年底 or 2023年 stands when its year stands in a period "2022—2023年"
        year = re.match(r"(\d{4})年", f)
        if year and year.group(1) in corpus:
            continue
        missing.append(fact)
    return missing
