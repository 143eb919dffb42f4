"""什么时候 / 有效期 / 目标是多少: validity statements, dated sentences, targets with their year."""

from __future__ import annotations

import re
from dataclasses import replace

from kb import intent as I
from kb.compose.common import (
    Context,
    Draft,
    best_sentence,
    clean,
    confident,
    pick,
    sentence_coverage,
    sentences,
)
from kb.models import Clause

_EVENT_TIME = re.compile(r"哪几天|哪天|几号|哪段时间|什么时间|时间是|期间|几点|时段|截止|截至")
_DATED = re.compile(r"\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}:\d{2}")
_SPAN = re.compile(r"\d{1,2}月\d{1,2}日(?:（[^）]*）)?\s*(?:至|到|—|-)\s*(?:\d{4}年)?\d{1,2}月\d{1,2}日")
_TARGET = re.compile(r"到\d{4}年|\d|力争|达到|突破|超过|打造|建成")


def validity(ctx: Context) -> Draft | None:
    clause = pick(ctx, lambda c: True)
    if clause is None:
        return None
    topic_ctx = _topic(ctx)
    names_a_document = any(_names_only_the_document(ctx, d.title) for d in ctx.library.documents())
    if topic_ctx is not None:  # "学徒制培训补贴 过期没": the clause on 学徒制, not any period statement
        topical_clause = pick(topic_ctx, lambda c: True)
        if confident(topic_ctx, topical_clause):
            clause, ctx = topical_clause, replace(ctx, doc_id=ctx.doc_id or topical_clause.doc_id)
        elif not ctx.doc_id and not names_a_document:
            return None  # "小规模纳税人增值税减按1% 执行到哪天": no document holds the thing asked about
    own = None if names_a_document else _own_period(topic_ctx)
    if own is not None:
        return own
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
    if _names_only_the_document(ctx, doc.title):  # "某市居家社区养老服务管理办法有效期"
        topical = holder
    in_force, note = ctx.library.validity(topical or clause)
    cited: list[Clause] = [c for c in (holder, topical) if c is not None]
    cited = list({c.clause_id: c for c in cited}.values())
    if in_force is None:
        text = f"{statement.text.rstrip('。')}。[1]"
    elif topical is holder or topical is None:
        # about the policy as a whole: the document's own words first, then what they mean today
        text = f"{_in_own_words(statement.text, note)}。[1]"
        rider = _rider(ctx, holder, statement.text)
        if rider:  # "到期以后没发完的扶持资金还给不给": the statement's own clause says what happens then
            text = f"{rider}；{text}"
    else:
        text = f"{note}。[1]"
        if holder is not None and statement.text not in text:
            text += f"原文：{statement.text.rstrip('。')}。"
    if len(cited) > 1:
        text += "相关条款见[2]。"
    return Draft(I.VALIDITY, text, cited, derived=_period_words(statement))


# the words of a question that ask about a period rather than name the thing it is about
_PERIOD_GRAMS = re.compile(r"^(?:有效|效期|过期|到期|失效|执行|施行|实施|期限|截止|开始|结束|适用|现行|申请|申报|享受|兑现|政策|方案|办法)$")


#: Share of what is asked (the document's name and the period words aside) a rider sentence must hold.
RIDER_COVERAGE = 0.35


# a thing's own period inside a clause: "星级评定，结果有效期三年", "证书有效期为2年"
_OWN_PERIOD = re.compile(r"有效期(?:为|是)?(?:\d+|[一二两三四五六七八九十]+)(?:年|个月)")


def _own_period(topic_ctx: Context | None) -> Draft | None:
    """"星级评定评上了管几年": the period of the thing asked about, stated in its own clause, not the
    period of the document (which follows as a note)."""
    if topic_ctx is None:
        return None
    best, best_cov = None, 0.0
    for candidate, _score in topic_ctx.hits[:5]:
        for sentence in sentences(candidate.text):
            if not _OWN_PERIOD.search(sentence):
                continue
            cov = sentence_coverage(topic_ctx, sentence)
            if cov > best_cov:
                best, best_cov = (candidate, sentence), cov
    if best is None or best_cov < OWN_PERIOD_COVERAGE:
        return None
    holder, sentence = best
    return Draft(I.VALIDITY, f"{clean(sentence).rstrip('。；')}。[1]", [holder])


#: Share of the topic a sentence with its own 有效期 must hold to answer instead of the document's period.
OWN_PERIOD_COVERAGE = 0.5


