"""Dates, validity periods and dated targets in policy text.

Every scan here is linear in its input: text is cut into sentences at 。；and newlines once, and each
sentence is matched with bounded patterns (an unanchored ``[^。；]*X[^。；]*`` re-scans a long run from
every position: one 240K-character line took 46 s).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from kb.figures import cn_number
from kb.models import Target, Validity

_CN_DIGIT = "〇零一二三四五六七八九十两"
_Y = rf"(\d{{4}}|[{_CN_DIGIT}]{{4}})"
_MD = rf"(\d{{1,2}}|[{_CN_DIGIT}]{{1,3}})"
DATE = re.compile(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?")
#: a full date in Arabic or Chinese numerals: 2024年2月1日, 二〇二五年十二月三十一日
FULL_DATE = re.compile(rf"{_Y}\s*年\s*{_MD}\s*月\s*{_MD}\s*日")
PERIOD = re.compile(r"(\d{4})\s*[—\-~至到－]+\s*(\d{4})年")
#: "有效期至2025年底", "执行到2025年6月底": the last day of that year or month
_UNTIL_END = re.compile(rf"(?:至|到|截至|截止)\s*{_Y}\s*年(?:\s*{_MD}\s*月)?\s*(?:底|末)")
_SENTENCE = re.compile(r"[^。；\n]+[。；]?")
_KEYS = ("有效期", "施行", "执行", "实施", "生效")
#: a sentence that states a period: 有效期…, 实施期限…, 实施时间为…至…, 执行期为…
_STATED = re.compile(r"有效期|(?:实施|执行|施行)(?:期限|时间|期)(?:为|是|：|:|自|从)")
_YEARS = re.compile(r"有效期(?:为|暂定为?|是)?\s*([一二两三四五六七八九十\d]+)\s*年")
#: "自公布之日起施行": the start is the document's own issue date
_FROM_ISSUE = re.compile(r"(?:自|从|于)?(?:本(?:办法|方案|意见|通知|细则|规定|措施|政策|文件))?"
                         r"(?:印发|发布|公布|颁布|下发|签发|公告|发文)之日起")
#: a statement of when the document starts to apply: 自2024年2月1日起施行, 从…起实施, 于…起执行
_STARTS = re.compile(r"自[^，。；]{0,30}?(?:施行|执行|实施|生效)|(?<!关)(?:从|于)[^，。；]{0,30}?起(?:施行|执行|实施|生效)")
#: "自公布之日起30日以后施行": the start is that many days after the issue date
_DAYS_AFTER = re.compile(r"之日起\s*(\d+|[一二两三四五六七八九十]+)\s*(?:日|天)(?:以)?后")


def iso(year: int, month: int = 1, day: int = 1) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _num(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(ch in "〇零一二三四五六七八九" for ch in text):  # 二〇二五: digit by digit
        return int("".join(str("〇一二三四五六七八九".index(ch.replace("零", "〇"))) for ch in text))
    value = cn_number(text)
    return int(value) if value is not None and value == int(value) else None


def date_of(m: re.Match[str]) -> str | None:
    """ISO date of a FULL_DATE match."""
    y, mo, d = (_num(g) for g in m.groups())
    return iso(y, mo, d) if y and mo and d else None


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


def _span(sentence: str, issue_date: str | None, stated: bool = True) -> tuple[str | None, str | None]:
    """(start, end) a validity sentence states, in ISO dates (a bare year span only where a period is stated)."""
    start = end = None
    period = PERIOD.search(sentence) if stated else None
    if period:
        start, end = iso(int(period.group(1))), iso(int(period.group(2)), 12, 31)
    dates = [(m, date_of(m)) for m in FULL_DATE.finditer(sentence)]
    for m, day in dates:
        if not day:
            continue
        before, after = sentence[max(0, m.start() - 6) : m.start()], sentence[m.end() : m.end() + 6]
        if re.search(r"至$|到$|截至$|截止$|止$|有效期至$|有效期到$", before) or re.match(r"\s*(?:止|前|截止)", after):
            end = day
        elif re.match(r"\s*(?:起|开始|施行|执行|实施|生效)", after) or re.search(r"(?:自|从|于)\s*$", before):
            start = day
        elif start is None and len(dates) >= 2:
            start = day
        elif start is not None and end is None and "至" in sentence[: m.start()]:
            end = day
    until_end = _UNTIL_END.search(sentence) if end is None else None
    if until_end and (y := _num(until_end.group(1))):
        month = _num(until_end.group(2)) if until_end.group(2) else 12
        if month and 1 <= month <= 12:
            last = date(y + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
            end = last.isoformat()
    if start is None and issue_date and _FROM_ISSUE.search(sentence):
        start = issue_date
        later = _DAYS_AFTER.search(sentence)
        if later and (n := _num(later.group(1))):
            start = (date.fromisoformat(issue_date) + timedelta(days=n)).isoformat()
    years = _YEARS.search(sentence)
    if years and end is None and start:
        n = _num(years.group(1))
        if n:
            end = _add_years(date.fromisoformat(start), n).isoformat()
    return start, end


def find_validity(text: str, issue_date: str | None) -> list[Validity]:
    """Validity statements: 有效期为两年（2022—2023年）, 自…起施行，有效期N年, 有效期至…, 自公布之日起施行.

    A statement repeated verbatim (a page that prints the document twice) counts once."""
    out: list[Validity] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0).strip()
        if not any(k in sentence for k in _KEYS):
            continue
        stated = bool(_STATED.search(sentence))
        if not stated and not _STARTS.search(sentence):
            continue
        start, end = _span(sentence, issue_date, stated)
        if not (start or end):
            continue
        scope = "政策措施" if "政策措施" in sentence else "全文"
        key = (scope, start, end)
        if key in seen:
            continue
        seen.add(key)
        out.append(Validity(sentence, scope, start, end))
    # a dated period before a bare start ("自…起施行"): readers of validity[0] get the period
    return sorted(out, key=lambda v: v.end_date is None)


_TARGET = re.compile(r"(?:到|至|力争到|力争至)\s*(\d{4})年(?:底|末)?")


def find_targets(text: str, offset: int = 0) -> list[Target]:
    """Sentences that set a goal for a year: 到2025年 … 建成5G基站超2万个."""
    out: list[Target] = []
    for sentence in re.finditer(r"[^。；]+[。；]?", text):
        m = _TARGET.search(sentence.group(0))
        if m and re.search(r"\d", sentence.group(0)[m.end() :]) or (m and re.search(r"达到|突破|超|力争|实现", sentence.group(0))):
            out.append(Target(sentence.group(0).strip(), int(m.group(1)), offset + sentence.start(), offset + sentence.end()))
    return out
