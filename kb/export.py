"""Exports for supervision reports and case tickets: an answer with its citations, a unit's portfolio
(the tasks it leads and shares), search results, a conversation's history and the feedback list, as
Excel (.xlsx, openpyxl) and Word (.docx, python-docx), in Chinese.

Each builder turns plain dicts (the JSON objects every face already has) into a `Report`; `render`
writes a Report in either format. A cell's text is written as text, never as a formula (a clause that
begins with "=" stays a string), and characters XML cannot hold are dropped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from kb.errors import PolicyKBError

if TYPE_CHECKING:
    from kb.library import Library

FORMATS = {"xlsx": "Excel 表格（.xlsx）", "docx": "Word 文档（.docx）"}
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
FONT = "宋体"


class ExportError(PolicyKBError):
    """An export that cannot be made as asked (the message says why)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[object]]
    widths: list[int] = field(default_factory=list)  # Excel column widths, in characters


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Report:
    kind: str  # 回答, 部门职责, 检索结果, 对话记录, 反馈列表
    title: str
    meta: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def filename(self, fmt: str) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        subject = re.sub(r"[\\/:*?\"<>|\s]+", "_", self.title)[:30].strip("_")
        return f"{self.kind}_{subject}_{stamp}.{fmt}" if subject else f"{self.kind}_{stamp}.{fmt}"


def _clean(value: object) -> str:
    return _ILLEGAL.sub("", "" if value is None else str(value))


def _now_line() -> str:
    return "导出时间：" + datetime.now().strftime("%Y-%m-%d %H:%M")


def _validity(c: dict) -> str:
    state = {True: "现行有效", False: "已失效"}.get(c.get("in_force"), "未载明有效期")
    note = c.get("validity_note") or ""
    return f"{state}（{note}）" if note else state


def _citation_rows(citations: Sequence[dict]) -> Table:
    rows = [[i, c.get("doc_title", ""), c.get("doc_number", ""), c.get("label", ""), " > ".join(c.get("path") or []),
             c.get("text", ""), _validity(c)] for i, c in enumerate(citations, 1)]
    return Table(["序号", "文件", "文号", "条款", "所在章节", "原文", "有效性"], rows, [6, 30, 20, 12, 30, 80, 24])


# -- builders -----------------------------------------------------------------------------------------
def answer_report(answer: dict) -> Report:
    """An answer object (Answer.to_dict()) with every cited clause in full."""
    lines = [f"问题：{answer.get('question', '')}", f"回答：{answer.get('answer', '')}",
             "结论：" + ("文件中有答案" if answer.get("found") else "文件中没有找到答案（下列为最接近的条款）")]
    if answer.get("curated"):
        lines.append("说明：此回答为管理员人工校正的回答")
    lines += [f"提醒：{w}" for w in answer.get("warnings") or []]
    citations = answer.get("citations") or []
    return Report("回答", answer.get("question", "")[:40], [_now_line()], [
        Section("回答", lines),
        Section(f"引用条款（{len(citations)} 条）", [] if citations else ["（无）"], _citation_rows(citations) if citations else None),
    ])


def unit_report(library: Library, unit: str) -> Report:
    """A unit's portfolio: every task it leads, then every task it shares; a body clause restated by a
    table row is listed once, as the row (the same rule as the unit page)."""
    unit = (unit or "").strip()
    roles = library.units().get(unit)
    if not unit or roles is None:
        raise ExportError(f"找不到单位：{unit or '（空）'}（请从单位列表中选择）")
    documents = {d.doc_id: d for d in library.documents()}
    rows_by_clause = {r.clause_id: r for r in library.task_rows()}
    covered = {row.linked_clause_id for c in roles["lead"] + roles["shared"]
               if (row := rows_by_clause.get(c.clause_id)) is not None and row.linked_clause_id}
    seen: set[str] = set()
    sections = []
    counts = {}
    for role, heading in (("lead", "牵头的任务"), ("shared", "参与（配合）的任务")):
        rows = []
        for c in roles[role]:
            if c.clause_id in covered or c.clause_id in seen:
                continue
            seen.add(c.clause_id)
            doc = documents.get(c.doc_id)
            row = rows_by_clause.get(c.clause_id)
            task = (row.task + ("：" + row.content if row.content and row.content != row.task else "")) if row else ""
            rows.append([len(rows) + 1, doc.title if doc else c.doc_id, doc.number if doc else "", c.label,
                         task or c.title or "", c.text, "、".join(c.lead_units), "、".join(c.responsible_units)])
        counts[role] = len(rows)
        table = Table(["序号", "文件", "文号", "条款", "任务", "原文", "牵头单位", "责任（配合）单位"], rows,
                      [6, 30, 20, 12, 30, 70, 24, 30])
        sections.append(Section(f"{heading}（{len(rows)} 项）", [] if rows else ["（无）"], table if rows else None))
    meta = [_now_line(), f"牵头 {counts['lead']} 项，参与 {counts['shared']} 项"]
    return Report("部门职责", unit, meta, sections)


