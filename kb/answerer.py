"""The extractive answerer: the fact first (unit, amount, date), then the exact clauses that hold it.

No language model: every answer is composed from fields the extractors found in clauses, and a
grounding check rejects any answer whose units, amounts or dates do not stand in a cited clause.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from kb import intent as I
from kb.errors import QuestionError
from kb.figures import format_yuan, money_in_question
from kb.grounding import ungrounded
from kb.library import Library
from kb.models import PREAMBLE, TASK_ROW, Answer, Citation, Clause, TaskRow
from kb.retriever import Filters, Retriever

MAX_QUESTION_CHARS = 500
# calibrated on eval/gold (dev split): below this share of the question's content found in the best
# clause, the documents are taken not to answer (see eval/results/)
DEFAULT_THRESHOLD = 0.34

_STOP = re.compile(
    r"请问|你好|您好|我们|我司|公司|企业的?|咱们|想问|问一下|一下|能不能|可不可以|可以|是否|有没有|多少钱|多少|什么|哪些|哪个|"
    r"怎么|如何|为啥|为什么|谁|吗|呢|吧|啊|呀|的|了|是|在|有|和|与|及|要|能|拿|给|还|都|该|这个|那个|那条|这条|条款|政策|规定|文件|"
    r"负责|牵头|部门|单位|奖励|补贴|有效|有效期|目标|条件|申请|申报|一下子|具体|相关|关于|情况|现在|今年|知道|告诉|说说|查|找"
)


def content_bigrams(text: str) -> set[str]:
    """Character bigrams of the question's content words (question words and fillers removed)."""
    text = _STOP.sub(" ", text)
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9.%+]+", text):
        if re.match(r"[A-Za-z0-9]", run):
            grams.add(run.lower())
        elif len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def coverage(question_grams: set[str], clause: Clause) -> float:
    if not question_grams:
        return 0.0
    hay = (clause.text + " ".join(clause.path) + clause.title).lower()
    return sum(1 for g in question_grams if g in hay) / len(question_grams)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？\n])", text) if s.strip()]


def _best_sentence(clause: Clause, grams: set[str], must: re.Pattern[str] | None = None) -> str:
    best, best_score = "", -1.0
    for s in _sentences(clause.text):
        if must and not must.search(s):
            continue
        score = sum(1 for g in grams if g in s.lower())
        if score > best_score:
            best, best_score = s, score
    return best.strip().replace("\t", " ")


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\t", " ").strip()
    head = re.split(r"[，。；]", text)[0]
    return head if len(head) <= limit else head[:limit] + "…"


@dataclass
class _Draft:
    intent: str
    answer: str
    cited: list[Clause]
    derived: list[str]
    found: bool = True


