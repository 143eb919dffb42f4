"""Chinese tokenisation for BM25: jieba search mode + the caller's domain dictionary.

Every :class:`Tokenizer` owns its own ``jieba.Tokenizer`` so that the words one knowledge base adds never
leak into another one (jieba's module-level functions share a single global dictionary).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba

from indexing.prefix_dict import open_prefix_dict

jieba.setLogLevel(logging.WARNING)

#: Bump when the stop-word list or the pre-split rules change: it is part of :func:`dictionary_hash`,
#: so every persisted index built with the old rules becomes stale.
TOKENIZER_VERSION = "2"

#: Function words, question words and filler that would otherwise dominate BM25 for questions such as
#: "请问我们公司能拿多少奖励？". Content words (奖励, 补贴, 牵头, 单位 ...) are deliberately absent.
STOPWORDS: frozenset[str] = frozenset(
    """
    的 地 得 了 着 过 和 与 及 以及 或 或者 并 并且 而 而且 等 等等 在 于 对 对于 由 为 为了 是 被 把 将 从 向 到 以
    之 其 其中 该 此 这 这个 这些 那 那个 那些 有 有关 关于 就 都 也 还 又 即 则 如 如果 若 但 但是 因为 所以
    个 些 之一 一个 一些 各 各类 每 所 所有 可 可以 能 能够 会 要 应 应当 需要 需 让 给 使
    哪 哪些 哪个 哪里 哪儿 什么 啥 怎么 怎样 怎么样 如何 多少 几 几个 多 吗 呢 吧 啊 呀 嘛 么 谁 为什么 是否 是不是
    请问 请 问 想 想要 知道 一下 告诉 麻烦 您 你 你们 我 我们 我司 本 本公司 公司 他 他们 她 它 它们 自己 咱们
    里 中 上 下 内 时 后 前 时候 方面 情况 相关 进行 有没有 没有 不 没
    """.split()
)

# Numbers and codes that jieba must never split: 5G, IPv6, 1.5, 45%, 2022—2023, A-GNSS, 〔2022〕5 ...
_DASHES = re.escape("-‐‑‒–—―~～")
_CODE = rf"[0-9A-Za-z]+(?:[.{_DASHES}][0-9A-Za-z]+)*%?"
_CODE_RE = re.compile(_CODE)
_DASH_SPLIT_RE = re.compile(rf"[{_DASHES}]")
_HAN_ONLY_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_WORDLIKE_RE = re.compile(r"\w", re.UNICODE)

_base_lock = threading.Lock()
_base_dict: tuple[dict[str, int], int] | None = None


def dictionary_hash(user_terms: Iterable[str]) -> str:
    """Hash of the user terms + stop-word/rule version, without building a tokenizer.

    The index manifest stores it, so a knowledge base can tell whether a persisted index was built with
    today's dictionary before paying for jieba's initialisation.
    """
    terms = sorted({_normalise(t).strip() for t in user_terms if t and t.strip()})
    h = hashlib.sha256()
    h.update(f"policykb-tokenizer/{TOKENIZER_VERSION}\n".encode())
    h.update("\n".join(sorted(STOPWORDS)).encode())
    h.update(b"\n--terms--\n")
    h.update("\n".join(terms).encode())
    return h.hexdigest()


def _normalise(text: str) -> str:
    # NFKC folds full-width digits/letters/percent (５Ｇ, ４５％) into ASCII so they match the half-width forms.
    return unicodedata.normalize("NFKC", text)


def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's default prefix dictionary, loaded once per process (~0.55 s); copies cost ~12 ms."""
    global _base_dict
    with _base_lock:
        if _base_dict is None:
            base = jieba.Tokenizer()
            base.initialize()
            _base_dict = (base.FREQ, base.total)
        return _base_dict


