"""How much of a question a clause answers: IDF-weighted coverage of the question's content bigrams.

Rare words carry the question ("公积金", "新能源汽车"); common ones ("企业", "补贴") do not. A clause that
holds only the common words of a question does not answer it, however high it ranks.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable

from indexing.tokenizer import Tokenizer
from kb import lexicon
from kb.models import Clause

# words that ask, greet or point rather than name what is asked (kb/lexicon/fillers.txt)
_FILLER = lexicon.alternation("fillers.txt")
#: Questions whose content words are kept (one question is cut for its words and again for its grams).
_TOKEN_CACHE = 1024
_FILLER_ONLY = re.compile(f"(?:{_FILLER.pattern})+")
_FILLER_EDGES = re.compile(f"^(?:{_FILLER.pattern})+|(?:{_FILLER.pattern})+$")
# a figure with its unit stands apart from the words around it ("2023年小微企业" is 2023年 + 小微企业)
_FIGURE_RUN = re.compile(r"(?<![A-Za-z0-9.])\d+(?:\.\d+)?(?:年|月|日|%|万元|元|万|亿元|亿)?(?![A-Za-z0-9+])")


#: Weight of a question word no clause of the KB contains, relative to the rarest known word. Callers
#: narrate ("后来又评上…两笔…一共") and mistype; such words cannot tell clauses apart and, at full
#: weight, sank answerable questions below the threshold. Chosen with the threshold on the dev split.
UNKNOWN_WORD_WEIGHT = 0.4
_USER_FIGURE = re.compile(r"(?!(?:19|20)\d\d$)\d+(?:\.\d+)?%?")
# the same in words: a count, sum, age or span written in Chinese numerals ("一家", "好几家", "两千",
# "十几个", "一个月", "两岁", "半年")
_USER_WORD_FIGURE = re.compile(r"[好]?[一二两三四五六七八九十百千万亿几来多余半]+个?(?:月|[家个件项名人次台套枚块位批所场岁年天周倍])?")


def content_grams(question: str) -> list[str]:
    """Character bigrams of the question's content (fillers removed), Latin/number tokens whole."""
    text = _FILLER.sub(" ", question)
    grams: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9.%+]+", text):
        if _USER_FIGURE.fullmatch(run):
            continue  # the applicant's own figures (1500万, 10%) are inputs, not what to look for
        if re.match(r"[A-Za-z0-9]", run):
            grams.append(run.lower())
        elif len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(grams))


def clause_haystack(clause: Clause, doc_title: str = "") -> str:
    """What a clause offers a question: its text, its heading path and its document's title."""
    return (clause.text + "\n" + " ".join(clause.path) + " " + clause.title + " " + doc_title).lower()