class Answerer:
    """Answers questions over a Library; safe to share between threads."""

    def __init__(self, library: Library, retriever: Retriever | None = None, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.library = library
        self.retriever = retriever or Retriever(library)
        self.threshold = threshold

    # -- public API ------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Citation]:
        query = self._clean(query)
        return [self.library.cite(c, s) for c, s in self.retriever.search(query, k=k, filters=filters)]

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        question = self._clean(question)
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", question):
            return Answer(question, False, I.KEYWORD, "问题中没有可检索的文字，请用中文描述您要查询的政策内容。", [])
        if re.fullmatch(r"[\u4e00-\u9fff]{1,12}〔\d{4}〕\d{1,4}号", question):
            return self._document_by_number(question)
        unit = self._unit_in(question)
        intent = I.detect_intent(question, unit)
        hits = self.retriever.search(question, k=20, filters=filters)
        hits = [(c, s) for c, s in hits if c.kind != PREAMBLE or intent == I.KEYWORD]
        grams = content_bigrams(question)
        if intent == I.UNIT_TASKS and unit:
            draft = self._unit_tasks(unit)
        else:
            draft = self._compose(intent, question, grams, hits)
        if draft is None or not draft.found:
            return self._not_found(question, intent, hits)
        return self._finish(question, draft, hits)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _clean(text: str) -> str:
        if text is None or not str(text).strip():
            raise QuestionError("问题为空，请输入要查询的内容。")
        text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(text)).strip()
        if len(text) > MAX_QUESTION_CHARS:
            raise QuestionError(f"问题过长（{len(text)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
        return text

    def _unit_in(self, question: str) -> str | None:
        units = sorted(self.library.units(), key=len, reverse=True)
        for unit in units:
            if unit in question:
                return unit
        for unit in units:
            core = re.sub(r"^(市|区|县|省)", "", unit)
            if len(core) >= 3 and core in question:
                return unit
        return None

    def _confident(self, grams: set[str], clause: Clause) -> bool:
        return coverage(grams, clause) >= self.threshold

    def _pick(self, hits: list[tuple[Clause, float]], grams: set[str], want, top: int = 8) -> Clause | None:
        """The best of the first `top` hits that `want` accepts: rank and word coverage together."""
        best, best_score = None, -1.0
        for rank, (clause, _score) in enumerate(hits[:top]):
            if not want(clause):
                continue
            score = coverage(grams, clause) + 0.5 / (rank + 1)
            if score > best_score:
                best, best_score = clause, score
        return best

    def _compose(self, intent: str, question: str, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        if not hits:
            return None
        if intent == I.WHO_LEADS:
            return self._who_leads(grams, hits)
        if intent == I.INCENTIVE:
            return self._incentive(question, grams, hits)
        if intent == I.VALIDITY:
            return self._validity(grams, hits)
        if intent == I.TARGET:
            return self._target(grams, hits)
        return self._quote(intent, grams, hits)

    def _rows_linked(self, clause: Clause) -> list[TaskRow]:
        return [r for r in self.library.task_rows(clause.doc_id) if r.linked_clause_id == clause.clause_id]

    def _who_leads(self, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        clause = self._pick(hits, grams, lambda c: bool(c.lead_units or c.responsible_units))
        if clause is None or not self._confident(grams, clause):
            return None
        cited = [clause]
        lead, shared = clause.lead_units, clause.responsible_units
        if clause.kind != TASK_ROW and not lead:
            rows = self._rows_linked(clause)
            rows.sort(key=lambda r: -sum(1 for g in grams if g in r.content + r.task))
            if rows and rows[0].lead_units:
                row_clause = self.library.clause(rows[0].clause_id)
                if row_clause is not None:
                    cited = [row_clause, clause]
                    lead, shared = row_clause.lead_units, row_clause.responsible_units
        subject_clause = cited[0]
        if subject_clause.kind == TASK_ROW:
            row = next((r for r in self.library.task_rows(subject_clause.doc_id) if r.clause_id == subject_clause.clause_id), None)
            subject = _short(row.content or row.task) if row else _short(subject_clause.title)
        else:
            subject = _short(re.sub(r"^\S{1,8}?[、.]|^（\S{1,3}）", "", subject_clause.title or subject_clause.text))
        if lead:
            text = f"{subject}由{'、'.join(lead)}牵头"
            text += f"，{'、'.join(shared)}为责任单位。[1]" if shared else "。[1]"
        else:
            text = f"{subject}的责任单位为{'、'.join(shared)}（该条款未单列牵头单位）。[1]"
        if len(cited) > 1:
            text += "原文条款见[2]。"
        return _Draft(I.WHO_LEADS, text, cited, [])

    def _unit_tasks(self, unit: str) -> _Draft:
        roles = self.library.units().get(unit, {"lead": [], "shared": []})
        lead = list(roles["lead"])
        shared_raw = list(roles["shared"])
        # a body clause restated by a table row that already names the unit is counted once, as the row
        covered = set()
        for c in lead + shared_raw:
            if c.kind == TASK_ROW:
                row = next((r for r in self.library.task_rows(c.doc_id) if r.clause_id == c.clause_id), None)
                if row and row.linked_clause_id:
                    covered.add(row.linked_clause_id)
        lead = [c for c in lead if c.clause_id not in covered]
        shared = [c for c in shared_raw if c.clause_id not in covered and c not in lead]
        cited = lead + shared
        if not cited:
            return _Draft(I.UNIT_TASKS, "", [], [], found=False)
        parts = []
        n = 0
        if lead:
            items = []
            for c in lead:
                n += 1
                items.append(f"{self._task_name(c)}[{n}]")
            parts.append(f"{unit}牵头{len(lead)}项：" + "；".join(items))
        if shared:
            items = []
            for c in shared:
                n += 1
                items.append(f"{self._task_name(c)}[{n}]")
            parts.append(f"参与（作为责任单位）{len(shared)}项：" + "；".join(items))
        text = "。".join(parts) + "。"
        return _Draft(I.UNIT_TASKS, text, cited, [str(len(lead)), str(len(shared))])

    def _task_name(self, clause: Clause) -> str:
        if clause.kind == TASK_ROW:
            row = next((r for r in self.library.task_rows(clause.doc_id) if r.clause_id == clause.clause_id), None)
            if row:
                return _short(row.content or row.task, 30)
        return _short(re.sub(r"^（\S{1,3}）|^\d{1,3}\.", "", clause.title), 30)

    def _incentive(self, question: str, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        def pays(c: Clause) -> bool:
            return any(a.kind in ("money", "cap", "range") for a in c.amounts) and c.kind != TASK_ROW

        clause = self._pick(hits, grams, pays)
        if clause is None or not self._confident(grams, clause):
            return None
        incentive = next((i for i in self.library.store.incentives() if i.clause_id == clause.clause_id), None)
        given = money_in_question(question)
        derived: list[str] = []
        text = ""
        if incentive and incentive.tiers and given:
            groups: dict[str, list] = {}
            for t in incentive.tiers:
                groups.setdefault(t.group, []).append(t)
            group = max(groups, key=lambda g: sum(1 for x in grams if x in g))
            ladder = sorted((t for t in groups[group] if t.condition_value > 0), key=lambda t: t.condition_value)
            reached = [t for t in ladder if t.condition_value <= given[0]]
            if reached:
                t = reached[-1]
                text = f"按该条款，{_short(group, 60)}{t.condition}的，一次性奖励{t.reward}。[1]"
            elif ladder:
                t = ladder[0]
                text = f"按该条款，{_short(group, 60)}最低档为{t.condition}（奖励{t.reward}），所述金额未达到奖励标准。[1]"
        elif incentive and incentive.rate_percent is not None and given:
            base = given[0]
            computed = base * incentive.rate_percent / 100
            capped = min(computed, incentive.cap_yuan) if incentive.cap_yuan else computed
            base_text, comp_text, cap_text = format_yuan(base), format_yuan(computed), format_yuan(capped)
            derived = [base_text, comp_text, cap_text]
            text = f"按{incentive.rate_text}计算，{base_text}×{incentive.rate_text}={comp_text}"
            cap_words = re.sub(r"^\D*", "", incentive.cap_text)
            if incentive.cap_yuan and computed > incentive.cap_yuan:
                text += f"，超过最高{cap_words}的上限，按{cap_words}计。[1]"
            elif incentive.cap_yuan:
                text += f"，未超过最高{cap_words}的上限，可获{cap_text}。[1]"
            else:
                text += "。[1]"
        if not text:
            sentence = _best_sentence(clause, grams, re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿|千)?元|%"))
            text = f"{sentence}[1]" if sentence else f"{_short(clause.text, 80)}[1]"
        if incentive and incentive.payer and incentive.payer not in text:
            text += f"{incentive.payer}。"
        return _Draft(I.INCENTIVE, text, [clause], derived)

    def _validity(self, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        top = hits[0][0]
        doc = self.library.document(top.doc_id)
        if doc is None:
            return None
        if not doc.validity:
            clause = self._pick(hits, grams, lambda c: bool(c.dates))
            if clause is None or not self._confident(grams, clause):
                return None
            sentence = _best_sentence(clause, grams, re.compile(r"\d{4}年"))
            return _Draft(I.VALIDITY, f"{sentence}[1]", [clause], [])
        statement = doc.validity[0]
        holder = self.library.clause(statement.clause_id) if statement.clause_id else None
        cited = [holder] if holder else [top]
        in_force, note = self.library.validity(holder or top)
        scope = "其中的政策措施" if statement.scope == "政策措施" else "该文件"
        text = f"《{doc.title}》{scope}：{statement.text.rstrip('。')}。[1]"
        if in_force is False:
            text += note.replace("该条款所属", "") + "。"
        elif in_force:
            text += "目前仍在有效期内。"
        return _Draft(I.VALIDITY, text, cited, [])

    def _target(self, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        clause = self._pick(hits, grams, lambda c: bool(c.targets) or bool(re.search(r"\d", c.text)))
        if clause is None or not self._confident(grams, clause):
            return None
        sentence = _best_sentence(clause, grams, re.compile(r"\d"))
        return _Draft(I.TARGET, f"{sentence}[1]", [clause], [])

    def _quote(self, intent: str, grams: set[str], hits: list[tuple[Clause, float]]) -> _Draft | None:
        clause = self._pick(hits, grams, lambda c: True, top=5)
        if clause is None or not self._confident(grams, clause):
            return None
        sentence = _best_sentence(clause, grams)
        return _Draft(intent, f"{sentence}[1]", [clause], [])

    def _document_by_number(self, number: str) -> Answer:
        doc = self.library.document(number)
        if doc is None:
            return Answer(number, False, I.KEYWORD, f"未在已收录的政策文件中找到文号为{number}的文件。", [])
        first = min(self.library.clauses(doc.doc_id), key=lambda c: c.seq)
        text = f"{number}是《{doc.title}》（{doc.issuer or '发文机关未识别'}）。[1]"
        return Answer(number, True, I.KEYWORD, text, [self.library.cite(first)])

    def _not_found(self, question: str, intent: str, hits: list[tuple[Clause, float]]) -> Answer:
        near = [self.library.cite(c, s) for c, s in hits[:3]]
        topic = re.sub(r"[？?。！!]+$", "", question)
        text = f"未在已收录的政策文件中找到关于“{_short(topic, 30)}”的规定。以下条款可能相关，仅供参考。"
        return Answer(question, False, intent, text, near)

    def _finish(self, question: str, draft: _Draft, hits: list[tuple[Clause, float]]) -> Answer:
        scores = {c.clause_id: s for c, s in hits}
        citations = [self.library.cite(c, scores.get(c.clause_id, 0.0)) for c in draft.cited]
        units = self.library.units().keys()
        text = draft.answer
        missing = ungrounded(text, [c.text for c in draft.cited] + [question], units, draft.derived)
        if missing:  # never return an answer whose facts are not in the cited clauses
            first = draft.cited[0]
            text = f"最相关的条款（{first.label}）：{_short(first.text, 120)}[1]"
            citations = citations[:1]
        warnings = []
        for cit in citations[:3]:
            if cit.in_force is False and cit.validity_note and cit.validity_note not in warnings:
                warnings.append(cit.validity_note)
        if draft.intent == I.INCENTIVE and I.asks_validity(question) and citations:
            note = citations[0].validity_note
            if note and note not in text:
                text += note.replace("该条款", "该项政策", 1) + "。"
                holder = self._validity_holder(draft.cited[0])
                if holder is not None and holder.clause_id not in [c.clause_id for c in citations]:
                    citations.append(self.library.cite(holder))
        return Answer(question, True, draft.intent, text, citations, warnings)

    def _validity_holder(self, clause: Clause) -> Clause | None:
        doc = self.library.document(clause.doc_id)
        for v in doc.validity if doc else []:
            if v.clause_id:
                return self.library.clause(v.clause_id)
        return None


def timed_ask(answerer: Answerer, question: str) -> tuple[Answer, float]:
    """An answer and its in-process latency in milliseconds (for --batch)."""
    start = time.perf_counter()
    answer = answerer.ask(question)
    return answer, (time.perf_counter() - start) * 1000
