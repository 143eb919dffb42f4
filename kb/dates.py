"""Dates, validity periods and dated targets in policy text."""

from __future__ import annotations

import re
from datetime import date, timedelta

from kb.models import Target, Validity
from kb.numbering import cn_to_int

DATE = re.compile(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?")
PERIOD = re.compile(r"(\d{4})\s*[—\-~至到－]+\s*(\d{4})年")
_VALIDITY = re.compile(r"[^。；\n]*(?:有效期|施行|执行|实施期限)[^。；\n]*[。；]?")
_YEARS = re.compile(r"有效期(?:为|暂定为?|是)?\s*([一二两三四五六七八九十\d]+)\s*年")
_UNTIL = re.compile(r"有效期至\s*(\d{4})年(\d{1,2})月(\d{1,2})日")
_FROM = re.compile(r"自\s*(\d{4})年(\d{1,2})月(\d{1,2})日(?:起)?(?:施行|执行|实施|生效)")
_TARGET = re.compile(r"(?:到|至|力争到|力争至)\s*(\d{4})年(?:底|末)?")


def iso(year: int, month: int = 1, day: int = 1) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def find_dates(text: str) -> list[str]:
    """Dates as written (2022年6月1日, 2025年, 2022—2023年), in order, without repeats."""
    found: list[str] = []
    for m in PERIOD.finditer(text):
        found.append(m.group(0))
    for m in DATE.finditer(text):
        if m.group(0) not in found and not any(m.group(0) in f for f in found):
            found.append(m.group(0))
    return found


def _add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def find_validity(text: str, issue_date: str | None) -> list[Validity]:
    """Validity statements: 有效期为两年（2022—2023年）, 自…起施行，有效期N年, 有效期至…."""
    out: list[Validity] = []
    for m in _VALIDITY.finditer(text):
        sentence = m.group(0).strip()
        if "有效期" not in sentence and "实施期限" not in sentence:
            continue
        scope = "政策措施" if "政策措施" in sentence else ("全文" if "本" in sentence[:8] or "本" in sentence else "全文")
        start = end = None
        period = PERIOD.search(sentence)
        until = _UNTIL.search(sentence)
        since = _FROM.search(sentence)
        years = _YEARS.search(sentence)
        if period:
            start, end = iso(int(period.group(1))), iso(int(period.group(2)), 12, 31)
        if since:
            start = iso(int(since.group(1)), int(since.group(2)), int(since.group(3)))
        elif start is None and issue_date and re.search(r"印发之日|发布之日", sentence):
            start = issue_date
        if until:
            end = iso(int(until.group(1)), int(until.group(2)), int(until.group(3)))
        elif years and end is None and start:
            n = cn_to_int(years.group(1))
            if n:
                end = _add_years(date.fromisoformat(start), n).isoformat()
        if start or end:
            out.append(Validity(sentence, scope, start, end))
    return out


def find_targets(text: str, offset: int = 0) -> list[Target]:
    """Sentences that set a goal for a year: 到2025年 … 建成5G基站超2万个."""
    out: list[Target] = []
    for sentence in re.finditer(r"[^。；]+[。；]?", text):
        m = _TARGET.search(sentence.group(0))
        if m and re.search(r"\d", sentence.group(0)[m.end() :]) or (m and re.search(r"达到|突破|超|力争|实现", sentence.group(0))):
            out.append(Target(sentence.group(0).strip(), int(m.group(1)), offset + sentence.start(), offset + sentence.end()))
    return out