class Tokenizer:
    """Turns clause text or a question into BM25 terms.

    Search-mode jieba (long words plus their in-dictionary sub-words), the caller's domain terms kept whole,
    numbers and codes kept whole, punctuation and stop words dropped, Latin lower-cased.
    Read-only after construction, so one instance may be shared between threads.
    """

    def __init__(self, user_terms: Iterable[str] = ()) -> None:
        terms = sorted({_normalise(t).strip() for t in user_terms if t and t.strip()})
        self.user_terms: tuple[str, ...] = tuple(terms)
        self._jieba = jieba.Tokenizer()
        on_disk = open_prefix_dict(_base_dictionary)  # a few hundred lookups per question, not a 1.3 s load
        if on_disk is not None:
            self._jieba.FREQ, self._jieba.total = on_disk, on_disk.total
        else:
            freq, total = _base_dictionary()
            self._jieba.FREQ, self._jieba.total = dict(freq), total
        self._jieba.initialized = True
        special: list[str] = []
        for term in terms:
            if _HAN_ONLY_RE.match(term):
                self._jieba.add_word(term)
            else:
                special.append(term)
        # Terms with Latin, digits or punctuation (5G基站, 某市大数据发展管理局（市政务服务管理局）) are matched
        # by the pre-split regex, longest first, because jieba cuts at any non-Han character.
        special.sort(key=len, reverse=True)
        alternatives = [re.escape(t) for t in special] + [_CODE]
        self._split_re = re.compile("|".join(alternatives), re.IGNORECASE)
        self._special = {t.lower() for t in special}
        self.dictionary_hash: str = dictionary_hash(terms)

    def tokenize(self, text: str) -> list[str]:
        """Terms of ``text`` in order, duplicates kept (BM25 counts term frequency)."""
        text = _normalise(text)
        out: list[str] = []
        pos = 0
        for m in self._split_re.finditer(text):
            if m.start() > pos:
                self._cut_han(text[pos : m.start()], out)
            self._emit_special(m.group(0), out)
            pos = m.end()
        if pos < len(text):
            self._cut_han(text[pos:], out)
        return out

    __call__ = tokenize

    def boundaries(self, text: str) -> set[int]:
        """Offsets where jieba (precise mode) puts a word boundary in ``text``."""
        cuts = {0, len(text)}
        for _word, start, end in self._jieba.tokenize(text):
            cuts.update((start, end))
        return cuts

    def is_word(self, word: str) -> bool:
        """A word of the dictionary (jieba's plus the domain terms), as opposed to a typing slip."""
        return self._jieba.FREQ.get(word, 0) > 0

    def words(self, text: str) -> list[str]:
        """Whole words of ``text`` (precise mode, no search-mode sub-words), stop words dropped, no repeats.

        For judging whether a passage holds a question's words: sub-words would count twice.
        """
        text = _normalise(text)
        out: list[str] = []
        pos = 0
        for m in self._split_re.finditer(text):
            if m.start() > pos:
                out.extend(self._jieba.lcut(text[pos : m.start()], HMM=True))
            out.append(m.group(0))
            pos = m.end()
        if pos < len(text):
            out.extend(self._jieba.lcut(text[pos:], HMM=True))
        kept = [w.strip().lower() for w in out]
        kept = [w for w in kept if w and w not in STOPWORDS and _WORDLIKE_RE.search(w)]
        return list(dict.fromkeys(kept))

    def _cut_han(self, chunk: str, out: list[str]) -> None:
        for word in self._jieba.cut_for_search(chunk, HMM=True):
            word = word.strip().lower()
            if word and word not in STOPWORDS and _WORDLIKE_RE.search(word):
                out.append(word)

    def _emit_special(self, token: str, out: list[str]) -> None:
        low = token.lower()
        if low not in self._special:
            self._emit_code(token, out)
            return
        # A domain term with Latin/digits: the whole term, then its pieces, like search mode does for Han words.
        out.append(low)
        inner: list[str] = []
        pos = 0
        for m in _CODE_RE.finditer(token):
            if m.start() > pos:
                self._cut_han(token[pos : m.start()], inner)
            self._emit_code(m.group(0), inner)
            pos = m.end()
        if pos < len(token):
            self._cut_han(token[pos:], inner)
        out.extend(t for t in inner if t != low)

    def _emit_code(self, token: str, out: list[str]) -> None:
        # Ranges 2022—2023 / A-GNSS: the whole code first, then its parts so "2023年" still matches.
        low = token.lower()
        out.append(low)
        parts = _DASH_SPLIT_RE.split(low)
        if len(parts) > 1:
            out.extend(p for p in parts if len(p) > 1 or p.isdigit())