def search_report(query: str, hits: Sequence[dict], filters_text: str = "") -> Report:
    """Search results (SearchHit.to_dict()): the clauses that passed the relevance rule, in rank order."""
    meta = [_now_line(), f"关键词：{query}"] + ([f"筛选：{filters_text}"] if filters_text else [])
    if not hits:
        return Report("检索结果", query, meta, [Section("结果", ["未找到相关条款"])])
    table = _citation_rows(hits)
    table.headers.append("语义相似度")
    for row, h in zip(table.rows, hits, strict=True):
        row.append(h.get("similarity", ""))
    table.widths.append(10)
    return Report("检索结果", query, meta, [Section(f"检索结果（{len(hits)} 条）", [], table)])


def conversation_report(conversation: dict, turns: Sequence[dict]) -> Report:
    """A conversation's history (Conversation.to_dict(), Turn.to_dict()): each question as asked and as
    completed, what it carried over, the answer and its citations."""
    rows = []
    for i, t in enumerate(turns, 1):
        a = t.get("answer") or {}
        cites = "；".join(f"{c.get('doc_number') or c.get('doc_title', '')} {c.get('label', '')}"
                         for c in a.get("citations") or [])
        rows.append([i, (t.get("at") or "")[:16].replace("T", " "), t.get("asked", ""), t.get("question", ""),
                     t.get("carried", ""), a.get("answer", ""), cites])
    meta = [_now_line(), f"用户：{conversation.get('owner', '')}",
            f"开始于：{(conversation.get('created_at') or '')[:16].replace('T', ' ')}", f"共 {len(rows)} 轮问答"]
    table = Table(["序号", "时间", "原话", "补全后的问题", "沿用上一轮", "回答", "引用条款"], rows, [6, 17, 30, 40, 30, 70, 40])
    return Report("对话记录", conversation.get("title", ""), meta,
                  [Section("问答记录", [] if rows else ["（还没有问答）"], table if rows else None)])


def feedback_report(entries: Iterable[dict]) -> Report:
    """The feedback list (Feedback.to_dict())."""
    rows = [[f.get("id"), (f.get("at") or "")[:16].replace("T", " "), f.get("user", ""),
             f.get("verdict_text", "") + ("（人工校正）" if f.get("curated") else ""), f.get("comment", ""),
             f.get("question", ""), f.get("answer", ""), "、".join(c.get("label") or "" for c in f.get("citations") or [])]
            for f in entries]
    table = Table(["编号", "时间", "用户", "评价", "意见", "问题", "回答", "引用条款"], rows, [6, 17, 12, 10, 30, 40, 70, 30])
    return Report("反馈列表", "", [_now_line(), f"共 {len(rows)} 条"],
                  [Section("反馈", [] if rows else ["（还没有反馈）"], table if rows else None)])


# -- writers ------------------------------------------------------------------------------------------
def render(report: Report, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "docx":
        return to_docx(report)
    raise ExportError(f"不支持的导出格式：{fmt}（可选 xlsx、docx）")


def _sheet_title(text: str, used: set[str]) -> str:
    base = _SHEET_CHARS.sub("", text)[:28] or "表"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]}{n}", n + 1
    used.add(name)
    return name


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    summary = book.active
    summary.title = "概要"
    used = {"概要"}
    bold = Font(bold=True, name=FONT)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(ws, row: int, col: int, value: object, font: Font | None = None):
        cell = ws.cell(row=row, column=col)
        cell.value = value if isinstance(value, int | float) and not isinstance(value, bool) else _clean(value)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text, never a formula
        cell.alignment = wrap
        cell.font = font or Font(name=FONT)
        return cell

    put(summary, 1, 1, report.title and f"{report.kind}：{report.title}" or report.kind, Font(bold=True, size=14, name=FONT))
    line = 2
    for m in report.meta:
        put(summary, line, 1, m)
        line += 1
    for section in report.sections:
        line += 1
        put(summary, line, 1, section.heading, bold)
        line += 1
        for text in section.lines:
            put(summary, line, 1, text)
            line += 1
        if section.table is not None:
            put(summary, line, 1, f"见工作表“{_sheet_title(section.heading, set(used))}”")
            line += 1
            ws = book.create_sheet(_sheet_title(section.heading, used))
            head_fill = PatternFill("solid", fgColor="DCE6F1")
            for col, name in enumerate(section.table.headers, 1):
                put(ws, 1, col, name, bold).fill = head_fill
            for r, values in enumerate(section.table.rows, 2):
                for col, value in enumerate(values, 1):
                    put(ws, r, col, value)
            for col, width in enumerate(section.table.widths, 1):
                ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = width
            ws.freeze_panes = "A2"
    summary.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_docx(report: Report) -> bytes:
    from docx import Document as WordDocument
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = WordDocument()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    for style in ("Title", "Heading 1", "Heading 2"):
        doc.styles[style].element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc.add_heading(_clean(report.title and f"{report.kind}：{report.title}" or report.kind), level=1)
    for m in report.meta:
        doc.add_paragraph(_clean(m))
    for section in report.sections:
        doc.add_heading(_clean(section.heading), level=2)
        for text in section.lines:
            doc.add_paragraph(_clean(text))
        if section.table is not None:
            table = doc.add_table(rows=1, cols=len(section.table.headers))
            table.style = "Table Grid"
            for cell, name in zip(table.rows[0].cells, section.table.headers, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(_clean(name)).bold = True
            for values in section.table.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, values, strict=True):
                    cell.text = _clean(value)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
