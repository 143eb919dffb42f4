"""Conversations: a follow-up ("那5亿呢？", "还有效吗？", "那配合单位呢", "第二条呢") made self-contained from
the previous turn, and each user's history kept in the KB file.

A follow-up is told by its shape, not by phrase: short, opening with 那/还/再 or closing with 呢/吗, and
with little left once the words that only ask (markers, interrogatives, an attribute, a figure, an
ordinal) are taken away. What is left decides what it inherits: a figure replaces the previous
question's figure of the same kind, an attribute is asked of the previous topic, a validity question
is asked of the previous topic within the previous document, an ordinal names a sibling of the clause
last cited, and a new topic takes the old topic's place in the previous question's frame. The words
are data (kb/lexicon/followups.json).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kb import lexicon
from kb.errors import PolicyKBError
from kb.models import TASK_ROW, Answer
from kb.numbering import cn_to_int
from kb.retriever import Filters
from kb.sidedb import SideDB

if TYPE_CHECKING:
    from kb.library import Library
    from kb.qa.answerer import Answerer

#: resolution kinds
STANDALONE, FIGURE, VALIDITY, ATTRIBUTE, ORDINAL, TOPIC = "standalone", "figure", "validity", "attribute", "ordinal", "topic"
KIND_TEXT = {STANDALONE: "独立问题", FIGURE: "换数额追问", VALIDITY: "有效期追问", ATTRIBUTE: "换问项追问",
             ORDINAL: "按序号追问", TOPIC: "换主题追问"}
MAX_TITLE_CHARS = 40


class ConversationError(PolicyKBError):
    """A conversation that does not exist or is not the caller's."""


@dataclass(frozen=True)
class Attribute:
    name: str  # what is asked, e.g. 牵头单位
    asks: re.Pattern[str]  # how a question asks it
    template: str  # a self-contained question about {topic}


@dataclass(frozen=True)
class Vocabulary:
    max_chars: int
    lead: tuple[str, ...]
    tail: tuple[str, ...]
    validity: re.Pattern[str]
    ordinal: re.Pattern[str]
    figure: re.Pattern[str]
    figure_units: tuple[frozenset[str], ...]
    interrogatives: re.Pattern[str]
    filler: re.Pattern[str]
    attributes: tuple[Attribute, ...]


@cache
def vocabulary() -> Vocabulary:
    data = lexicon.load_json("followups.json")
    return Vocabulary(
        max_chars=int(data["max_chars"]), lead=tuple(data["lead"]), tail=tuple(data["tail"]),
        validity=re.compile(data["validity"]), ordinal=re.compile(data["ordinal"]), figure=re.compile(data["figure"]),
        figure_units=tuple(frozenset(g) for g in data["figure_units"]), interrogatives=re.compile(data["interrogatives"]),
        filler=re.compile(data["filler"]),
        attributes=tuple(Attribute(a["name"], re.compile(a["asks"]), a["template"]) for a in data["attributes"]),
    )


@dataclass(frozen=True)
class PreviousTurn:
    """What a follow-up may inherit: the self-contained question and what its answer cited."""

    question: str
    doc_id: str = ""
    clause_ids: tuple[str, ...] = ()
    doc_title: str = ""


@dataclass(frozen=True)
class Resolution:
    """A question made self-contained; ``carried`` says in Chinese what was taken from the previous turn."""

    asked: str
    question: str
    kind: str = STANDALONE
    carried: str = ""
    prefer_doc: str | None = None
    prefer_clauses: tuple[str, ...] = ()

    @property
    def is_followup(self) -> bool:
        return self.kind != STANDALONE

    def to_dict(self) -> dict:
        return {"asked": self.asked, "question": self.question, "kind": self.kind, "kind_text": KIND_TEXT[self.kind],
                "carried": self.carried, "prefer_doc": self.prefer_doc, "prefer_clauses": list(self.prefer_clauses)}


def _squash(text: str) -> str:
    return re.sub(r"[\s？?。！!，,]+", "", text or "")


def _unit_class(text: str) -> int:
    for i, group in enumerate(vocabulary().figure_units):
        if any(text.endswith(u) or u in text for u in group):
            return i
    return -1


