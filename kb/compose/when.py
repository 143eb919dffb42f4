"""什么时候 / 有效期 / 目标是多少: validity statements, dated sentences, targets with their year."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import Context, Draft, best_sentence, confident, pick
from kb.models import Clause

_EVENT_TIME = re.compile(r"哪几天|哪天|几号|哪段时间|什么时间|时间是|期间|几点|时段|截止|截至")
_DATED = re.compile(r"\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}:\d{2}")
_SPAN = re.compile(r"\d{1,2}月\d{1,2}日(?:（[^）]*）)?\s*(?:至|到|—|-)\s*(?:\d{4}年)?\d{1,2}月\d{1,2}日")
_TARGET = re.compile(r"到\d{4}年|\d|力争|达到|突破|超过|打造|建成")


def validity(ctx: Context) -> Draft | None:
    clause = pick(ctx, lambda c: True)
    if clause is None:
        return None
    if _EVENT_TIME.search(ctx.question):
        dated = pick(ctx, lambda c: bool(_SPAN.search(c.text))) or pick(ctx, lambda c: bool(_DATED.search(c.text)))
        if confident(ctx, dated):
            prefer = _SPAN if _SPAN.search(dated.text) else _DATED
            return Draft(I.VALIDITY, f"{best_sentence(ctx, dated, prefer, only_preferred=True)}[1]", [dated])
    doc = ctx.library.document(ctx.doc_id) if ctx.doc_id else _document_asked(ctx)
    doc = doc or ctx.library.document(clause.doc_id)
    if doc is None or not doc.validity:
        if confident(ctx, clause) and _DATED.search(clause.text):
            return Draft(I.VALIDITY, f"{best_sentence(ctx, clause, _DATED, bonus=2.0)}[1]", [clause])
        return None
    statement = doc.validity[0]
    holder = ctx.library.clause(statement.clause_id) if statement.clause_id else None
    topical = clause if confident(ctx, clause) and clause.doc_id == doc.doc_id else holder
    in_force, note = ctx.library.validity(topical or clause)
    cited: list[Clause] = [c for c in (holder, topical) if c is not None]
    cited = list({c.clause_id: c for c in cited}.values())
    if in_force is None:
        text = f"{statement.text.rstrip('。')}。[1]"
    else:
        # about the policy as a whole, the note speaks of the part, not of "该条款"
        text = f"{note.replace('该条款所属', '') if topical is holder else note}。[1]"
        if holder is not None and statement.text not in text:
            text += f"原文：{statement.text.rstrip('。')}。"
    if len(cited) > 1:
        text += "相关条款见[2]。"
    return Draft(I.VALIDITY, text, cited, derived=_period_words(statement))


def _period_words(statement) -> list[str]:
    """Dates the validity note computes (自印发之日起…有效期5年 -> its end day): derived, not quoted."""
    out = []
    for iso_day in (statement.start_date, statement.end_date):
        if iso_day:
            y, m, d = (int(x) for x in iso_day.split("-"))
            out += [f"{y}年{m}月{d}日", f"{y}年底", f"{y}年"]
    return out


def target(ctx: Context) -> Draft | None:
    clause = pick(ctx, lambda c: bool(_TARGET.search(c.text)), prefer=lambda c: bool(c.targets))
    if not confident(ctx, clause):
        return None
    assert clause is not None
    sentence = best_sentence(ctx, clause, _TARGET, bonus=0.5)
    if not re.search(r"\d{4}年", sentence):  # "——…比重达到45%左右": the year stands earlier in the clause
        before = clause.text[: clause.text.find(sentence)] if sentence in clause.text else ""
        years = re.findall(r"(?:力争)?到\d{4}年", before)
        if years:
            sentence = f"（{years[-1]}）{sentence}"
    return Draft(I.TARGET, f"{sentence}[1]", [clause])


def _document_asked(ctx: Context):
    """Among the documents of the first hits, the one whose validity statement fits the question best
    ("政策措施的有效期" -> the plan whose statement covers its 政策措施)."""
    best, best_score = None, -1.0
    seen: set[str] = set()
    for rank, (clause, _) in enumerate(ctx.hits[:10]):
        if clause.doc_id in seen:
            continue
        seen.add(clause.doc_id)
        doc = ctx.library.document(clause.doc_id)
        if doc is None or not doc.validity:
            continue
        statement = " ".join(v.text + v.scope for v in doc.validity)
        score = ctx.stats.sentence_score(ctx.grams, statement) + ctx.coverage(clause) + 0.3 / (rank + 1)
        if score > best_score:
            best, best_score = doc, score
    return best
