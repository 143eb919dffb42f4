"""Normalise reader output into the text that is stored and sliced into clauses.

Folds width variants and bracket styles, drops spaces that extraction put between Chinese and digits,
re-joins sentences broken by page breaks or hard wraps, and cuts web-page boilerplate. Clauses are
slices of the *normalised* text, so every later offset refers to this string.
"""

from __future__ import annotations

import re

CJK = r"\u3400-\u9fff\uf900-\ufaff"
CJK_PUNCT = "，。、；：？！“”‘’（）〔〕《》「」『』【】—…·％"
_CJK_OR_PUNCT = f"[{CJK}{re.escape(CJK_PUNCT)}]"

# full-width ASCII letters/digits and a few symbols fold to half width; Chinese punctuation stays
_FOLD = {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)}  # ０-９
_FOLD.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FOLD.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FOLD.update(
    {
        "％": "%",
        "．": ".",
        "＋": "+",
        "／": "/",
        "\u3000": " ",
        "\xa0": " ",
        "(": "（",
        ")": "）",
        "[": "〔",
        "]": "〕",
        "【": "〔",
        "】": "〕",
        "［": "〔",
        "］": "〕",
        "\r": "",
        "\u200b": "",
        "\ufeff": "",
        "\u2014\u2014": "——",
        "―": "—",
        "－": "-",
        "～": "~",
        "〜": "~",
    }
)
_FOLD_TABLE = str.maketrans({k: v for k, v in _FOLD.items() if len(k) == 1})

# web boilerplate that ends the document body in pages saved from government sites
_TAIL_MARKERS = (
    "相关附件：",
    "二维码开始扫一扫",
    "扫一扫在手机打开当前页",
    "用来校验该浏览器是否支持HTML5",
)

MARKER_START = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇]+[章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）"
    r"|\d{1,3}[.、](?!\d)|（\d{1,3}）|[①-⑳]|附件\s*\d*\s*$|附件\s*\d*[：:]?$|——)"
)
# a number or bracket alone on a line: web pages and PDFs break "2021\n年\n2\n月" apart
_FRAGMENT = re.compile(r"^[\d.,%~〔〕（）：:、；/—\-]{1,12}$")
_GLUE_START = set("年月日号元%万亿千）〕、，。；：”的之")
_FURNITURE = re.compile(r"^(?:.*[.…·]{6,}.*|[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?)$")
_TERMINAL = set("。！？；：」”’）〕》…")
_CONTINUING = set("，、“《（—‘「")


def fold(text: str) -> str:
    """Width and bracket folding, markdown bold removal, ASCII punctuation between Chinese."""
    text = text.replace("\r\n", "\n").translate(_FOLD_TABLE)
    text = text.replace("**", "")
    # ASCII comma/semicolon/colon touching Chinese become their Chinese forms
    # (?<!\s) starts a match only where a run of spaces starts: a long run is scanned once, not once
    # per position (a 240K-character line of spaces was quadratic)
    text = re.sub(rf"(?<={_CJK_OR_PUNCT})\s*,\s*|(?<!\s)\s*,\s*(?={_CJK_OR_PUNCT})", "，", text)
    text = re.sub(rf"(?<={_CJK_OR_PUNCT})\s*;\s*|(?<!\s)\s*;\s*(?={_CJK_OR_PUNCT})", "；", text)
    text = re.sub(rf"(?<=[{CJK}])\s*:\s*(?=\S)", "：", text)
    return text


def _squeeze_spaces(line: str) -> str:
    """Drop spaces next to Chinese characters or punctuation; keep single spaces between Latin words."""
    if "\t" in line:  # table row: cells keep inner spaces (they separate units), trim around tabs
        cells = [re.sub(r"[ ]{2,}", " ", c.strip()) for c in line.split("\t")]
        return "\t".join(cells).rstrip("\t") if any(cells) else ""
    line = re.sub(rf"(?<![ \t])[ \t]+(?={_CJK_OR_PUNCT})", "", line)  # from a run's start only: linear
    line = re.sub(rf"(?<={_CJK_OR_PUNCT})[ \t]+", "", line)
    line = re.sub(r"[ ]{2,}", " ", line)
    return line.strip()


def _unbalanced(line: str) -> bool:
    pairs = ("（）", "〔〕", "《》", "“”")
    return any(line.count(a) > line.count(b) for a, b in pairs)


def _should_join(prev: str, nxt: str) -> bool:
    """A line continues into the next when the sentence visibly did not end."""
    if not prev or not nxt or "\t" in prev or "\t" in nxt:
        return False
    if _FRAGMENT.match(prev) or _FRAGMENT.match(nxt) or nxt[0] in _GLUE_START:
        return not MARKER_START.match(nxt) or _FRAGMENT.match(prev) is not None
    if MARKER_START.match(nxt):
        return False
    last = prev[-1]
    if last in _TERMINAL:
        return False
    if last in _CONTINUING:
        return True
    if _unbalanced(prev):
        return True
    # a sentence is under way (it has punctuation) and stops on a bare character: a broken line
    if any(ch in prev for ch in "，。；"):
        return True
    return len(prev) >= 45


def cut_boilerplate(text: str) -> tuple[str, str]:
    """Split off the web-site tail (attachments list, QR code prompts); returns (body, tail)."""
    cut = len(text)
    for marker in _TAIL_MARKERS:
        pos = text.find(marker)
        if pos != -1 and pos > len(text) * 0.5:
            cut = min(cut, pos)
    return text[:cut], text[cut:]


def normalize(raw: str) -> str:
    """Reader output -> stored document text (one paragraph per line, tables as tab rows)."""
    text = fold(raw)
    lines = [_squeeze_spaces(line) for line in text.split("\n")]
    paragraphs: list[str] = []
    for line in lines:
        if not line or _FURNITURE.match(line):
            continue
        if paragraphs and _should_join(paragraphs[-1], line):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
    body = "\n".join(paragraphs)
    body, _tail = cut_boilerplate(body)
    return body.rstrip() + "\n" if body.strip() else ""
