"""The vocabulary of policykb: documents, clauses, task rows, amounts, validity.

Plain dataclasses that import nothing of ours, so every layer can share them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# clause kinds
HEADING = "heading"
BODY = "body"
TASK_ROW = "task_row"
TABLE_ROW = "table_row"
PREAMBLE = "preamble"


@dataclass
class Amount:
    """A sum of money or a percentage found in a clause, as written and normalised."""

    text: str  # exactly as in the clause, e.g. "50万元", "2%", "最高不超过100万元"
    kind: str  # "money" | "percent" | "cap" | "range"
    value: float  # yuan for money/cap, percent points for percent; lower bound for ranges
    start: int  # offset in the document text
    end: int
    upper: float | None = None  # upper bound for ranges like 4000—6000元


@dataclass
class Tier:
    """One step of a "分别" ladder: 营业收入首次达到10亿元 -> 100万元."""

    condition: str  # e.g. "1亿元"
    condition_value: float  # yuan (or the condition's own number when not money)
    reward: str  # e.g. "20万元"
    reward_value: float  # yuan
    group: str = ""  # the subject the ladder applies to, e.g. "数字产品制造业企业"


@dataclass
class Incentive:
    """What a clause pays: tiers, a rate with its cap, fixed sums, and who pays."""

    clause_id: str
    tiers: list[Tier] = field(default_factory=list)
    rate_percent: float | None = None
    rate_text: str = ""
    cap_yuan: float | None = None
    cap_text: str = ""
    fixed: list[str] = field(default_factory=list)  # "一次性给予100万元奖励" style sums as written
    payer: str = ""  # e.g. "市县两级财政各承担50%"


@dataclass
class Target:
    """A quantified goal with its year: 到2025年 … 建成5G基站超2万个."""

    text: str
    year: int | None
    start: int
    end: int


@dataclass
class Validity:
    """A validity statement and the part of the document it covers."""

    text: str  # the sentence as written
    scope: str  # e.g. "政策措施" or "全文"
    start_date: str | None  # ISO yyyy-mm-dd
    end_date: str | None  # ISO yyyy-mm-dd, inclusive
    clause_id: str = ""  # the clause the statement stands in
    covers_labels: list[str] = field(default_factory=list)  # top-level labels it governs; [] = whole document


@dataclass
class Clause:
    """A unit of the document's own numbering; `text` is an exact slice of Document.text."""

    clause_id: str  # f"{doc_id}#{label}"
    doc_id: str
    label: str  # e.g. "三（五）3", "附件 17", "第十二条"
    level: int
    kind: str
    title: str  # the heading words, e.g. "探索数据价值实现路径"
    path: list[str]  # headings above this clause, outermost first
    text: str
    start: int
    end: int
    seq: int  # reading order within the document
    parent_id: str | None = None
    lead_units: list[str] = field(default_factory=list)
    responsible_units: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TaskRow:
    """A row of a responsibility table, merged cells filled in."""

    row_id: str  # f"{doc_id}#附件 {number}"
    doc_id: str
    number: str  # 序号 as printed
    section: str  # e.g. "一、重点任务"
    task: str  # 工作任务 (filled down from a merged cell)
    content: str  # 主要内容
    lead_units: list[str]
    responsible_units: list[str]
    clause_id: str  # the clause holding this row's line in the document text
    linked_clause_id: str | None = None  # the body clause this row restates, when one matches

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Document:
    """One policy document as stored: metadata plus the normalised full text."""

    doc_id: str
    title: str
    number: str  # 文号, "" when the document has none
    issuer: str
    issue_date: str | None
    source_path: str
    source_format: str  # txt | pdf | docx | html
    text: str
    sha256: str
    validity: list[Validity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, with_text: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_text:
            data.pop("text")
        return data


@dataclass
class ParsedDocument:
    """The segmenter's and extractors' output for one file, ready to store."""

    document: Document
    clauses: list[Clause]
    task_rows: list[TaskRow]
    incentives: list[Incentive] = field(default_factory=list)


@dataclass
class Citation:
    """A clause cited by an answer or returned by search (the JSON contract of DESIGN.md)."""

    doc_id: str
    doc_title: str
    doc_number: str
    clause_id: str
    label: str
    path: list[str]
    text: str
    start: int
    end: int
    score: float
    in_force: bool | None = None
    validity_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """One answer: the fact first, then the clauses that prove it."""

    question: str
    found: bool
    intent: str
    answer: str
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)
    user_kind: str = ""
    curated: bool = False  # served from an administrator's correction (kb/curated.py)
    answer_type: str = ""  # the kind of thing asked (kb.qa.analysis: unit, money, … keyword); "" before analysis

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("user_kind")
        return data
