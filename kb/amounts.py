"""Money, percentages, caps and "分别" ladders in clause text, normalised to yuan."""

from __future__ import annotations

import re

from kb.figures import CN_NUMERAL, cn_number
from kb.models import Amount, Incentive, Tier

# Arabic figures, or Chinese numerals read by cn2an ("五十万元", "一点五亿元"); the magnitude word stays apart
# a number starts only where a run of digits starts, so a long run is scanned once, not once per digit
_NUM = (rf"(?:(?<![\d.,])\d+(?:,\d{{3}})*(?:\.\d+)?|(?<![零〇一二两三四五六七八九十百千数几上近余多第]){CN_NUMERAL}"
        rf"(?=\s*(?:千万|百万|十万|万|亿|千)?元))")
_SCALE = {"": 1.0, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8}
MONEY = re.compile(rf"({_NUM})(?:\s*[—\-~至到]\s*({_NUM}))?\s*(千万|百万|十万|万|亿|千)?元")
PERCENT = re.compile(rf"({_NUM})(?:\s*[—\-~至到]\s*({_NUM}))?\s*%")
CAP = re.compile(rf"(?:最高(?:奖补金额|补贴|奖励|资助)?(?:不超过|不高于|可达|为)?|不超过|不高于|上限为?|封顶)\s*({_NUM})\s*(千万|百万|十万|万|亿|千)?元")
_LIST_SEP = r"\s*(?:、|和|及|与|或|，)\s*"
_MONEY_ITEM = rf"{_NUM}\s*(?:千万|百万|十万|万|亿|千)?元"
MONEY_LIST = re.compile(rf"{_MONEY_ITEM}(?:{_LIST_SEP}{_MONEY_ITEM})+")
PAYER = re.compile(r"[^，。；]*(?:财政|资金)[^，。；]*(?:承担|兑现|负担|列支)[^，。；]*")


def to_yuan(number: str, scale: str | None) -> float:
    """"50", "万" -> 500000.0; Chinese numerals too ("十二", "亿" -> 1.2e9)."""
    value = cn_number(number.replace(",", ""))
    return (value or 0.0) * _SCALE.get(scale or "", 1.0)


def find_amounts(text: str, offset: int = 0) -> list[Amount]:
    """Every money amount, range, cap and percentage in `text` (offsets shifted by `offset`)."""
    found: list[Amount] = []
    cap_spans = []
    for m in CAP.finditer(text):
        found.append(Amount(m.group(0), "cap", to_yuan(m.group(1), m.group(2)), offset + m.start(), offset + m.end()))
        cap_spans.append((m.start(1), m.end()))
    for m in MONEY.finditer(text):
        if any(s <= m.start() < e for s, e in cap_spans):
            continue
        low = to_yuan(m.group(1), m.group(3))
        if m.group(2):
            found.append(Amount(m.group(0), "range", low, offset + m.start(), offset + m.end(), to_yuan(m.group(2), m.group(3))))
        else:
            found.append(Amount(m.group(0), "money", low, offset + m.start(), offset + m.end()))
    for m in PERCENT.finditer(text):
        upper = float(m.group(2).replace(",", "")) if m.group(2) else None
        found.append(Amount(m.group(0), "percent", float(m.group(1).replace(",", "")), offset + m.start(), offset + m.end(), upper))
    found.sort(key=lambda a: a.start)
    return found


def _money_items(text: str) -> list[tuple[str, float]]:
    return [(m.group(0).replace(" ", ""), to_yuan(m.group(1), m.group(3))) for m in MONEY.finditer(text)]


def find_tiers(sentence: str) -> list[Tier]:
    """Ladders like "首次达到1亿元、5亿元、10亿元及以上的 … 分别给予20万元、50万元和100万元"."""
    pos = sentence.find("分别")
    if pos == -1:
        return []
    rewards = _money_items(sentence[pos:].split("。")[0])
    if len(rewards) < 2:
        return []
    before = sentence[:pos]
    tiers: list[Tier] = []
    lists = list(MONEY_LIST.finditer(before))
    for m in lists:
        conds = _money_items(m.group(0))
        if len(conds) != len(rewards):
            continue
        lead_in = before[: m.start()]
        group = re.split(r"[，。；：]", lead_in)[-1]
        group = re.sub(r"^(对|其中|凡)", "", group)
        for (ctext, cval), (rtext, rval) in zip(conds, rewards, strict=True):
            tiers.append(Tier(ctext, cval, rtext, rval, group.strip()))
    if tiers:
        return tiers
    # word ladders: 对获得国家级、省级…的，分别给予50万元、20万元
    clause = re.split(r"[。；]", before)[-1]
    words = re.search(r"([^，、对]{1,12}(?:、[^，、]{1,12})+)", clause)
    if words:
        items = [w for w in re.split(r"、", words.group(1)) if w]
        items[0] = re.split(r"获得|列入|入选|认定为|评为|”|对", items[0])[-1]
        items[-1] = items[-1].removesuffix("的")
        suffix = items[0][-1:] if items[0][-1:] in "级类星档等奖" else ""
        if suffix and suffix in items[-1]:
            items[-1] = items[-1][: items[-1].index(suffix) + 1]
        if len(items) == len(rewards):
            for w, (rtext, rval) in zip(items, rewards, strict=True):
                tiers.append(Tier(w, 0.0, rtext, rval, clause.strip("，")))
    return tiers


def find_incentive(clause_id: str, text: str) -> Incentive | None:
    """The payable part of a clause: ladders, a rate with its cap, fixed sums and who pays."""
    amounts = find_amounts(text)
    if not any(a.kind in ("money", "cap", "range") for a in amounts):
        return None
    inc = Incentive(clause_id=clause_id)
    for sentence in re.split(r"(?<=[。；])", text):
        inc.tiers.extend(find_tiers(sentence))
    for sentence in re.split(r"(?<=[。；])", text):
        pct = PERCENT.search(sentence)
        cap = CAP.search(sentence, pct.end()) if pct else None
        if pct and cap and inc.rate_percent is None:
            inc.rate_percent = float(pct.group(1))
            inc.rate_text = pct.group(0)
            inc.cap_yuan = to_yuan(cap.group(1), cap.group(2))
            inc.cap_text = cap.group(0)
    for m in re.finditer(rf"一次性[^。；，]*?{MONEY.pattern}[^。；，]*", text):
        inc.fixed.append(m.group(0))
    payer = PAYER.search(text)
    if payer:
        inc.payer = payer.group(0).strip()
    return inc