def _figures(text: str) -> list[re.Match[str]]:
    return [m for m in vocabulary().figure.finditer(text) if re.search(r"\d|[一二两三四五六七八九十百千]", m.group(0))
            and (re.search(r"\d", m.group(0)) or re.search(r"[万亿千元%％人名家个户年月天倍项]$", m.group(0)))]


def topic_of(question: str) -> str:
    """The longest stretch of a question left once the words that only ask (attributes, interrogatives,
    validity words, markers) are cut out: what it asks about."""
    v = vocabulary()
    cut = question
    for pattern in [a.asks for a in v.attributes] + [v.validity, v.interrogatives, v.ordinal]:
        cut = pattern.sub("|", cut)
    cut = re.sub(r"[？?。！!，,、\s]+", "|", cut)
    pieces = [p.strip("的是有了呢吗么") for p in cut.split("|")]
    pieces = [re.sub(rf"^(?:{'|'.join(map(re.escape, v.lead))})", "", p) for p in pieces]
    return max(pieces, key=len, default="") if pieces else ""


def _remainder(text: str) -> str:
    """What a follow-up says besides asking: its own topic, if any."""
    v = vocabulary()
    rest = text
    for pattern in [a.asks for a in v.attributes] + [v.validity, v.ordinal, v.interrogatives]:
        rest = pattern.sub("", rest)
    for m in sorted(_figures(rest), key=lambda m: -len(m.group(0))):
        rest = rest.replace(m.group(0), "")
    return v.filler.sub("", rest)


def looks_like_followup(text: str) -> bool:
    """Short, and opening with a lead marker or closing with a tail particle."""
    v = vocabulary()
    core = _squash(text)
    if not core or len(core) > v.max_chars:
        return False
    return core.startswith(v.lead) or core.endswith(v.tail) or bool(v.ordinal.fullmatch(core))


def resolve(text: str, previous: PreviousTurn | None, library: Library | None = None) -> Resolution:
    """``text`` as a self-contained question given the previous turn (see the module's docstring)."""
    asked = (text or "").strip()
    if previous is None or not previous.question or not looks_like_followup(asked):
        return Resolution(asked, asked)
    v = vocabulary()
    prev = previous.question
    topic = topic_of(prev)
    doc = previous.doc_id or None
    in_doc = f"、文件《{previous.doc_title}》" if previous.doc_title else ""

    ordinal = v.ordinal.search(asked)
    if ordinal and library is not None:
        sibling = _sibling(library, previous, ordinal.group(1))
        if sibling is not None:
            name = sibling.title or re.sub(r"\s+", "", sibling.text)[:30]
            attr = _attribute_of(prev)
            question = attr.template.format(topic=name) if attr else f"{name}的内容是什么？"
            return Resolution(asked, question, ORDINAL, f"按上一回答所引条款的同级第{ordinal.group(1)}项（{sibling.label}）理解"
                              f"{in_doc}", sibling.doc_id, (sibling.clause_id,))

    rest = _remainder(asked)
    figures = _figures(asked)
    if figures and len(rest) <= 1:
        new = figures[0].group(0)
        old = _matching_figure(prev, new)
        if old is not None:
            replacement = new if _unit_class(new) == _unit_class(old.group(0)) and re.search(r"[元块%％人名家个户年月天倍项]$", new) \
                else new + _unit_suffix(old.group(0), new)
            question = prev[: old.start()] + replacement + prev[old.end():]
            return Resolution(asked, question, FIGURE, f"沿用上一问“{_short(prev)}”，把“{old.group(0)}”换成“{replacement}”{in_doc}", doc)

    if v.validity.search(asked) and len(rest) <= 1:
        return Resolution(asked, f"{topic}还有效吗？", VALIDITY, f"沿用上一问的主题“{topic}”{in_doc}", doc,
                          previous.clause_ids)

    attr = _attribute_of(asked)
    if attr is not None and len(rest) <= 1:
        return Resolution(asked, attr.template.format(topic=topic), ATTRIBUTE,
                          f"沿用上一问的主题“{topic}”，改问{attr.name}{in_doc}", doc)

    if len(rest) >= 2 and topic and topic in prev:
        new_topic = _unit_swap(library, prev, rest) if library is not None else None
        if new_topic is not None:
            old_unit, new_unit = new_topic
            question = prev.replace(old_unit, new_unit)
            return Resolution(asked, question, TOPIC, f"沿用上一问“{_short(prev)}”的问法，把“{old_unit}”换成“{new_unit}”")
        question = prev.replace(topic, rest, 1)
        return Resolution(asked, question, TOPIC, f"沿用上一问“{_short(prev)}”的问法，把“{topic}”换成“{rest}”{in_doc}", doc)
    return Resolution(asked, asked)