def _rider(ctx: Context, holder: Clause | None, statement: str) -> str:
    """A sentence of the period's own clause, other than the statement, on what the question asks
    ("有效期满而相关扶持资金…尚未支付完毕的，应继续执行至全部完毕")."""
    topic = _topic(ctx)
    if holder is None or topic is None:
        return ""
    pool = [x for x in sentences(holder.text) if statement.strip("。 ") not in x and x.strip("。 ") not in statement]
    # the words naming the document ("某区港澳青年办法") say whose period, not what is asked of it
    title = ctx.library.document(holder.doc_id).title if ctx.library.document(holder.doc_id) else ""
    asked = replace(topic, grams=[g for g in topic.grams if g not in title])
    if not pool or sum(ctx.stats.idf(g) for g in asked.grams) < 3.0:
        return ""
    best = max(pool, key=lambda x: sentence_coverage(asked, x))
    return clean(best).rstrip("。；") if sentence_coverage(asked, best) >= RIDER_COVERAGE else ""


def _names_only_the_document(ctx: Context, title: str) -> bool:
    """The question asks about a whole document: nothing of it is left once its title's words and the
    period words are taken out."""
    topic = _topic(ctx)
    grams = topic.grams if topic is not None else [g for g in ctx.grams if not _PERIOD_GRAMS.match(g)]
    rest = [g for g in grams if g not in title]
    return len(rest) < len(grams) and sum(ctx.stats.idf(g) for g in rest) < 3.0


def _topic(ctx: Context) -> Context | None:
    """The question without its period words, when something is left to look for."""
    grams = [g for g in ctx.grams if not _PERIOD_GRAMS.match(g)]
    words = [w for w in ctx.words if not any(_PERIOD_GRAMS.match(w[i : i + 2]) for i in range(len(w) - 1))]
    if not grams or grams == ctx.grams or sum(ctx.stats.idf(g) for g in grams) < 3.0:
        return None
    return replace(ctx, grams=grams, words=words)


_STATEMENT_PART = re.compile(r"起(?:施行|执行|实施)|有效期|\d{4}年|之日起|至\d|止")


def _in_own_words(statement: str, note: str) -> str:
    """"本办法自印发之日起施行，有效期5年（2022年9月6日至2027年9月5日），现行有效": the statement's
    parts that speak of time, the dates the note computed when the statement names none, the status."""
    body = re.sub(r"^(?:第[一二三四五六七八九十百零\d]+条|（[一二三四五六七八九十\d]+）|[一二三四五六七八九十]+、|\d+[.、])\s*", "",
                  statement.strip().rstrip("。；"))
    if "〕" in body and _STATEMENT_PART.search(body.rsplit("〕", 1)[-1]):
        body = body.rsplit("〕", 1)[-1]  # the tail of a responsibility bracket the statement follows
    parts = [p for p in re.split(r"[，；]", body) if _STATEMENT_PART.search(p)] or [body]
    kept = "，".join(parts)
    status = note.rsplit("，", 1)[-1] if "，" in note else note
    dates = re.search(r"（[^（）]*\d{4}[^（）]*）", note)
    if dates and dates.group(0) not in kept and not re.search(r"\d{4}", kept.split("有效期")[-1]):
        kept += dates.group(0)
    return f"{kept}，{status}"


def _period_words(statement) -> list[str]:
    """Dates the validity note computes (自印发之日起…有效期5年 -> its end day): derived, not quoted."""
    out = []
    for iso_day in (statement.start_date, statement.end_date):
        if iso_day:
            y, m, d = (int(x) for x in iso_day.split("-"))
            out += [f"{y}年{m}月{d}日", f"{y}年底", f"{y}年"]
    return out


def target(ctx: Context) -> Draft | None:
    asked = I.asked_value(ctx.question)
    stated = asked[1] if asked else None

    def prefer(c: Clause) -> bool:  # "养老床位目标多少张": a clause that gives 张, before one with other targets
        return bool(stated.search(c.text)) if stated is not None else bool(c.targets)

    clause = pick(ctx, lambda c: bool(_TARGET.search(c.text)), prefer=prefer)
    if not confident(ctx, clause):
        return None
    assert clause is not None
    sentence = best_sentence(ctx, clause, _TARGET, bonus=0.5)
    if stated is not None and not stated.search(sentence):
        sentence = best_sentence(ctx, clause, stated, bonus=0.5, only_preferred=True)
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
