"""Same-sound typing slips (大数剧 -> 大数据, 基战 -> 基站) fixed against the KB's own text.

Help-desk staff type fast with pinyin input methods; the wrong character usually sounds the same as
the right one. A run of the question that never occurs in the KB, sits on the question's own word
boundaries and is no dictionary word, is replaced when changing one character to a same-sounding one
gives a run that does occur in the KB. Different-sounding words (租金/资金) are never touched, so a
question about something the documents lack stays unanswered.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property

from indexing.tokenizer import Tokenizer

_HAN = re.compile(r"[\u4e00-\u9fff]+")
# a function word in the question is written on purpose ("目标是多少" is not "目标识多少")
_FUNCTION_CHARS = set("是的了有在和与及为吗呢么吧啊要能会可就都也还又很被把给对从向过个几多少啥谁哪")


class TypoFixer:
    """The KB's text and, per toneless pinyin, the characters it uses."""

    def __init__(self, texts: Iterable[str], tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._corpus = "\n".join(texts)

    @cached_property
    def _by_sound(self) -> dict[str, set[str]]:
        """The KB's characters per toneless pinyin, built on the first suspect run: a question of known
        words never imports pypinyin (0.4 s of a cold start)."""
        from pypinyin import lazy_pinyin

        chars = sorted(set("".join(_HAN.findall(self._corpus))))
        by_sound: dict[str, set[str]] = defaultdict(set)
        for ch, sound in zip(chars, lazy_pinyin(chars), strict=True):
            by_sound[sound].add(ch)
        return by_sound

    def _repair(self, window: str) -> str | None:
        """The same-sounding run, one character changed, that the KB's text holds."""
        from pypinyin import lazy_pinyin

        options: list[tuple[int, str]] = []
        by_sound = self._by_sound
        sounds = lazy_pinyin(window)
        for j, (typed, sound) in enumerate(zip(window, sounds, strict=True)):
            for ch in by_sound.get(sound, ()):
                if ch == typed:
                    continue
                candidate = window[:j] + ch + window[j + 1 :]
                count = self._corpus.count(candidate)
                if count >= 2 and (self._tokenizer.is_word(candidate) or self._is_unit(candidate)):
                    options.append((count, candidate))
        return max(options)[1] if options else None

    def _is_unit(self, candidate: str) -> bool:
        """A run the KB uses as a word: different characters stand before and after it
        ("大数据" is; "政策规" is always followed by 定, so it is half of 政策规定)."""
        before, after = set(), set()
        for m in re.finditer(re.escape(candidate), self._corpus):
            before.add(self._corpus[m.start() - 1 : m.start()])
            after.add(self._corpus[m.end() : m.end() + 1])
            if len(before) > 1 and len(after) > 1:
                return True
        return False

    def fix(self, question: str) -> tuple[str, list[tuple[str, str]]]:
        """The question with slips replaced, and the (typed, meant) pairs."""
        fixes: list[tuple[str, str]] = []
        out = question
        cuts = self._tokenizer.boundaries(question)
        for run in _HAN.finditer(question):
            text = run.group(0)
            i = 0
            while i < len(text):
                step = 1
                for size in (4, 3, 2):
                    window = text[i : i + size]
                    start = run.start() + i
                    if len(window) < size or start not in cuts or start + size not in cuts:
                        continue
                    if window in self._corpus or self._tokenizer.is_word(window):
                        continue
                    if any(ch in _FUNCTION_CHARS for ch in window):  # spans a grammatical word
                        continue
                    meant = self._repair(window)
                    if meant:
                        fixes.append((window, meant))
                        out = out.replace(window, meant, 1)
                        step = size
                        break
                i += step
        return out, fixes