def _short(text: str, limit: int = 30) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attribute_of(question: str) -> Attribute | None:
    return next((a for a in vocabulary().attributes if a.asks.search(question)), None)


def _matching_figure(question: str, new: str) -> re.Match[str] | None:
    found = _figures(question)
    if not found:
        return None
    kind = _unit_class(new)
    same = [m for m in found if kind >= 0 and _unit_class(m.group(0)) == kind]
    return (same or found)[0]


def _unit_suffix(old: str, new: str) -> str:
    """The unit the new figure leaves implicit ("5亿" after "1亿元" -> "元")."""
    unit = re.search(r"(元|块|%|％|人|名|家|个|户|年|月|天|倍|项|台|平方米|千瓦时|度)$", old)
    return unit.group(1) if unit and not new.endswith(unit.group(1)) else ""


def _unit_swap(library: Library, prev: str, rest: str) -> tuple[str, str] | None:
    """When both the previous question and the follow-up name a KB unit, the new unit replaces the old."""
    units = sorted(library.units(), key=len, reverse=True)
    old = next((u for u in units if u in prev), None)
    new = next((u for u in units if u in rest or rest in u and len(rest) >= 3), None)
    return (old, new) if old and new and old != new else None


def _sibling(library: Library, previous: PreviousTurn, ordinal: str):
    """The ordinal-th clause among the siblings of the clause last cited (or the document's own 第N条)."""
    number = int(ordinal) if ordinal.isdigit() else cn_to_int(ordinal)
    if not number:
        return None
    cited = [library.clause(cid) for cid in previous.clause_ids]
    cited = [c for c in cited if c is not None]
    body = [c for c in cited if c.kind != TASK_ROW] or cited
    if not body:
        return None
    anchor = body[0]
    doc_clauses = sorted(library.clauses(anchor.doc_id), key=lambda c: c.seq)
    article = next((c for c in doc_clauses if c.label == f"第{ordinal}条"), None)
    if article is not None:
        return article
    siblings = [c for c in doc_clauses if c.parent_id == anchor.parent_id and c.kind == anchor.kind]
    return siblings[number - 1] if 0 < number <= len(siblings) else None


# -- history ----------------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  title TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated_at);
CREATE TABLE IF NOT EXISTS conversation_turns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  at TEXT NOT NULL,
  asked TEXT NOT NULL,
  question TEXT NOT NULL,
  kind TEXT NOT NULL,
  carried TEXT NOT NULL DEFAULT '',
  answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversation_turns_conv ON conversation_turns (conversation_id, id)