class GramStats:
    """Document frequencies of bigrams and words over all clauses of the KB, for IDF weights.

    Coverage mixes the two: bigrams forgive a word cut differently, words do not let two halves of
    different words ("企业营收" -> "业营") count as a match.
    """

    def __init__(self, clauses: Iterable[Clause], titles: dict[str, str] | None = None,
                 tokenizer: Tokenizer | None = None) -> None:
        self.titles = titles or {}
        self.tokenizer = tokenizer or Tokenizer()
        df: Counter[str] = Counter()
        haystacks: list[str] = []
        for clause in clauses:
            text = clause_haystack(clause, self.titles.get(clause.doc_id, ""))
            haystacks.append(text)
            grams = {text[i : i + 2] for i in range(len(text) - 1)}
            grams.update(t.lower() for t in re.findall(r"[A-Za-z0-9.%+]+", text))
            df.update(grams)
        self.df = df
        self.n = max(len(haystacks), 1)
        self._haystacks = haystacks
        self._word_df: dict[str, int] = {}
        self._tokens: dict[str, list[str]] = {}  # question -> its content words (words and grams both read them)
        self._lock = threading.Lock()

    def _content_tokens(self, question: str) -> list[str]:
        """The question's words without its fillers. The question is cut into words first and a filler
        removed only where it is a whole word, or the edge of a word the KB does not use ("什么时候" ->
        "时候"): cutting fillers out of the raw text broke words ("有效期" lost its 有, "2023年小微企业"
        was cut "年小微")."""
        cached = self._tokens.get(question)
        if cached is None:
            cached = self._cut_content_tokens(question)
            with self._lock:
                if len(self._tokens) >= _TOKEN_CACHE:
                    self._tokens.clear()
                self._tokens[question] = cached
        return list(cached)

    def _cut_content_tokens(self, question: str) -> list[str]:
        spaced = self._without_spanning_fillers(_FIGURE_RUN.sub(lambda m: f" {m.group(0)} ", question))
        out: list[str] = []
        for w in self.tokenizer.words(spaced):
            if _FILLER_ONLY.fullmatch(w):
                continue
            if self.word_df(w) == 0:
                w = _FILLER_EDGES.sub("", w) or w
            out.append(w)
        # the cut of the text without its fillers finds words a function character hid from the first
        # cut ("做了上云改造" -> 上云); a KB word of it that no word above contains is kept as well
        for w in self.tokenizer.words(_FILLER.sub(" ", spaced)):
            if len(w) >= 2 and self.word_df(w) > 0 and not _FILLER_ONLY.fullmatch(w) and not any(w in o for o in out):
                out.append(w)
        return out

    def _without_spanning_fillers(self, text: str) -> str:
        """A filler the cut splits into words of its own ("能不能" -> 能 / 不能) goes as a whole, where it
        starts and ends on a word boundary: its parts alone are not fillers, and 不能 would be looked for."""
        cuts = self.tokenizer.boundaries(text)
        kept: list[str] = []
        pos = 0
        for m in _FILLER.finditer(text):
            if m.end() > m.start() and m.start() in cuts and m.end() in cuts:
                kept.append(text[pos : m.start()])
                kept.append(" ")
                pos = m.end()
        kept.append(text[pos:])
        return "".join(kept)

    def question_words(self, question: str) -> list[str]:
        """Content words of the question; a word the KB never uses ("场地面积") stands as its parts."""
        words = self._content_tokens(question)
        out: list[str] = []
        for w in words:
            if _USER_FIGURE.fullmatch(w) or _USER_WORD_FIGURE.fullmatch(w) or (len(w) < 2 and not re.match(r"[a-z0-9]", w)):
                continue
            if self.word_df(w) == 0 and len(w) > 2:
                parts = [p for p in self.tokenizer.tokenize(w) if p != w and len(p) >= 2 and self.word_df(p) > 0]
                if parts:
                    out.extend(parts)
                    continue
            out.append(w)
        return list(dict.fromkeys(out))

    def question_grams(self, question: str) -> list[str]:
        """Bigrams inside the question's words: none straddles two words ("企业营收" gives no "业营")."""
        grams: list[str] = []
        for word in self._content_tokens(question):
            if _USER_FIGURE.fullmatch(word) or _USER_WORD_FIGURE.fullmatch(word):
                continue
            if re.match(r"[a-z0-9]", word):
                grams.append(word)
            elif len(word) >= 2:
                grams.extend(word[i : i + 2] for i in range(len(word) - 1))
        return list(dict.fromkeys(grams)) or content_grams(question)

    def word_df(self, word: str) -> int:
        self.word_idf(word)
        return self._word_df[word]

    def word_idf(self, word: str) -> float:
        if word not in self._word_df:
            count = sum(1 for h in self._haystacks if word in h)
            with self._lock:
                self._word_df[word] = count
        if self._word_df[word] == 0:
            return UNKNOWN_WORD_WEIGHT * math.log((self.n + 1) / 0.5)
        return math.log((self.n + 1) / (self._word_df[word] + 0.5))

    def idf(self, gram: str) -> float:
        df = self.df.get(gram, 0)
        if df == 0:
            return UNKNOWN_WORD_WEIGHT * math.log((self.n + 1) / 0.5)
        return math.log((self.n + 1) / (df + 0.5))

    def coverage(self, grams: list[str], clause: Clause, words: list[str] | None = None) -> float:
        """Share of the question's IDF mass found in the clause (0..1), bigrams and words averaged."""
        if not grams:
            return 0.0
        hay = clause_haystack(clause, self.titles.get(clause.doc_id, ""))
        total = sum(self.idf(g) for g in grams)
        by_gram = sum(self.idf(g) for g in grams if g in hay) / total if total else 0.0
        if not words:
            return by_gram
        word_total = sum(self.word_idf(w) for w in words)
        by_word = sum(self.word_idf(w) for w in words if w in hay) / word_total if word_total else 0.0
        return (by_gram + by_word) / 2

    def sentence_score(self, grams: list[str], sentence: str) -> float:
        s = sentence.lower()
        return sum(self.idf(g) for g in grams if g in s)
