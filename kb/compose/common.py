"""What every composer shares: the question context, sentence picking, short task names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.confidence import GramStats
from kb.library import Library
from kb.models import TASK_ROW, Clause, TaskRow

MONEY_OR_RATE = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千)?元|\d+(?:\.\d+)?%")


@dataclass
class Context:
    """A question with everything composers need to read the KB."""

    question: str
    grams: list[str]
    stats: GramStats
    hits: list[tuple[Clause, float]]
    library: Library
    threshold: float
    unit: str | None = None
    doc_id: str | None = None
    words: list[str] = field(default_factory=list)

    def coverage(self, clause: Clause) -> float:
        """How much of the question the clause holds (see kb.confidence)."""
        return self.stats.coverage(self.grams, clause, self.words)


@dataclass
class Rule:
    """A clause's own rule applied to a question: how well it holds the question, its text, its figures."""

    score: float
    text: str
    derived: list[str]


@dataclass
class Draft:
    """A composed answer before grounding: text with [n] markers and the clauses they cite."""

    intent: str
    answer: str
    cited: list[Clause]
    derived: list[str] = field(default_factory=list)  # figures computed from the question and a clause
    found: bool = True


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？\n])", text) if s.strip()]


def best_sentence(ctx: Context, clause: Clause, prefer: re.Pattern[str] | None = None, bonus: float = 0.0,
                  only_preferred: bool = False) -> str:
    """The sentence of `clause` that holds most of the question; `prefer`-matching ones get `bonus`
    (with `only_preferred`, only those compete when there are any)."""
    best, best_score = "", -1.0
    pool = sentences(clause.text)
    # "（一）医养结合补贴。" only names the clause; the sentences after it say something
    heading_only = [s for s in pool if len(strip_marker(clean(s)).rstrip("。；")) <= 12]
    if len(pool) > len(heading_only):
        pool = [s for s in pool if s not in heading_only]
    if only_preferred and prefer is not None and any(prefer.search(s) for s in pool):
        pool = [s for s in pool if prefer.search(s)]
    for s in pool:
        score = ctx.stats.sentence_score(ctx.grams, s)
        if prefer is not None and prefer.search(s):
            score += bonus
        if score > best_score:
            best, best_score = s, score
    return without_head_number(clean(best))


#: The clause's own numbering at the head of a sentence ("第二十三条", "（二）", "三、"): a place, not the answer.
#: Stricter than strip_marker, which reads headings: in a sentence "3.5万元" is no item 3 and "第三方条件" no 第三方条.
_HEAD_NUMBER = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]{1,6}条|[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)\s*")


def without_head_number(sentence: str) -> str:
    """A quoted sentence without the clause number it opens with: the citation gives the place."""
    return _HEAD_NUMBER.sub("", sentence) or sentence


def clean(text: str) -> str:
    return text.replace("\t", " ").strip()


def short(text: str, limit: int = 40) -> str:
    text = clean(text)
    head = re.split(r"[。；]", text)[0]
    return head if len(head) <= limit else head[:limit] + "…"


def strip_marker(title: str) -> str:
    return re.sub(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\d{1,3}[.、]|第\S{1,4}[条章])\s*", "", title)


def row_of(library: Library, clause: Clause) -> TaskRow | None:
    if clause.kind != TASK_ROW:
        return None
    return next((r for r in library.task_rows(clause.doc_id) if r.clause_id == clause.clause_id), None)


def task_name(library: Library, clause: Clause, limit: int = 60) -> str:
    """How a task reads in a list: the table row's 主要内容 (whole, up to `limit`), else the heading words."""
    row = row_of(library, clause)
    if row is not None:
        content = clean(row.content or row.task)
        return content if len(content) <= limit else content[:limit] + "…"
    return short(strip_marker(clause.title) or clause.text, limit)


def focus(ctx: Context, clause: Clause) -> float:
    """Share of the question held by the clause's best single sentence, heading path included.

    Whole-clause coverage saturates on sibling clauses that share a heading (街道级 / 社区级 奖励): the
    sentence that says the thing asked about is what tells them apart."""
    total = sum(ctx.stats.idf(g) for g in ctx.grams)
    if not total:
        return 0.0
    pool = sentences(clause.text) or [clause.text]
    return max(ctx.stats.sentence_score(ctx.grams, s) for s in pool) / total


def relevance(ctx: Context, clause: Clause, score: float) -> float:
    """How well a hit answers the question: clause coverage first, then its best sentence and its
    search score relative to the best hit's (near-equal scores weigh near-equal, unlike ranks)."""
    top = ctx.hits[0][1] if ctx.hits and ctx.hits[0][1] > 0 else 1.0
    return ctx.coverage(clause) + 0.3 * focus(ctx, clause) + 0.3 * max(score, 0.0) / top


def pick(ctx: Context, want, top: int = 10, prefer=None, bonus: float = 0.15) -> Clause | None:
    """The best of the first `top` hits that `want` accepts (see :func:`relevance`);
    clauses `prefer` accepts get `bonus` (a target clause for a target question)."""
    best, best_score = None, -1.0
    for clause, hit_score in ctx.hits[:top]:
        if not want(clause):
            continue
        score = relevance(ctx, clause, hit_score)
        if prefer is not None and prefer(clause):
            score += bonus
        if score > best_score:
            best, best_score = clause, score
    return best


def confident(ctx: Context, clause: Clause | None) -> bool:
    return clause is not None and ctx.coverage(clause) >= ctx.threshold


def matching_phrase(ctx: Context, text: str, limit: int = 40) -> str:
    """The phrase of `text` (split at ，；。) that holds most of the question: the subject to name."""
    phrases = [p for p in re.split(r"[，；。]", clean(text)) if p.strip()]
    if not phrases:
        return short(text, limit)
    best = max(phrases, key=lambda p: ctx.stats.sentence_score(ctx.grams, p))
    return best if len(best) <= limit else best[:limit] + "…"


def sentence_coverage(ctx: Context, sentence: str) -> float:
    total = sum(ctx.stats.idf(g) for g in ctx.grams)
    return ctx.stats.sentence_score(ctx.grams, sentence) / total if total else 0.0
