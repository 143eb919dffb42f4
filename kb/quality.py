"""Is a reader's text a document at all? Garbage text layers and near-empty files are refused with a reason.

A PDF whose text layer is random glyphs, or a file of one byte, reads "successfully" yet is no policy
document: stored, it becomes clauses of control characters that every search then has to wade through.
The measure is the share of readable characters (CJK, CJK and full-width punctuation, printable ASCII,
common typographic marks) among the non-blank ones, a floor on the count of word characters, and a
floor on the share of letters (CJK ideographs, alphabets) among them: a file that is one long run of
digits reads cleanly but is no prose, and would become thousands of clauses to embed.
The thresholds are data, fitted on the development documents (see `eval/bench_hostile.py --fit`):
every real document must pass with a wide margin.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kb.errors import ReadError

_PARAMS_FILE = Path(__file__).resolve().parent / "data" / "text_quality.json"
_DEFAULTS = {"min_readable_share": 0.8, "max_control_share": 0.01, "min_word_chars": 20, "min_letter_share": 0.4}


@dataclass(frozen=True)
class TextQuality:
    """Counts over the non-blank characters of a text."""

    chars: int  # non-blank characters
    readable: int  # CJK, punctuation, printable ASCII, common marks
    control: int  # C0/C1 controls (tabs and newlines excepted), NUL, unassigned, private use, surrogates
    word_chars: int  # CJK ideographs, letters and digits
    letters: int = 0  # CJK ideographs and letters: the word characters that are not digits

    @property
    def readable_share(self) -> float:
        return self.readable / self.chars if self.chars else 0.0

    @property
    def letter_share(self) -> float:
        return self.letters / self.word_chars if self.word_chars else 0.0

    @property
    def control_share(self) -> float:
        return self.control / self.chars if self.chars else 0.0


def _readable(ch: str) -> bool:
    o = ord(ch)
    return (
        0x21 <= o <= 0x7E  # printable ASCII
        or 0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0x3000 <= o <= 0x303F  # CJK symbols and punctuation
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x2000 <= o <= 0x206F  # general punctuation: — “ ” …
        or 0x2460 <= o <= 0x24FF  # enclosed numbers ①
        or 0x2160 <= o <= 0x217F  # Roman numerals Ⅱ
        or 0x2500 <= o <= 0x257F  # box drawing (tables drawn in text)
        or 0x25A0 <= o <= 0x25FF  # geometric shapes ■ ○
        or 0xFE30 <= o <= 0xFE4F  # CJK compatibility forms
        or ch in "·×÷°±§¥￥©®™℃№‰√"
    )


def measure(text: str) -> TextQuality:
    """Counts of readable, control and word characters among the non-blank characters of `text`."""
    chars = readable = control = words = letters = 0
    for ch in text:
        if ch in " \t\n\r\u3000\xa0\ufeff":
            continue
        chars += 1
        if _readable(ch):
            readable += 1
        else:
            cat = unicodedata.category(ch)
            if cat in ("Cc", "Cn", "Co", "Cs"):
                control += 1
        if ch.isalnum():
            words += 1
            letters += ch.isalpha()
    return TextQuality(chars=chars, readable=readable, control=control, word_chars=words, letters=letters)


def thresholds() -> dict[str, float]:
    """The fitted thresholds (kb/data/text_quality.json), defaults where absent."""
    params = dict(_DEFAULTS)
    try:
        params.update(json.loads(_PARAMS_FILE.read_text(encoding="utf-8")).get("thresholds", {}))
    except (OSError, ValueError):
        pass
    return params


def check_text(text: str, name: str) -> TextQuality:
    """Raise ReadError (naming the file and the reason) when `text` is no readable document."""
    q = measure(text)
    t = thresholds()
    if q.chars and q.control_share > t["max_control_share"]:
        raise ReadError(
            name, f"文字内容含有大量控制字符或无法识别的字形（占 {q.control_share:.0%}），可能是乱码文字层或已损坏，未导入"
        )
    if q.chars and q.readable_share < t["min_readable_share"]:
        raise ReadError(
            name, f"文字内容多为乱码（可识别的字符仅占 {q.readable_share:.0%}），可能是损坏或加密的文字层，未导入"
        )
    if q.word_chars < t["min_word_chars"]:
        raise ReadError(name, f"文件内容过少（只有 {q.word_chars} 个字），不像是一份政策文件，未导入")
    if q.letter_share < t["min_letter_share"]:
        raise ReadError(
            name, f"文字内容几乎全是数字（汉字和字母仅占 {q.letter_share:.0%}），不像是一份政策文件，未导入"
        )
    return q
