"""Figures a person gives in a question: "营收过10个亿", "合同2000万", "投资500万元"."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: Chinese magnitude words to multipliers (None: no word), shared by everything that reads a figure.
SCALE = {"百": 1e2, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8, "": 1.0, None: 1.0}
_CN_NUM = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "1万千瓦时", "5万人", "3万张床位" are quantities, not sums of money
_NOT_MONEY = r"(?!\s*(?:千瓦|瓦|度|人|名|个|户|次|件|张|平方|亩|吨|家|项|台|辆|套|床|小时|天|年|月|公里|米|册|条|份))"
_AMOUNT = re.compile(
    rf"(\d+(?:\.\d+)?|[一两二三四五六七八九十]+(?:点[零〇一二三四五六七八九]+)?)\s*(?:个)?\s*(千万|百万|十万|万|亿|千)(?:元|块|{_NOT_MONEY})|(\d+(?:\.\d+)?)\s*元"
)


#: a Chinese numeral as documents write it: 五十, 十二, 一百零五, 两千, 一点五, 二〇二五
CN_NUMERAL = r"[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"


@cache
def _cn2an() -> Any:
    """cn2an, imported on first use: its import costs about 0.4 s, which every command paid at start-up."""
    import cn2an

    return cn2an


def cn_number(text: str) -> float | None:
    """A numeral in Chinese or Arabic digits (cn2an, with 点 decimals): "十二" -> 12, "一点五" -> 1.5."""
    text = text.strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return float(text)
        whole, _, frac = text.partition("点")
        if whole[:1] in ("百", "千"):  # "百万" is 一百万
            whole = "一" + whole
        cn2an = _cn2an()
        value = float(cn2an.cn2an(whole, "normal")) if whole else 0.0
        if frac:
            value += float("0." + "".join(str(int(cn2an.cn2an(ch, "normal"))) for ch in frac))
        return value
    except (ValueError, KeyError):
        return None


_ROUND = re.compile(r"(\d+(?:\.\d+)?|[一两二三四五六七八九])\s*(千|百)\s*(?:来|多|余)?\s*(万|亿)(?:元|块)?")


def money_in_question(question: str) -> list[float]:
    """Every sum of money in the question, in yuan ("过亿" counts as 1亿元)."""
    found: list[tuple[int, float]] = []  # (position, yuan): the caller's order is kept
    # "两千来万", "三百多万", "1千多万": a round number of 千/百 times 万/亿
    for m in _ROUND.finditer(question):
        head = float(m.group(1)) if m.group(1)[0].isdigit() else float(_CN_NUM[m.group(1)])
        found.append((m.start(), head * SCALE[m.group(2)] * SCALE[m.group(3)]))
    masked = _ROUND.sub(lambda m: " " * len(m.group(0)), question)
    for m in _AMOUNT.finditer(masked):
        if m.group(3):
            found.append((m.start(), float(m.group(3))))
            continue
        raw, scale = m.group(1), m.group(2)
        # "三四万", "七八十万": a spoken range of two figures is read at its upper end (四万, 八十万)
        spoken = re.fullmatch(r"[一二两三四五六七八九]([一二两三四五六七八九].*)", raw)
        raw = spoken.group(1) if spoken and not raw[0].isdigit() else raw
        value = float(raw) if raw[0].isdigit() else (cn_number(raw) or 0.0)
        found.append((m.start(), value * SCALE[scale]))
    out = [value for _pos, value in sorted(found)]
    if not out and re.search(r"过亿|上亿|破亿", question):
        out.append(1e8)
    return out


def format_yuan(value: float) -> str:
    """2000000 -> "200万元", 50000 -> "5万元", 12000 -> "12000元"; keeps at most two decimals."""
    if value >= 1e8 and value % 1e6 == 0:
        number, unit = value / 1e8, "亿元"
    elif value >= 1e5 or (value >= 1e4 and value % 1e4 == 0):
        number, unit = value / 1e4, "万元"
    else:
        number, unit = value, "元"
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"
