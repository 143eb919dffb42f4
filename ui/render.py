"""HTML for the Gradio app: answer cards, search hits, unit views, clause trees, document tables.

Pure functions over the answering API's objects (Answer, Citation, Clause, Document). Every piece of
document text, question, file name or unit name goes through `esc` (html.escape) before it is placed in
markup, so a document containing `<script>` shows it as text.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from kb.models import PREAMBLE, TASK_ROW, Answer, Citation, Clause, Document

INTENT_NAMES = {
    "who_leads": "牵头单位",
    "unit_tasks": "部门职责",
    "incentive": "奖励与补贴",
    "validity": "有效期",
    "target": "目标指标",
    "condition": "申报条件",
    "keyword": "条款原文",
}

PREAMBLE_TITLE = "文头与前言"
ROW_HEADERS = ("序号", "工作任务", "主要内容", "牵头单位", "责任单位")

# question words and fillers that should not light up in a clause
_FILLER = re.compile(
    r"请问|您好|你好|我们|我司|咱们|想问|问一下|一下|能不能|可不可以|可以|是否|有没有|多少钱|多少|什么|哪些|哪个|怎么|如何|"
    r"为什么|为啥|谁|吗|呢|吧|啊|呀|的|了|是|有|和|与|及|要|能|拿|给|还|都|该|这个|那个|现在|今年|知道|告诉|说说|具体|相关|关于"
)


def esc(value: object) -> str:
    """html.escape, quotes included (safe in text and in attribute values)."""
    return html.escape("" if value is None else str(value), quote=True)


# -- highlighting -----------------------------------------------------------------------------------


def _alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def query_terms(query: str) -> set[str]:
    """What to highlight for a query: every piece of 2+ characters of its word runs that does not cut a
    number or a Latin word in two ("1亿元", "亿元", "5G", "东数西算" ...)."""
    terms: set[str] = set()
    cleaned = _FILLER.sub(" ", query or "")
    for run in re.findall(r"[\u4e00-\u9fffA-Za-z0-9.%+]+", cleaned):
        run = run.lower().strip(".+")
        for i in range(len(run)):
            if i > 0 and _alnum(run[i - 1]) and _alnum(run[i]):
                continue
            for j in range(i + 2, min(len(run), i + 16) + 1):
                if j < len(run) and _alnum(run[j - 1]) and _alnum(run[j]):
                    continue
                terms.add(run[i:j])
    return terms


def highlight(text: str, terms: Iterable[str]) -> str:
    """Escaped `text` with the longest matches of `terms` wrapped in <mark> (case-insensitive); a match
    never starts or ends inside a number or a Latin word."""
    terms = {t.lower() for t in terms if t}
    if not text:
        return ""
    if not terms:
        return esc(text)
    longest = max(len(t) for t in terms)
    lower = text.lower()
    marks: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        hit = 0
        if not (i > 0 and _alnum(lower[i - 1]) and _alnum(lower[i])):
            for n in range(min(longest, len(text) - i), 0, -1):
                end = i + n
                if end < len(text) and _alnum(lower[end - 1]) and _alnum(lower[end]):
                    continue
                if lower[i:end] in terms:
                    hit = n
                    break
        if hit:
            if marks and marks[-1][1] == i:
                marks[-1] = (marks[-1][0], i + hit)
            else:
                marks.append((i, i + hit))
            i += hit
        else:
            i += 1
    out, pos = [], 0
    for start, end in marks:
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def clause_body(text: str, terms: Iterable[str] = (), *, row: bool | str | None = False) -> str:
    """A clause's text as HTML: a table row (tab-separated cells) becomes a small table.

    `row` is False/None for a body clause; True or the row's filled-down 工作任务 (from a merged cell,
    shown greyed where the printed cell is empty) for a responsibility-table row.
    """
    terms = set(terms)
    if row not in (None, False) and "\t" in text:
        cells = text.split("\t")
        five = len(cells) == len(ROW_HEADERS)
        heads = ROW_HEADERS if five else ("",) * len(cells)
        tds = []
        for i, (h, c) in enumerate(zip(heads, cells, strict=True)):
            shown = highlight(c.strip(), terms)
            if not shown and five and i == 1 and isinstance(row, str) and row:
                shown = f'<span class="pk-filled" title="合并单元格，沿用上一行">{esc(row)}</span>'
            tds.append(f'<td class="c{i if five else ""}"><span class="pk-cell-head">{esc(h)}</span>{shown or "—"}</td>')
        return f'<table class="pk-row{" five" if five else ""}"><tr>{"".join(tds)}</tr></table>'
    return f'<div class="pk-text">{highlight(text.replace(chr(9), " "), terms)}</div>'


# -- validity -----------------------------------------------------------------------------------------


def validity_badge(in_force: bool | None, note: str) -> str:
    """现行有效 / 已过期（period） / 尚未施行 / 未载明有效期, with the full note as a tooltip."""
    m = re.search(r"有效期为(.+?)(?:，|$)", note or "")
    period = f"（{m.group(1)}）" if m else ""
    if in_force is True:
        cls, text = "ok", f"现行有效{period}"
    elif in_force is False and "尚未" in (note or ""):
        cls, text = "pending", f"尚未施行{period}"
    elif in_force is False:
        cls, text = "expired", f"已过期{period}"
    else:
        cls, text = "unknown", "未载明有效期"
    return f'<span class="pk-badge {cls}" title="{esc(note)}">{esc(text)}</span>'


def citation_text(c: Citation) -> str:
    """The plain-text citation put on the clipboard by 复制引用."""
    number = f"（{c.doc_number}）" if c.doc_number else ""
    path = " > ".join(c.path)
    where = f"{c.label}" + (f"，{path}" if path else "")
    body = re.sub(r"\t+", " ", c.text).strip()
    return f"《{c.doc_title}》{number}{where}：{body}"


def copy_button(c: Citation) -> str:
    return f'<button type="button" class="pk-copy" data-cite="{esc(citation_text(c))}">复制引用</button>'


# -- answers -------------------------------------------------------------------------------------------


def _row_of(clause: Clause, row_task: Callable[[str], str | None]) -> str | bool:
    if clause.kind != TASK_ROW:
        return False
    return row_task(clause.clause_id) or True


def _answer_text(answer: str) -> str:
    """Escaped answer with [n] turned into links that open citation n."""
    return re.sub(
        r"\[(\d{1,3})\]",
        lambda m: f'<a href="#" class="pk-ref" data-n="{m.group(1)}">[{m.group(1)}]</a>',
        esc(answer),
    )


def neighbours_html(clause_id: str, neighbours: Sequence[Clause], terms: Iterable[str],
                    row_task: Callable[[str], str | None] = lambda _cid: None) -> str:
    if not neighbours:
        return '<div class="pk-muted">原文上下文不可用。</div>'
    parts = []
    for n in neighbours:
        current = n.clause_id == clause_id
        body = clause_body(n.text, terms if current else (), row=_row_of(n, row_task))
        parts.append(
            f'<div class="pk-ctx-item{" current" if current else ""}">'
            f'<span class="pk-label">{esc(n.label)}</span>{body}</div>'
        )
    return "".join(parts)


def citation_card(
    n: int,
    c: Citation,
    terms: Iterable[str],
    neighbours: Sequence[Clause] = (),
    *,
    maybe: bool = False,
    row_task: Callable[[str], str | None] = lambda _cid: None,
    open_: bool = False,
) -> str:
    terms = set(terms)
    row = row_task(c.clause_id)
    path = " > ".join(c.path)
    tag = '<span class="pk-tag maybe">可能相关</span>' if maybe else ""
    number = f'<span class="pk-docno">{esc(c.doc_number)}</span>' if c.doc_number else ""
    return (
        f'<details class="pk-cite" data-n="{n}"{" open" if open_ else ""}>'
        f'<summary><span class="pk-n">[{n}]</span>{tag}<span class="pk-label">{esc(c.label)}</span>'
        f'<span class="pk-doc">《{esc(c.doc_title)}》</span>{number}{validity_badge(c.in_force, c.validity_note)}</summary>'
        f'<div class="pk-cite-body">'
        f'<div class="pk-path">{esc(path) or "（无章节）"}</div>'
        f"{clause_body(c.text, terms, row=row)}"
        f'<div class="pk-actions">{copy_button(c)}'
        f'<details class="pk-ctx"><summary>在原文中查看</summary>'
        f"{neighbours_html(c.clause_id, neighbours, terms, row_task)}</details></div>"
        f"</div></details>"
    )


def answer_card(
    answer: Answer,
    neighbours: Callable[[str], Sequence[Clause]],
    row_task: Callable[[str], str | None] = lambda _cid: None,
    latency_ms: float | None = None,
) -> str:
    terms = query_terms(answer.question)
    maybe = not answer.found
    cites = "".join(
        citation_card(i, c, terms, neighbours(c.clause_id), maybe=maybe, row_task=row_task,
                      open_=(i == 1 and answer.found and len(answer.citations) <= 3))
        for i, c in enumerate(answer.citations, 1)
    )
    warnings = "".join(f"<li>{esc(w)}</li>" for w in answer.warnings)
    warnings = f'<ul class="pk-warnings">{warnings}</ul>' if warnings else ""
    timing = f'<span class="pk-muted">用时 {latency_ms:.0f} 毫秒</span>' if latency_ms is not None else ""
    question = f'<div class="pk-question">问：{esc(answer.question)}</div>'
    if answer.found:
        head = (f'<div class="pk-answer-head"><span class="pk-status ok">已找到</span>'
                f'<span class="pk-intent">{esc(INTENT_NAMES.get(answer.intent, answer.intent))}</span>{timing}</div>')
        label = f'<div class="pk-cites-head">引用条款（{len(answer.citations)}）</div>' if cites else ""
        return (f'<div class="pk-answer found">{head}{question}<div class="pk-answer-text">{_answer_text(answer.answer)}</div>'
                f"{warnings}{label}{cites}</div>")
    head = f'<div class="pk-answer-head"><span class="pk-status none">未找到</span>{timing}</div>'
    label = f'<div class="pk-cites-head">以下条款可能相关（{len(answer.citations)}），仅供参考：</div>' if cites else ""
    return (f'<div class="pk-answer notfound">{head}{question}<div class="pk-answer-text">{esc(answer.answer)}</div>'
            f"{warnings}{label}{cites}</div>")


def message_card(text: str, kind: str = "info") -> str:
    return f'<div class="pk-message {esc(kind)}">{esc(text)}</div>'


_OUTCOMES = itertools.count(1)


def numbered(content: str) -> str:
    """An event's outcome (an answer, an action's message) under a number no earlier outcome had: the
    page (and a browser test) tells a new outcome from the previous one still on screen, even when the
    text is the same or a tab switch re-renders the old one."""
    return f'<div class="pk-outcome" data-outcome="{next(_OUTCOMES)}">{content}</div>'


# -- search ------------------------------------------------------------------------------------------


def search_results(
    query: str,
    hits: Sequence,
    neighbours: Callable[[str], Sequence[Clause]],
    row_task: Callable[[str], str | None] = lambda _cid: None,
    latency_ms: float | None = None,
    filters_text: str = "",
) -> str:
    """``hits`` are ui.service.SearchHit (citation, similarity, coverage) or bare Citations."""
    terms = query_terms(query)
    timing = f"，用时 {latency_ms:.0f} 毫秒" if latency_ms is not None else ""
    filt = f"（筛选：{esc(filters_text)}）" if filters_text else ""
    if not hits:
        return (f'<div class="pk-search pk-search-none"><div class="pk-search-head">未找到相关条款：没有条款与“{esc(query)}”'
                f"足够相关{filt}。可以换个说法、换个关键词，或放宽筛选条件。</div></div>")
    head = (f'<div class="pk-search-head">“{esc(query)}”：{len(hits)} 条结果{filt}{timing}'
            f'<span class="pk-muted">（只列出达到相关度门槛的条款）</span></div>')
    items = []
    for i, hit in enumerate(hits, 1):
        c = getattr(hit, "citation", hit)
        if hasattr(hit, "similarity"):
            figures = (f"语义相似度 {hit.similarity:.2f} · 关键词覆盖 {hit.coverage:.0%}")
        else:
            figures = f"排序分 {c.score:.3f}"
        items.append(
            f'<div class="pk-hit"><div class="pk-hit-head"><span class="pk-n">{i}</span>'
            f'<span class="pk-label">{esc(c.label)}</span><span class="pk-path">{esc(" > ".join(c.path))}</span>'
            f"{validity_badge(c.in_force, c.validity_note)}</div>"
            f'<div class="pk-hit-doc">《{esc(c.doc_title)}》{esc(c.doc_number)}'
            f'<span class="pk-muted pk-figures" title="语义相似度：问题与条款的向量余弦（0–1）；关键词覆盖：问题的二字词在条款中出现的比例"> {figures}</span></div>'
            f"{clause_body(c.text, terms, row=row_task(c.clause_id))}"
            f'<div class="pk-actions">{copy_button(c)}<details class="pk-ctx"><summary>在原文中查看</summary>'
            f"{neighbours_html(c.clause_id, neighbours(c.clause_id), terms, row_task)}</details></div></div>"
        )
    return f'<div class="pk-search">{head}{"".join(items)}</div>'


# -- units --------------------------------------------------------------------------------------------


@dataclass
class UnitItem:
    """One task of a unit as shown: the clause, its role, and what makes it readable."""

    clause: Clause
    role: str  # "lead" | "shared"
    summary: str
    linked_label: str = ""  # the body clause a table row restates
    row_task: str = ""  # a table row's filled-down 工作任务


@dataclass
class UnitView:
    unit: str
    items: list[UnitItem] = field(default_factory=list)


def units_overview(table: dict[str, tuple[int, int]]) -> str:
    """All units with their counts (shown before a unit is picked)."""
    if not table:
        return message_card("知识库中还没有识别出任何单位。", "info")
    rows = "".join(
        f"<tr><td>{esc(u)}</td><td>{lead}</td><td>{shared}</td></tr>"
        for u, (lead, shared) in sorted(table.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    )
    return (f'<div class="pk-units-overview"><div class="pk-search-head">共 {len(table)} 个单位。'
            f"在上方选择或输入单位名称，查看其牵头和参与的全部任务。</div>"
            f'<table class="pk-table"><thead><tr><th>单位</th><th>牵头（条）</th><th>参与（条）</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def unit_view(view: UnitView, documents: dict[str, Document]) -> str:
    if not view.items:
        return message_card(f"知识库中没有找到“{view.unit}”牵头或参与的任务。请从列表中选择单位名称。", "warn")
    lead = [it for it in view.items if it.role == "lead"]
    shared = [it for it in view.items if it.role == "shared"]
    out = [f'<div class="pk-unit"><div class="pk-unit-head"><span class="pk-unit-name">{esc(view.unit)}</span>'
           f'<span class="pk-count lead">牵头 {len(lead)} 项</span><span class="pk-count shared">参与 {len(shared)} 项</span></div>']
    for role, items, title in (("lead", lead, "牵头的任务"), ("shared", shared, "参与（作为责任单位）的任务")):
        if not items:
            continue
        out.append(f'<div class="pk-role {role}"><h3>{title}（{len(items)}）</h3>')
        by_doc: dict[str, list[UnitItem]] = {}
        for it in items:
            by_doc.setdefault(it.clause.doc_id, []).append(it)
        for doc_id, doc_items in by_doc.items():
            doc = documents.get(doc_id)
            name = f"《{doc.title}》{doc.number}" if doc else doc_id
            out.append(f'<div class="pk-unit-doc"><div class="pk-unit-doc-head">{esc(name)}'
                       f'<span class="pk-muted">（{len(doc_items)} 项）</span></div>')
            by_chapter: dict[str, list[UnitItem]] = {}
            for it in doc_items:
                by_chapter.setdefault(" > ".join(it.clause.path) or "（无章节）", []).append(it)
            for chapter, ch_items in by_chapter.items():
                out.append(f'<div class="pk-chapter"><div class="pk-chapter-head">{esc(chapter)}'
                           f'<span class="pk-muted">（{len(ch_items)}）</span></div><ul>')
                for it in ch_items:
                    c = it.clause
                    others = [u for u in c.lead_units if u != view.unit]
                    partners = [u for u in c.responsible_units if u != view.unit]
                    extra = []
                    if it.role == "shared" and c.lead_units:
                        extra.append(f"牵头：{'、'.join(c.lead_units)}")
                    elif others:
                        extra.append(f"共同牵头：{'、'.join(others)}")
                    if partners:
                        extra.append(f"责任单位：{'、'.join(partners)}")
                    if it.linked_label:
                        extra.append(f"对应正文：{it.linked_label}")
                    meta = f'<div class="pk-muted">{esc("；".join(extra))}</div>' if extra else ""
                    out.append(
                        f'<li><details><summary><span class="pk-label">{esc(c.label)}</span>{esc(it.summary)}</summary>'
                        f"{meta}{clause_body(c.text, (view.unit,), row=(it.row_task or True) if c.kind == TASK_ROW else False)}</details></li>"
                    )
                out.append("</ul></div>")
            out.append("</div>")
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


# -- browsing -------------------------------------------------------------------------------------------


@dataclass
class _Node:
    title: str
    clause: Clause | None = None
    children: list[_Node] = field(default_factory=list)


def clause_tree(clauses: Sequence[Clause]) -> list[_Node]:
    """Nodes by parent_id; clauses with a heading path but no parent (table rows) under synthetic headings."""
    roots: list[_Node] = []
    by_id: dict[str, _Node] = {}
    synthetic: dict[tuple[str, ...], _Node] = {}
    preamble: _Node | None = None

    def holder(path: Sequence[str]) -> list[_Node]:
        siblings = roots
        for i in range(1, len(path) + 1):
            key = tuple(path[:i])
            if key not in synthetic:
                synthetic[key] = _Node(title=path[i - 1])
                siblings.append(synthetic[key])
            siblings = synthetic[key].children
        return siblings

    for c in sorted(clauses, key=lambda c: c.seq):
        node = _Node(title=c.title, clause=c)
        by_id[c.clause_id] = node
        if c.parent_id and c.parent_id in by_id:
            by_id[c.parent_id].children.append(node)
        elif c.kind == PREAMBLE:
            if preamble is None:
                preamble = _Node(title=PREAMBLE_TITLE)
                roots.append(preamble)
            preamble.children.append(node)
        else:
            (holder(c.path) if c.path else roots).append(node)
            if c.kind == "heading" and c.title:  # later rows whose path runs through this heading hang here
                synthetic.setdefault((*c.path, c.title), node)
    return roots


def _tree_html(nodes: Sequence[_Node], depth: int, row_task: Callable[[str], str | None]) -> str:
    out = []
    for node in nodes:
        c = node.clause
        kids = _tree_html(node.children, depth + 1, row_task) if node.children else ""
        if c is None:
            opened = " open" if depth == 0 and node.title != PREAMBLE_TITLE else ""
            out.append(f'<details class="pk-node heading"{opened}><summary>{esc(node.title)}'
                       f'<span class="pk-muted">（{len(node.children)}）</span></summary>'
                       f'<div class="pk-children">{kids}</div></details>')
            continue
        units = f'<span class="pk-lead">牵头：{esc("、".join(c.lead_units))}</span>' if c.lead_units else ""
        title = c.title if c.title and c.kind != TASK_ROW else re.sub(r"\s+", " ", c.text)[:60]
        if c.kind == TASK_ROW:
            cells = [x.strip() for x in c.text.split("\t") if x.strip()]
            title = cells[1] if len(cells) > 1 and not cells[1].startswith("（") else (cells[2] if len(cells) > 2 else title)
            title = title[:60]
        count = f'<span class="pk-muted">（{len(node.children)}）</span>' if node.children else ""
        label = "" if c.label in title else f'<span class="pk-label">{esc(c.label)}</span>'
        body = ""
        if c.kind != "heading" or len(c.text.strip()) > len(c.label) + len(c.title) + 4:
            body = (f'<div class="pk-node-body">{clause_body(c.text, row=_row_of(c, row_task))}'
                    f'<div class="pk-path">{esc(" > ".join(c.path))}</div></div>')
        out.append(
            f'<details class="pk-node {esc(c.kind)}" data-clause="{esc(c.clause_id)}"{" open" if depth == 0 and kids else ""}>'
            f'<summary>{label}{esc(title)}{count}{units}</summary>'
            f"{body}"
            f'{f"<div class=pk-children>{kids}</div>" if kids else ""}</details>'
        )
    return "".join(out)


def document_header(doc: Document, counts: tuple[int, int], validity: str) -> str:
    issued = f"　印发：{esc(doc.issue_date)}" if doc.issue_date else ""
    return (f'<div class="pk-doc-head"><div class="pk-doc-title">{esc(doc.title)}</div>'
            f'<div class="pk-muted">{esc(doc.number or "（无文号）")}　发文机关：{esc(doc.issuer or "未识别")}{issued}　'
            f"有效期：{esc(validity)}　条款 {counts[0]}　表格行 {counts[1]}　格式 {esc(doc.source_format.upper())}</div></div>")


def document_tree(doc: Document, clauses: Sequence[Clause], counts: tuple[int, int], validity: str,
                  row_task: Callable[[str], str | None] = lambda _cid: None) -> str:
    tree = _tree_html(clause_tree(clauses), 0, row_task)
    hint = '<div class="pk-muted">点击条款标题展开原文；点击章节折叠或展开。</div>'
    return f'<div class="pk-browse">{document_header(doc, counts, validity)}{hint}<div class="pk-tree">{tree}</div></div>'


# -- documents and uploads ----------------------------------------------------------------------------


def validity_summary(doc: Document) -> str:
    if not doc.validity:
        return "未载明"
    return "；".join(f"{v.scope} {v.start_date or '?'} 至 {v.end_date or '?'}" for v in doc.validity)


def documents_table(docs: Sequence[tuple[Document, tuple[int, int]]]) -> str:
    if not docs:
        return message_card("知识库中还没有文件。请在上方上传政策文件。", "info")
    rows = "".join(
        f"<tr><td>{esc(d.title)}</td><td>{esc(d.number or '—')}</td><td>{esc(d.issuer or '—')}</td>"
        f"<td>{esc(validity_summary(d))}</td><td>{n[0]}</td><td>{n[1]}</td><td>{esc(d.source_format.upper())}</td>"
        f"<td><code>{esc(d.doc_id)}</code></td></tr>"
        for d, n in docs
    )
    return (f'<div class="pk-docs"><div class="pk-search-head">已收录 {len(docs)} 个文件</div>'
            f'<table class="pk-table"><thead><tr><th>标题</th><th>文号</th><th>发文机关</th><th>有效期</th>'
            f"<th>条款</th><th>表格行</th><th>格式</th><th>编号</th></tr></thead><tbody>{rows}</tbody></table></div>")


def ingest_reports(reports: Sequence[dict]) -> str:
    """One line per uploaded file: counts and warnings, or the file name and the reason it failed."""
    if not reports:
        return ""
    items = []
    for r in reports:
        if r.get("ok"):
            warn = "".join(f"<li>{esc(w)}</li>" for w in r.get("warnings") or [])
            warn = f'<ul class="pk-warnings">{warn}</ul>' if warn else ""
            replaced = "（已替换同一文件的旧版本）" if r.get("replaced") else ""
            items.append(
                f'<div class="pk-report ok"><b>{esc(r["name"])}</b>：已导入《{esc(r.get("title"))}》'
                f'{esc(r.get("number") or "")}，条款 {r.get("clauses", 0)} 条，表格行 {r.get("rows", 0)} 行{esc(replaced)}'
                f"{warn}</div>"
            )
        else:
            items.append(f'<div class="pk-report error"><b>{esc(r["name"])}</b>：导入失败。{esc(r.get("error"))}</div>')
    return f'<div class="pk-reports">{"".join(items)}</div>'


# -- sign-in, users, audit log -------------------------------------------------------------------------


def user_bar(viewer, authority) -> str:
    """Who is signed in, with a sign-out form (a POST carrying the session's CSRF token)."""
    if viewer is None:
        return ""
    if viewer.local:
        note = ("本机模式：尚未创建用户，本机访问者即管理员。创建第一位管理员：policykb user add 用户名 --role admin"
                if authority is not None else "本机模式")
        return f'<div class="pk-userbar" data-admin="1"><span class="pk-user">{esc(note)}</span></div>'
    if not viewer.csrf:
        return ('<div class="pk-userbar"><span class="pk-user">访客（只读提问与检索）</span>'
                '<a class="pk-login-link" href="login">登录</a></div>')
    admin = ' data-admin="1"' if viewer.is_admin else ""
    return (f'<div class="pk-userbar"{admin}><span class="pk-user">当前用户：{esc(viewer.name)}（{esc(viewer.role_text)}）</span>'
            f'<form method="post" action="logout" class="pk-logout"><input type="hidden" name="csrf_token" '
            f'value="{esc(viewer.csrf)}"><button type="submit" id="pk-logout">退出登录</button></form></div>')


def users_table(users: Sequence) -> str:
    if not users:
        return message_card("还没有用户。", "info")
    rows = "".join(f"<tr><td>{esc(u.name)}</td><td>{esc(u.role_text)}</td><td>{esc(u.created_at)}</td></tr>"
                   for u in users)
    return (f'<div class="pk-docs"><div class="pk-search-head">用户 {len(users)} 位</div><table class="pk-table">'
            f"<thead><tr><th>用户名</th><th>角色</th><th>创建时间</th></tr></thead><tbody>{rows}</tbody></table></div>")


def audit_table(entries: Sequence) -> str:
    if not entries:
        return message_card("审计日志中还没有记录。", "info")
    rows = "".join(f"<tr><td>{esc(e.at)}</td><td>{esc(e.actor)}</td><td>{esc(e.action_text)}</td>"
                   f"<td>{esc(e.target)}</td><td>{esc(e.detail)}</td></tr>" for e in entries)
    return (f'<div class="pk-docs pk-audit"><div class="pk-search-head">审计日志（最近 {len(entries)} 条，只能追加）</div>'
            f'<table class="pk-table"><thead><tr><th>时间</th><th>操作人</th><th>操作</th><th>对象</th><th>说明</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>")
