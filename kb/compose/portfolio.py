"""某单位负责哪些任务: every row and clause naming the unit, split into 牵头 and 参与, counted, cited."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import Context, Draft, row_of, task_name
from kb.confidence import content_grams
from kb.models import Clause

_ROLE_WORDS = re.compile(r"牵头|负责|参与|配合|承担|任务|职责|工作|事项|哪些|哪几项|几项|什么|啥|都|了|的|在|里|中|方面|部分|有")


def _dedupe(ctx: Context, lead: list[Clause], shared: list[Clause]) -> tuple[list[Clause], list[Clause]]:
    """A body clause restated by a table row that names the unit counts once, as the row."""
    covered = set()
    for c in lead + shared:
        row = row_of(ctx.library, c)
        if row is not None and row.linked_clause_id:
            covered.add(row.linked_clause_id)
    lead = [c for c in lead if c.clause_id not in covered]
    shared = [c for c in shared if c.clause_id not in covered and c not in lead]
    return lead, shared


def _topic_filter(ctx: Context, unit: str, clauses: list[Clause]) -> tuple[list[Clause], bool]:
    """Keep the tasks on the topic the question names ("数据要素方面", "政策措施部分"), if any match."""
    rest = ctx.question.replace(unit, " ")
    rest = re.sub(r"^(市|区|县)", "", rest)
    core = re.sub(r"^(市|区|县|省)", "", unit)
    rest = rest.replace(core, " ")
    grams = content_grams(_ROLE_WORDS.sub(" ", rest))
    grams = [g for g in grams if ctx.stats.idf(g) > 1.0]
    if not grams:
        return clauses, False
    total = sum(ctx.stats.idf(g) for g in grams)
    kept = [c for c in clauses if ctx.stats.coverage(grams, c) * total >= 0.5 * total]
    return (kept, True) if kept else (clauses, False)


def unit_tasks(ctx: Context, unit: str) -> Draft | None:
    roles = ctx.library.units().get(unit)
    if not roles:
        return None
    lead, shared = list(roles["lead"]), list(roles["shared"])
    if ctx.doc_id:
        lead = [c for c in lead if c.doc_id == ctx.doc_id]
        shared = [c for c in shared if c.doc_id == ctx.doc_id]
    lead, shared = _dedupe(ctx, lead, shared)
    lead, narrowed = _topic_filter(ctx, unit, lead)
    shared, narrowed_shared = _topic_filter(ctx, unit, shared)
    if "牵头" in ctx.question and lead:
        shared = [] if not narrowed_shared else shared
    if not lead and not shared:
        return None
    docs = _documents_by_relevance(ctx, lead + shared)
    parts: list[str] = []
    cited: list[Clause] = []
    for doc_id in docs:
        doc = ctx.library.document(doc_id)
        title = f"《{doc.title}》" if doc else ""
        doc_lead = sorted((c for c in lead if c.doc_id == doc_id), key=lambda c: c.seq)
        doc_shared = sorted((c for c in shared if c.doc_id == doc_id), key=lambda c: c.seq)
        pieces = [_listing(ctx, role, group, cited) for role, group in (("牵头", doc_lead), ("参与", doc_shared)) if group]
        parts.append(f"在{title}中，{unit}" + "；".join(pieces) if len(docs) > 1 else f"{unit}" + "；".join(pieces))
    if len(docs) > 1:
        # the count, then the most relevant document's tasks in the same first sentence
        text = f"{unit}共牵头{len(lead)}项、参与{len(shared)}项任务，涉及{len(docs)}份文件：" + "。".join(parts) + "。"
    else:
        text = "。".join(parts) + "。"
    return Draft(I.UNIT_TASKS, text, cited, derived=[str(len(lead)), str(len(shared)), str(len(docs))] + [
        str(sum(c.doc_id == d for c in lead)) for d in docs] + [str(sum(c.doc_id == d for c in shared)) for d in docs])


def _documents_by_relevance(ctx: Context, clauses: list[Clause]) -> list[str]:
    """The documents holding the unit's tasks, the one the question's search ranks first leading;
    the rest by how many tasks the unit leads there, then in the KB's own order."""
    first_hit: dict[str, int] = {}
    mine = {c.clause_id for c in clauses}
    for rank, (clause, _score) in enumerate(ctx.hits):
        if clause.clause_id in mine:
            first_hit.setdefault(clause.doc_id, rank)
    order = {d.doc_id: i for i, d in enumerate(ctx.library.documents())}
    counts: dict[str, int] = {}
    for c in clauses:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    return sorted(counts, key=lambda d: (first_hit.get(d, len(ctx.hits)), -counts[d], order.get(d, len(order))))


def _listing(ctx: Context, role: str, clauses: list[Clause], cited: list[Clause]) -> str:
    """"牵头3项：A[1]；B[2]；C[3]", numbering on from the clauses already cited."""
    items = []
    for c in clauses:
        cited.append(c)
        items.append(f"{task_name(ctx.library, c)}[{len(cited)}]")
    return f"{role}{len(clauses)}项：" + "；".join(items)
