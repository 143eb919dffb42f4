"""Is a clause still in force today? Judged from the document's own validity statements."""

from __future__ import annotations

import re
from datetime import date

from kb.dates import PERIOD
from kb.models import Clause, Document, Validity


def _applies(statement: Validity, clause: Clause) -> bool:
    if statement.scope == "全文":
        return True
    if clause.clause_id == statement.clause_id:
        return True
    words = [clause.title, clause.label, *clause.path]
    return any(statement.scope in w for w in words)


def _day(iso_date: str) -> str:
    d = date.fromisoformat(iso_date)
    if d.month == 12 and d.day == 31:
        return f"{d.year}年底"
    return f"{d.year}年{d.month}月{d.day}日"


def _period(statement: Validity) -> str:
    """The period in the document's own words when it gives them: "两年（2022—2023年）", "5年"."""
    own = re.search(r"有效期(?:为|是|暂定为?)?([^，。；]{1,30})", statement.text)
    if own and re.search(r"\d|[一二两三四五六七八九十]年", own.group(1)):
        words = own.group(1).strip()
        if statement.start_date and not PERIOD.search(words) and statement.end_date:
            words += f"（{_day(statement.start_date)}至{_day(statement.end_date)}）".replace("年底）", "年12月31日）")
        return words
    m = PERIOD.search(statement.text)
    if m:
        return m.group(0)
    if statement.start_date and statement.end_date:
        return f"{_day(statement.start_date)}至{_day(statement.end_date)}".replace("年底至", "年12月31日至")
    if statement.end_date:
        return f"至{_day(statement.end_date)}"
    return ""


def clause_validity(document: Document, clause: Clause, today: date) -> tuple[bool | None, str]:
    """(in force?, a Chinese note naming the period); None when the document states no period."""
    statements = [v for v in document.validity if v.end_date and _applies(v, clause)]
    # the most specific statement wins: a scoped one over the whole-document one
    statements.sort(key=lambda v: v.scope == "全文")
    if not statements:
        return None, "文件未载明有效期"
    v = statements[0]
    part = "所属政策措施" if v.scope == "政策措施" else "所属文件"
    part = "所属" + v.scope if v.scope not in ("全文", "政策措施") else part
    period = _period(v)
    end = date.fromisoformat(v.end_date)  # type: ignore[arg-type]
    start = date.fromisoformat(v.start_date) if v.start_date else None
    if today > end:
        return False, f"该条款{part}有效期为{period}，已于{_day(v.end_date)}到期"  # type: ignore[arg-type]
    if start and today < start:
        return False, f"该条款{part}有效期为{period}，尚未开始施行"
    return True, f"该条款{part}有效期为{period}，现行有效"
