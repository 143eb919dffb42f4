"""Turn reader output into a ParsedDocument: normalise, segment, extract fields, link table rows."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path

from kb.amounts import find_amounts, find_incentive
from kb.conventions import find_convention
from kb.dates import find_dates, find_targets, find_validity
from kb.header import read_header
from kb.models import BODY, PREAMBLE, TASK_ROW, Clause, Document, ParsedDocument, TaskRow
from kb.normalize import cut_boilerplate, fold, normalize
from kb.segment import segment
from kb.units import by_convention, cell_units, find_responsibility


def document_key(number: str, title: str) -> str:
    """What makes two files the same document: the 文号, else the title."""
    key = number or re.sub(r"\s", "", title)
    return key


def make_doc_id(number: str, title: str) -> str:
    return "d" + hashlib.sha1(document_key(number, title).encode("utf-8")).hexdigest()[:10]


#: Two titles read from files with one 文号 name the same document when this share of their character
#: bigrams agree (the TXT and PDF of one plan agree fully; a related page that quotes the 文号 does not).
SAME_TITLE_OVERLAP = 0.5


def same_document(a: Document, b: Document) -> bool:
    """Whether two files of one document id are one document: the same bytes, or titles that agree when
    both have one (a 文号 misread from a page's footer must not make one document replace another). The
    key itself is not compared again: a stored document carries its corrected 文号."""
    if a.sha256 and a.sha256 == b.sha256:
        return True
    ga, gb = _bigrams(a.title), _bigrams(b.title)
    if not ga or not gb:
        return True
    return len(ga & gb) / len(ga | gb) >= SAME_TITLE_OVERLAP


def distinct_doc_id(doc: Document) -> str:
    """The id of a document whose 文号 collides with another document's: 文号 and title together."""
    title = re.sub(r"\s", "", doc.title)
    return "d" + hashlib.sha1(f"{doc.number}|{title}".encode()).hexdigest()[:10]


def same_number_warning(other: Document) -> str:
    return f"文号{other.number}已用于《{other.title}》，两者标题不同，本文件另行收录；请核对文号"


def with_doc_id(parsed: ParsedDocument, doc_id: str) -> ParsedDocument:
    """The same parsed document under another id (clause, row and parent ids follow)."""
    old = parsed.document.doc_id

    def move(ref: str | None) -> str | None:
        return doc_id + ref[len(old) :] if ref and ref.startswith(old + "#") else ref

    clauses = [replace(c, clause_id=move(c.clause_id), doc_id=doc_id, parent_id=move(c.parent_id)) for c in parsed.clauses]
    rows = [
        replace(r, row_id=move(r.row_id), doc_id=doc_id, clause_id=move(r.clause_id),
                linked_clause_id=move(r.linked_clause_id))
        for r in parsed.task_rows
    ]
    incentives = [replace(i, clause_id=move(i.clause_id)) for i in parsed.incentives]
    validity = [replace(v, clause_id=move(v.clause_id) or "") for v in parsed.document.validity]
    document = replace(parsed.document, doc_id=doc_id, validity=validity)
    return replace(parsed, document=document, clauses=clauses, task_rows=rows, incentives=incentives)


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _cell(cells: list[str], header: dict[str, int], key: str) -> str:
    col = header.get(key, -1)
    return cells[col].strip() if 0 <= col < len(cells) else ""


def _clean_task(task: str) -> str:
    return re.sub(r"^（([一二三四五六七八九十]+)）\s*", r"（\1）", task.strip())


def parse_text(raw: str, source_path: str, fmt: str, warnings: list[str] | None = None) -> ParsedDocument:
    """Everything policykb knows about one document, computed from its text alone."""
    text = normalize(raw)
    _body, tail = cut_boilerplate(fold(raw))
    header = read_header(text, tail, fallback_title=Path(source_path).stem)
    doc_id = make_doc_id(header.number, header.title)
    segments = segment(text)
    convention = find_convention(text)  # the document's own rule for who leads in its lists
    clauses: list[Clause] = []
    rows: list[TaskRow] = []
    last_task = ""
    whole_resp: dict[tuple[int, int], object] = {}
    for seq, seg in enumerate(segments):
        clause_text = text[seg.start : seg.end]
        clause = Clause(
            clause_id=f"{doc_id}#{seg.label}",
            doc_id=doc_id,
            label=seg.label,
            level=seg.level,
            kind=seg.kind,
            title=seg.title,
            path=list(seg.path),
            text=clause_text,
            start=seg.start,
            end=seg.end,
            seq=seq,
            parent_id=f"{doc_id}#{segments[seg.parent_index].label}" if seg.parent_index is not None else None,
        )
        if seg.kind == TASK_ROW:
            task = _clean_task(_cell(seg.table_cells, seg.table_header, "task")) or last_task
            last_task = task
            marked, lead = cell_units(_cell(seg.table_cells, seg.table_header, "lead"))
            marked_shared, shared = cell_units(_cell(seg.table_cells, seg.table_header, "resp"))
            lead = marked + lead if marked else lead
            if not lead and marked_shared:  # one 责任单位 column: "市发改委（牵头）、市财政局"
                lead = marked_shared
            elif not lead and shared and "lead" not in seg.table_header:
                read = by_convention(_cell(seg.table_cells, seg.table_header, "resp"), convention)
                lead, shared = read if read else ([], shared)
            clause.lead_units, clause.responsible_units = lead, shared
            clause.title = task
            clause.path = list(seg.path) + ([task] if task else [])
            rows.append(
                TaskRow(
                    row_id=clause.clause_id,
                    doc_id=doc_id,
                    number=_cell(seg.table_cells, seg.table_header, "number"),
                    section=seg.table_section,
                    task=task,
                    content=_cell(seg.table_cells, seg.table_header, "content"),
                    lead_units=lead,
                    responsible_units=shared,
                    clause_id=clause.clause_id,
                )
            )
        elif seg.kind != PREAMBLE:
            if seg.whole:  # the pieces of a cut clause share the bracket that closes the whole clause
                if seg.whole not in whole_resp:
                    whole_resp[seg.whole] = find_responsibility(text[seg.whole[0] : seg.whole[1]], convention=convention)
                resp = whole_resp[seg.whole]
            else:
                resp = find_responsibility(clause_text, convention=convention)
            if resp:
                clause.lead_units, clause.responsible_units = resp.lead, resp.shared
        clause.amounts = find_amounts(clause_text, seg.start)
        clause.dates = find_dates(clause_text)
        clause.targets = find_targets(clause_text, seg.start)
        clauses.append(clause)
    _link_rows(rows, clauses)
    validity = find_validity(text, header.issue_date)
    for v in validity:
        pos = text.find(v.text)
        holder = next((c for c in clauses if c.start <= pos < c.end and c.kind != TASK_ROW), None)
        v.clause_id = holder.clause_id if holder else ""
        if v.scope != "全文":
            v.covers_labels = [c.label for c in clauses if c.kind not in (TASK_ROW, BODY) and v.scope in c.title] + [
                c.label for c in clauses if c.level == 1 and c.kind == "heading" and v.scope in c.title
            ]
            v.covers_labels = list(dict.fromkeys(v.covers_labels))
    incentives = [inc for c in clauses if (inc := find_incentive(c.clause_id, c.text))]
    document = Document(
        doc_id=doc_id,
        title=header.title,
        number=header.number,
        issuer=header.issuer,
        issue_date=header.issue_date,
        source_path=source_path,
        source_format=fmt,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        validity=validity,
        warnings=list(warnings or []),
    )
    if not any(c.kind not in (PREAMBLE,) for c in clauses):
        document.warnings.append("未识别到条款编号，全文按段落切分")
    return ParsedDocument(document=document, clauses=clauses, task_rows=rows, incentives=incentives)


def _link_rows(rows: list[TaskRow], clauses: list[Clause]) -> None:
    """Link each table row to the body clause it restates (most of its words stand there)."""
    bodies = [(c, _bigrams(c.text)) for c in clauses if c.kind == BODY]
    for row in rows:
        want = _bigrams(row.content or row.task)
        if not want:
            continue
        best, best_score = None, 0.0
        for clause, grams in bodies:
            score = len(want & grams) / len(want)
            if score > best_score:
                best, best_score = clause, score
        if best is not None and best_score >= 0.6:
            row.linked_clause_id = best.clause_id

