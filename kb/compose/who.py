"""谁牵头 / 由哪个部门负责: the lead unit from a table row, a bracket, or the clause's own words."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import (
    MONEY_OR_RATE,
    Context,
    Draft,
    best_sentence,
    confident,
    focus,
    matching_phrase,
    pick,
    row_of,
    short,
    strip_marker,
    without_head_number,
)
from kb.models import TASK_ROW, Clause

# "市委组织部为人才保障专班牵头单位"  "市民政部门是本市…的主管部门"  "由市经济合作工作领导小组办公室考核并提出…"
_ORG = r"[^，。；、：（）\n]{1,24}?(?:部门|局|委员会|委|办公室|办|中心|政府|办事处|公司|集团|管委会|小组)"
_ORG_ACTS = re.compile(rf"{_ORG}(?:对[^，。；]{{0,20}})?(?:负责|牵头|主管|承担|会同|监督|审核|制定|组织|计算|核定)")
_LEAD_STATEMENTS = [
    re.compile(r"(?P<unit>[^，。；、：]{2,24}?)为(?P<object>[^，。；]{2,40}?)的?牵头(?:单位|部门)"),
    re.compile(r"(?P<unit>[^，。；、：]{2,24}?)(?:是|为)(?P<object>[^，。；]{2,50}?)的?主管部门"),
    # "市自然资源规划局要发挥牵头揽总作用" (the object is the document's own subject)
    re.compile(rf"(?P<unit>{_ORG})(?:要|应当|应)?(?:发挥|承担|履行)(?P<object>牵头(?:揽总|抓总|统筹)?)(?:作用|职责|责任)"),
    # "市场监督管理部门负责长者饭堂食品安全的监督管理" (last: the forms above name the lead outright)
    re.compile(rf"(?P<unit>{_ORG})(?:负责|牵头负责|主管|承担|具体负责)(?P<object>[^。；]{{2,60}})"),
    re.compile(r"(?P<object>[^，。；]{0,40}?)由(?P<unit>[^，。；]{2,30}?)(?:牵头|负责|统筹|组织|考核|审核|会同|承担|主管|制定|联合制定|落实|兑现|出台|审定)(?P<rest>[^，。；]{0,40})"),
]


def _statement(ctx: Context, clause: Clause) -> tuple[float, str] | None:
    """The clause's own words naming who leads what, best matching the question."""
    total = sum(ctx.stats.idf(g) for g in ctx.grams) or 1.0
    best: tuple[float, str] | None = None
    for pattern in _LEAD_STATEMENTS:
        for m in pattern.finditer(clause.text):
            # read from the start of its phrase: a name the pattern could only take in part ("或重大社会影响的
            # 一般火灾事故由…负责") is quoted whole, without the clause's number
            begin = max(clause.text.rfind(mark, 0, m.start()) for mark in "，。；：\n") + 1
            phrase = without_head_number(clause.text[begin : m.end()])
            context = " ".join([ctx.stats.titles.get(clause.doc_id, ""), *clause.path, m.group(0)])
            score = ctx.stats.sentence_score(ctx.grams, context) / total
            if best is None or score > best[0]:
                best = (score, phrase)
    return best


def who_leads(ctx: Context) -> Draft | None:
    # 1. a sentence that itself says who leads the thing asked about
    statements = []
    for clause, _ in ctx.hits[:10]:
        found = _statement(ctx, clause)
        if found and found[0] >= 0.6:
            statements.append((found[0], clause, found[1]))
    clause = pick(ctx, lambda c: bool(c.lead_units or c.responsible_units))
    bracket_cov = ctx.coverage(clause) if clause is not None else 0.0
    if statements:
        score, holder, phrase = max(statements, key=lambda s: s[0])
        if score >= bracket_cov or clause is None:
            return Draft(I.WHO_LEADS, _with_amount(ctx, f"{phrase.strip('，')}。[1]", holder), [holder])
    if not confident(ctx, clause):
        return _sentence_naming_a_unit(ctx)
    assert clause is not None
    cited = [clause]
    lead, shared = clause.lead_units, clause.responsible_units
    if clause.kind == TASK_ROW:
        row = row_of(ctx.library, clause)
        body = ctx.library.clause(row.linked_clause_id) if row and row.linked_clause_id else None
        if body is not None:
            cited.append(body)
    elif not lead:
        rows = [r for r in ctx.library.task_rows(clause.doc_id) if r.linked_clause_id == clause.clause_id]
        rows.sort(key=lambda r: -ctx.stats.sentence_score(ctx.grams, r.content + r.task))
        # the row stands in for the clause only when it is about what the question names: a clause on
        # 人才住房 may restate several rows, none of them on housing
        total = sum(ctx.stats.idf(g) for g in ctx.grams) or 1.0
        if rows and ctx.stats.sentence_score(ctx.grams, rows[0].content + rows[0].task) / total < focus(ctx, clause) - 0.1:
            rows = []
        if rows and rows[0].lead_units:
            row_clause = ctx.library.clause(rows[0].clause_id)
            if row_clause is not None:
                cited = [row_clause, clause]
                lead, shared = row_clause.lead_units, row_clause.responsible_units
    first = cited[0]
    row = row_of(ctx.library, first)
    subject = matching_phrase(ctx, row.content or row.task) if row else short(strip_marker(first.title) or first.text)
    if lead:
        text = f"{subject}由{'、'.join(lead)}牵头"
        text += f"，{'、'.join(shared)}为责任单位。[1]" if shared else "。[1]"
    else:
        text = f"{subject}的责任单位为{'、'.join(shared)}（该条款未单列牵头单位）。[1]"
    if len(cited) > 1:
        text += "原文条款见[2]。"
    body = next((c for c in cited if c.kind != TASK_ROW), cited[0])
    return Draft(I.WHO_LEADS, _with_amount(ctx, text, body), cited)


def _with_amount(ctx: Context, text: str, clause: Clause) -> str:
    """"…谁牵头，补多少": the sum the clause names joins the lead in the first sentence."""
    if not I.asks_amount(ctx.question) or not MONEY_OR_RATE.search(clause.text):
        return text
    marker = "[1]" if "[1]" in text else ""
    sentence = best_sentence(ctx, clause, MONEY_OR_RATE, only_preferred=True).rstrip("。；，")
    if not MONEY_OR_RATE.search(sentence) or sentence in text:
        return text
    head, _sep, rest = text.partition("。" + marker)
    marker_index = int(marker.strip("[]")) if marker else 1
    return f"{head}；{sentence}。[{marker_index}]{rest}"


def _sentence_naming_a_unit(ctx: Context) -> Draft | None:
    """No bracket or table answers: the best clause's sentence that names an organisation, read out."""
    clause = pick(ctx, lambda c: bool(_ORG_ACTS.search(c.text)))
    if not confident(ctx, clause):
        return None
    assert clause is not None
    sentence = best_sentence(ctx, clause, _ORG_ACTS, only_preferred=True)
    if not _ORG_ACTS.search(sentence):
        return None
    return Draft(I.WHO_LEADS, f"{sentence}[1]", [clause])