"""


@dataclass
class Turn:
    """One question and its answer in a conversation (``answer`` is the JSON answer object)."""

    id: int
    conversation_id: str
    at: str
    asked: str
    question: str
    kind: str
    carried: str
    answer: dict = field(default_factory=dict)

    def previous(self) -> PreviousTurn:
        cites = self.answer.get("citations") or []
        first = cites[0] if cites else {}
        return PreviousTurn(self.question, first.get("doc_id", ""), tuple(c["clause_id"] for c in cites),
                            first.get("doc_title", ""))

    def to_dict(self) -> dict:
        return {"id": self.id, "conversation_id": self.conversation_id, "at": self.at, "asked": self.asked,
                "question": self.question, "kind": self.kind, "kind_text": KIND_TEXT.get(self.kind, self.kind),
                "carried": self.carried, "answer": self.answer}


@dataclass(frozen=True)
class Conversation:
    id: str
    owner: str
    title: str
    created_at: str
    updated_at: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class ConversationLog:
    """Each user's conversations and their turns, in the KB file (tables conversations, conversation_turns)."""

    def __init__(self, db_path: str | Path) -> None:
        self._db = SideDB(db_path, _SCHEMA)

    def start(self, owner: str, title: str = "") -> Conversation:
        now = _now()
        conv = Conversation(uuid.uuid4().hex[:16], owner, _short(title, MAX_TITLE_CHARS) or "新对话", now, now)
        self._db.write("INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                       (conv.id, conv.owner, conv.title, conv.created_at, conv.updated_at))
        return conv

    def get(self, conversation_id: str, owner: str) -> Conversation:
        """The owner's conversation; anyone else's is as absent as a missing one."""
        rows = self._db.query("SELECT id, owner, title, created_at, updated_at FROM conversations WHERE id = ? AND owner = ?",
                              (str(conversation_id or ""), owner))
        if not rows:
            raise ConversationError(f"找不到对话：{conversation_id}")
        return Conversation(*rows[0])

    def conversations(self, owner: str, limit: int = 100) -> list[Conversation]:
        """The owner's conversations, the most recently used first."""
        rows = self._db.query("SELECT id, owner, title, created_at, updated_at FROM conversations WHERE owner = ? "
                              "ORDER BY updated_at DESC, rowid DESC LIMIT ?", (owner, int(limit)))
        return [Conversation(*r) for r in rows]

    def turns(self, conversation_id: str, owner: str) -> list[Turn]:
        self.get(conversation_id, owner)
        rows = self._db.query("SELECT id, conversation_id, at, asked, question, kind, carried, answer FROM conversation_turns "
                              "WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [Turn(*r[:7], json.loads(r[7])) for r in rows]

    def turn(self, turn_id: int, owner: str) -> Turn:
        rows = self._db.query("SELECT t.id, t.conversation_id, t.at, t.asked, t.question, t.kind, t.carried, t.answer "
                              "FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id "
                              "WHERE t.id = ? AND c.owner = ?", (int(turn_id), owner))
        if not rows:
            raise ConversationError(f"找不到这一轮问答：{turn_id}")
        r = rows[0]
        return Turn(*r[:7], json.loads(r[7]))

    def add(self, conversation_id: str, resolution: Resolution, answer: Answer | dict) -> Turn:
        data = answer if isinstance(answer, dict) else answer.to_dict()
        at = _now()
        with_turns = self._db.query("SELECT COUNT(*) FROM conversation_turns WHERE conversation_id = ?", (conversation_id,))
        self._db.write("INSERT INTO conversation_turns (conversation_id, at, asked, question, kind, carried, answer) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (conversation_id, at, resolution.asked, resolution.question, resolution.kind, resolution.carried,
                        json.dumps(data, ensure_ascii=False)))
        if with_turns[0][0] == 0:  # a conversation is named after its first question
            self._db.write("UPDATE conversations SET title = ? WHERE id = ?", (_short(resolution.asked, MAX_TITLE_CHARS), conversation_id))
        self._db.write("UPDATE conversations SET updated_at = ? WHERE id = ?", (at, conversation_id))
        row = self._db.query("SELECT MAX(id) FROM conversation_turns WHERE conversation_id = ?", (conversation_id,))
        return Turn(int(row[0][0]), conversation_id, at, resolution.asked, resolution.question, resolution.kind,
                    resolution.carried, data)

    def search(self, owner: str, text: str, limit: int = 50) -> list[Turn]:
        """The owner's turns whose question (as typed or completed) or answer text holds ``text``, newest first."""
        needle = (text or "").strip()
        if not needle:
            return []
        rows = self._db.query(
            "SELECT t.id, t.conversation_id, t.at, t.asked, t.question, t.kind, t.carried, t.answer "
            "FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id WHERE c.owner = ? "
            "ORDER BY t.id DESC", (owner,))
        folded = needle.lower()
        found = []
        for r in rows:
            turn = Turn(*r[:7], json.loads(r[7]))
            if any(folded in (s or "").lower() for s in (turn.asked, turn.question, turn.answer.get("answer"))):
                found.append(turn)
        return found[: int(limit)]

    def rows(self, owner: str | None = None, conversation_id: str | None = None) -> list[dict]:
        """Flat rows for export (kb/export.py): one per turn, citations as 文号/标题 + label text."""
        sql = ("SELECT c.id, c.owner, c.title, t.id, t.at, t.asked, t.question, t.kind, t.carried, t.answer "
               "FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id WHERE 1 = 1")
        args: list = []
        if owner is not None:
            sql += " AND c.owner = ?"
            args.append(owner)
        if conversation_id is not None:
            sql += " AND c.id = ?"
            args.append(conversation_id)
        out = []
        for cid, who, title, tid, at, asked, question, kind, carried, answer in self._db.query(sql + " ORDER BY t.id", tuple(args)):
            data = json.loads(answer)
            out.append({"conversation_id": cid, "owner": who, "title": title, "turn_id": tid, "at": at, "asked": asked,
                        "question": question, "kind": KIND_TEXT.get(kind, kind), "carried": carried,
                        "found": bool(data.get("found")), "curated": bool(data.get("curated")),
                        "answer": data.get("answer", ""), "citations": citation_lines(data.get("citations") or [])})
        return out

    def close(self) -> None:
        self._db.close()


def citation_lines(citations: list[dict]) -> str:
    """Citations as one line each: [n] 文号或标题 条款编号."""
    lines = []
    for i, c in enumerate(citations, 1):
        lines.append(f"[{i}] {c.get('doc_number') or c.get('doc_title', '')} {c.get('label', '')}".strip())
    return "\n".join(lines)


def ask_in(answerer: Answerer, log: ConversationLog, owner: str, conversation_id: str, text: str) -> Turn:
    """Answer ``text`` as the next turn of the owner's conversation, resolving a follow-up first.

    A follow-up is first asked within the previous answer's document; when that finds nothing the whole
    KB is asked. The answer says what it carried over (its first warning)."""
    log.get(conversation_id, owner)
    cleaned = answerer._clean(text)  # the answerer's own checks: empty, too long, markup
    history = log.turns(conversation_id, owner)
    previous = history[-1].previous() if history else None
    resolution = resolve(cleaned, previous, answerer.library)
    answer = _cited_validity(answerer.library, resolution) if resolution.kind == VALIDITY else None
    if answer is None and resolution.prefer_doc and answerer.library.document(resolution.prefer_doc) is not None:
        answer = answerer.ask(resolution.question, Filters(doc_id=resolution.prefer_doc))
        if not answer.found:
            answer = None
    if answer is None:
        answer = answerer.ask(resolution.question)
    if resolution.is_followup:
        answer.warnings.insert(0, f"追问已补全为“{resolution.question}”：{resolution.carried}")
    return log.add(conversation_id, resolution, answer)


def _cited_validity(library: Library, resolution: Resolution) -> Answer | None:
    """"还有效吗？" after an answer: the validity of the clause that answer cited (a body clause before a
    table row), judged by the library's clock, citing the clause and the statement its period stands in."""
    clauses = [c for c in (library.clause(cid) for cid in resolution.prefer_clauses) if c is not None]
    clauses = [c for c in clauses if c.kind != TASK_ROW] or clauses
    if not clauses:
        return None
    clause = clauses[0]
    doc = library.document(clause.doc_id)
    in_force, note = library.validity(clause)
    cited = [clause]
    if doc is not None and in_force is not None:
        statement = next((library.clause(v.clause_id) for v in doc.validity if v.clause_id and v.end_date
                          and note and library.clause(v.clause_id) is not None
                          and any(p in note for p in re.findall(r"\d{4}", v.text))), None)
        if statement is not None and statement.clause_id != clause.clause_id:
            cited.append(statement)
    verdict = {True: "现行有效", False: "已不在有效期内", None: "文件未载明有效期，无法判断是否有效"}[in_force]
    text = f"上一回答所引条款（{clause.label}）{verdict}：{note}。[1]" if in_force is not None else \
        f"上一回答所引条款（{clause.label}）{verdict}。[1]"
    if len(cited) > 1:
        text += "有效期见[2]。"
    return Answer(resolution.question, True, "validity", text, [library.cite(c) for c in cited],
                  [note] if in_force is False else [])
