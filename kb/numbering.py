"""The numbering styles of Chinese official documents and how to read their numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "一二三四五六七八九十百零〇"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn_to_int(text: str) -> int | None:
    """Chinese numerals up to the hundreds: 十二 -> 12, 二十 -> 20, 一百零五 -> 105."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def int_to_cn(number: int) -> str:
    """12 -> 十二, 20 -> 二十, 105 -> 一百零五: the inverse of cn_to_int for ordinals up to 999."""
    digits = "零一二三四五六七八九"
    if number <= 0:
        return str(number)
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += digits[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
    if ones:
        out += digits[ones]
    return out


@dataclass(frozen=True)
class Marker:
    """A numbering marker found in the text."""

    style: str  # chapter | article | cn | paren_cn | num | paren_num | circled
    number: int
    start: int  # offset of the marker's first character
    end: int  # offset just after the marker
    token: str  # the label part: "三", "（五）", "3", "第十二条"
    strong: bool  # a style that rarely occurs inside running text


# ordered: more specific first; numeral runs are bounded (an ordinal up to 二百九十九 has 5 characters) so
# a long run of numerals cannot make matching quadratic
MARKER_PATTERNS: list[tuple[str, re.Pattern[str], bool]] = [
    ("chapter", re.compile(rf"第([{_CN}]{{1,6}})章"), True),
    ("section", re.compile(rf"第([{_CN}]{{1,6}})节"), True),
    ("article", re.compile(rf"第([{_CN}]{{1,6}})条"), True),
    ("paren_cn", re.compile(rf"（([{_CN}]{{1,6}})）"), True),
    ("cn", re.compile(rf"([{_CN}]{{1,6}})、"), False),
    ("paren_num", re.compile(r"（(\d{1,3})）"), False),
    ("num", re.compile(r"(\d{1,3})[.、](?![\d%])"), False),
    ("circled", re.compile(rf"([{CIRCLED}])"), False),
]


def marker_at(text: str, pos: int) -> Marker | None:
    """The numbering marker starting exactly at `pos`, if any."""
    for style, pattern, strong in MARKER_PATTERNS:
        m = pattern.match(text, pos)
        if not m:
            continue
        raw = m.group(1)
        number = CIRCLED.index(raw) + 1 if style == "circled" else cn_to_int(raw)
        if number is None or number == 0 or number > 300:
            continue
        token = {
            "chapter": f"第{raw}章",
            "section": f"第{raw}节",
            "article": f"第{raw}条",
            "paren_cn": f"（{raw}）",
            "cn": raw,
            "paren_num": f"（{raw}）",
            "num": raw,
            "circled": raw,
        }[style]
        if style == "num" and pos > 0 and (text[pos - 1].isdigit() or text[pos - 1] in ".．"):
            continue
        return Marker(style, number, pos, m.end(), token, strong)
    return None


def next_token(marker: Marker) -> str | None:
    """How the next marker of the same sequence is written (第二条 after 第一条), for strong styles only."""
    nxt = int_to_cn(marker.number + 1)
    return {"chapter": f"第{nxt}章", "section": f"第{nxt}节", "article": f"第{nxt}条",
            "paren_cn": f"（{nxt}）"}.get(marker.style)


# words that make a following 第X条 a cross-reference, not the start of an article
REFERENCE_BEFORE = ("本办法", "本细则", "本规定", "本条例", "本规则", "本措施", "本方案", "本意见", "本决定",
                    "依照", "按照", "根据", "依据", "违反", "适用", "前款", "本条", "和", "或", "或者", "及", "、", "至")
REFERENCE_AFTER = re.compile(rf"规定|第[{_CN}]{{1,6}}[款项]|的规定|之规定|所列|所述|[、和或至及]第")


# where an inline marker may begin inside a flattened line
INLINE_MARKER = re.compile(rf"第[{_CN}]{{1,6}}[章节条]|（[{_CN}]{{1,6}}）|[{_CN}]{{1,6}}、|（\d{{1,3}}）|\d{{1,3}}[.、](?![\d%])|[{CIRCLED}]")
