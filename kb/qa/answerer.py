"""The extractive answerer: the fact first (unit, amount, date), then the exact clauses that hold it.

No language model. The question's answer type (kb.qa.analysis) chooses the answer's shape; candidate
sentences and items of the top clauses (kb.qa.candidates) get one learned score (kb.qa.scoring) that
also decides found / not found; composers (kb.compose for lead units, incentives, periods, targets and a
unit's tasks; kb.qa.composers for the other shapes) build the text, and a grounding check rejects any
answer whose units, amounts or dates do not stand in a cited clause.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace

from indexing.tokenizer import Tokenizer
from kb import curated, lexicon
from kb import intent as I
from kb.compose.common import Context, Draft, short
from kb.compose.money import incentive
from kb.compose.portfolio import unit_tasks
from kb.compose.quote import against_thresholds
from kb.compose.when import target, validity
from kb.compose.who import who_leads
from kb.confidence import GramStats
from kb.errors import QuestionError
from kb.figures import money_in_question
from kb.grounding import ungrounded
from kb.header import DOC_NUMBER
from kb.library import Library
from kb.models import BODY, HEADING, PREAMBLE, Answer, Citation, Clause
from kb.normalize import fold
from kb.qa import analysis as A
from kb.qa import composers
from kb.qa.candidates import Candidate, candidates, is_junk
from kb.qa.naming import named_document
from kb.qa.scoring import Question, found_prob, model
from kb.qa.scoring import score as score_candidates
from kb.query import asks_period
from kb.retriever import Filters, Retriever, domain_terms
from kb.synonyms import formalise
from kb.typos import TypoFixer

MAX_QUESTION_CHARS = 500
#: How many clauses beyond the answer's own an answer cites as possibly related (see _with_related),
#: and the share of the best hit's score they need.
RELATED_CITATIONS = 2
RELATED_MIN_SCORE = 0.5
_NEAREST = "以下条款可能相关，仅供参考。"
# found / not found is decided by the learned score (kb.qa.scoring, threshold in answer_model.json);
# the composers of kb.compose then only choose among clauses, so their own coverage gate is off.
COMPOSER_THRESHOLD = 0.0
# the IDF mass below which a question holds nothing distinctive to look for ("1", "政策")
MIN_QUESTION_MASS = 3.0
#: answer type -> the intent label answers carry (and the kb.compose composer that serves it)
INTENT_OF = {A.UNIT: I.WHO_LEADS, A.MONEY: I.INCENTIVE, A.RATE: I.INCENTIVE, A.DATE: I.VALIDITY,
             A.COUNT: I.TARGET, A.CONDITIONS: I.CONDITION, A.MATERIALS: I.CONDITION, A.YESNO: I.CONDITION,
             A.PROCEDURE: I.KEYWORD, A.DEFINITION: I.KEYWORD, A.LIST: I.KEYWORD, A.KEYWORD: I.KEYWORD}
#: Another document's candidate is a second version's answer when it scores this share of the best and
#: the two titles share this share of their bigrams.
OTHER_VERSION_SHARE = 0.9
OTHER_VERSION_TITLES = 0.6
# when an event happens ("需求响应哪几天"): the period composer reads dated spans for these
_EVENT_TIME = re.compile(r"哪几天|哪天|几号|哪段时间|什么时间|时间是|几点|时段")
#: how a refusal names what a value question asked for
_ASKED_NAMES = {A.MONEY: "金额", A.RATE: "比例", A.COUNT: "数量", A.DATE: "时间", A.MATERIALS: "材料"}


class Answerer:
    """Answers questions over a Library; safe to share between threads."""

    def __init__(self, library: Library, retriever: Retriever | None = None, threshold: float | None = None) -> None:
        self.library = library
        self.retriever = retriever or Retriever(library)
        self.threshold = model().threshold if threshold is None else threshold
        self._stats: GramStats | None = None
        self._stats_generation = -1
        self._typos: TypoFixer | None = None
        self._typos_generation = -1
        self._places: dict[str, set[str]] | None = None
        self._places_generation = -1
        self._view: dict | None = None
        self._view_generation = -1
        self._lock = threading.Lock()

    # -- public API ------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Citation]:
        query = self._clean(query)
        return [self.library.cite(c, s) for c, s in self.retriever.search(query, k=k, filters=filters)]

    def analyse(self, question: str, filters: Filters | None = None) -> dict:
        """Everything the answer is built from, before composing: type, hits, scored candidates.
        (eval.fit_answer_model reads the same, so the model is fitted on what ask() sees.)"""
        # slips are looked for after the standard rewrites: "营收" is an abbreviation of 营业收入, not a slip
        # for the 应收 of 应收账款 that the KB happens to hold
        typed_right, fixes = self._typo_fixer().fix(formalise(question))
        formal = formalise(typed_right)
        doc_id = (filters.doc_id if filters else None) or self._document_in(question)
        unit = self._unit_in(question, doc_id)
        answer_type = A.answer_type(formal)
        intent = INTENT_OF[answer_type]
        if unit and answer_type in (A.LIST, A.KEYWORD, A.COUNT) and re.search(r"牵头|负责|承担|参与|任务|工作(?!日)|职责|哪几|哪些", formal.replace(unit, "")):
            intent = I.UNIT_TASKS  # "文旅局…牵头哪几条": the tasks of the unit named
        elif unit and answer_type in (A.LIST, A.KEYWORD, A.UNIT) and (
                answer_type != A.UNIT or len(formal.replace(unit, "")) <= 8):
            intent = I.UNIT_TASKS if answer_type != A.UNIT or not re.search(r"谁|哪", formal.replace(unit, "")) else intent
        if answer_type in (A.YESNO, A.DATE) and asks_period(formal):
            intent = I.VALIDITY
        elif answer_type == A.DATE and not _EVENT_TIME.search(formal):
            intent = I.KEYWORD  # "提前几天公示", "最长多少年": a date or duration the clause states, not the policy's period
        scoped = filters or Filters()
        if doc_id and not scoped.doc_id:
            scoped = Filters(doc_id=doc_id, chapter=scoped.chapter, unit=scoped.unit, in_force_only=scoped.in_force_only)
        scored = self.retriever.search_scored(formal, k=20, filters=scoped)
        scored = [h for h in scored if h[0].kind != PREAMBLE or len(h[0].text) > 40]
        hits = [(c, s) for c, s, _ in scored]
        dense = {c.clause_id: d for c, _, d in scored}
        stats = self._gram_stats()
        words = stats.question_words(formal)
        grams = stats.question_grams(formal)
        ctx = Context(formal, grams, stats, hits, self.library, COMPOSER_THRESHOLD, unit=unit, doc_id=doc_id, words=words)
        view = self._kb_view()
        cands = candidates(hits, view["titles"], view["issuers"])
        clause_cov = {c.clause_id: ctx.coverage(c) for c, _ in hits[:12]}
        question_info = Question(formal, answer_type, words, grams)
        ranked = score_candidates(question_info, cands, stats, dense, clause_cov)
        found = found_prob(question_info, ranked, stats, clause_cov)
        return {"found_prob": found, "question_info": question_info, "formal": formal, "fixes": fixes, "doc_id": doc_id, "unit": unit, "answer_type": answer_type,
                "intent": intent, "hits": hits, "ctx": ctx, "ranked": ranked, "dense": dense, "clause_cov": clause_cov}

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        question = self._clean(question)
        served = curated.serve(self.library, question, filters)  # an administrator's correction comes first
        if served is not None:
            return served
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", question):
            return Answer(question, False, I.KEYWORD, "问题中没有可检索的文字，请用中文描述您要查询的政策内容。", [])
        number = DOC_NUMBER.fullmatch(re.sub(r"（(\d{4})）", r"〔\1〕", fold(question)).strip("？?。 "))
        if number:
            return self._document_by_number(number.group(1))
        a = self.analyse(question, filters)

        def typed(answer: Answer) -> Answer:
            answer.answer_type = a["answer_type"]
            return answer

        formal, unit, intent, hits, ctx, ranked = a["formal"], a["unit"], a["intent"], a["hits"], a["ctx"], a["ranked"]
        stats = ctx.stats
        mass = sum(stats.idf(g) for g in ctx.grams)
        if mass < MIN_QUESTION_MASS and not unit:  # "1", "的" … nothing to look for
            return typed(self._refusal(question, intent, hits, "问题中可检索的内容太少，请补充关键词（如事项名称、单位或金额）。"))
        stranger = self._unknown_organisation(question, unit)
        if stranger and (intent in (I.UNIT_TASKS, I.WHO_LEADS, I.KEYWORD) or not stranger.endswith("局")):
            return typed(self._refusal(question, intent, hits, f"未在已收录的政策文件中找到“{stranger}”：没有文件提到它。{_NEAREST}"))
        best = a["found_prob"]
        if intent == I.UNIT_TASKS and unit:
            draft = unit_tasks(ctx, unit)
        elif intent == I.VALIDITY and best < self.threshold and asks_period(formal):
            # the policy's own period (kb/lexicon/period_asked.txt: 有效期, 到期, 管几年…) read from a document's
            # validity statement (kb.compose.when) stands without the gate: the candidates' coverage of
            # "有效期到什么时候" says nothing about it. A day asked of an event ("申报截止日期是几号") and any
            # other sentence the composer would quote are held to the gate like every answer
            draft = self._compose(a["answer_type"], intent, ctx, ranked)
            if draft is not None and not self._quotes_a_validity_statement(draft):
                draft = None
        elif best < self.threshold:
            draft = None
        else:
            draft = self._compose(a["answer_type"], intent, ctx, ranked)
            if (draft is not None and draft.found and draft.intent == I.WHO_LEADS
                    and self._answered_prob(a, draft) < self.threshold):
                draft = None  # the lead of another task: the clause the unit came from does not hold the question
        missing_year = self._year_missing(formal, draft)
        missing_place = self._place_missing(question, draft)
        if missing_year or missing_place:
            about = f"{missing_place}的" if missing_place else f"{missing_year}的"
            return typed(self._refusal(question, intent, hits, f"未在已收录的政策文件中找到关于{about}这项规定。{_NEAREST}"))
        missing_level = self._level_missing(formal, draft)
        missing_value = self._value_missing(a["answer_type"], draft, formal)
        if missing_level or missing_value:
            topic = short(re.sub(r"[？?。！!]+$", "", question), 30)
            gap = (f"对{missing_level}的规定：相关条款规定的是其他级别" if missing_level
                   else f"“{topic}”所问的{missing_value}：相关条款没有写明")
            answer = self._refusal(question, intent, hits, f"未在已收录的政策文件中找到{gap}。{_NEAREST}")
        elif draft is None or not draft.found:
            answer = self._not_found(question, intent, hits)
        else:
            if not a["doc_id"] and intent != I.UNIT_TASKS:
                draft = self._naming_the_source(self._with_other_version(draft, ranked))
            answer = self._finish(question, draft, hits)
        if a["fixes"]:
            answer.warnings.insert(0, "已按" + "、".join(f"“{right}”理解“{wrong}”" for wrong, right in a["fixes"]))
        return typed(answer)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _clean(text: str) -> str:
        if text is None or not str(text).strip():
            raise QuestionError("问题为空，请输入要查询的内容。")
        text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", "", str(text))  # controls, lone surrogates
        text = re.sub(r"<[^<>]{0,200}>", " ", text).strip()  # markup pasted from a web page
        if len(text) > MAX_QUESTION_CHARS:
            raise QuestionError(f"问题过长（{len(text)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
        if not text:
            raise QuestionError("问题为空，请输入要查询的内容。")
        return text

    def _gram_stats(self) -> GramStats:
        generation = self.library.generation
        if self._stats is None or self._stats_generation != generation:
            with self._lock:
                if self._stats is None or self._stats_generation != generation:
                    titles = {d.doc_id: d.title for d in self.library.documents()}
                    clauses = self.library.clauses()
                    self._stats = GramStats(clauses, titles, Tokenizer(domain_terms(clauses)))
                    self._stats_generation = generation
        assert self._stats is not None
        return self._stats

    def _typo_fixer(self) -> TypoFixer:
        generation = self.library.generation
        if self._typos is None or self._typos_generation != generation:
            with self._lock:
                if self._typos is None or self._typos_generation != generation:
                    clauses = self.library.clauses()
                    self._typos = TypoFixer([c.text for c in clauses], Tokenizer(domain_terms(clauses)))
                    self._typos_generation = generation
        assert self._typos is not None
        return self._typos

    def _unit_in(self, question: str, doc_id: str | None = None) -> str | None:
        """A KB unit named in the question, also by its short form (行政审批局 -> 市行政审批局, 文旅局 ->
        市文化广电旅游局), the question's document's own name for it first."""
        roles = self.library.units()
        units = sorted(roles, key=len, reverse=True)
        for unit in units:
            if unit in question:
                return unit
        for unit in units:
            core = re.sub(r"^(市|区|县|省)", "", unit)
            if len(core) >= 3 and core in question:
                return unit
        if doc_id:
            own = [u for u in units if any(c.doc_id == doc_id for c in roles[u]["lead"] + roles[u]["shared"])]
            found = abbreviated_unit(question, own)
            if found:
                return found
        return abbreviated_unit(question, units)

    def _document_in(self, question: str) -> str | None:
        return named_document(question, self.library.documents())

    def _compose(self, answer_type: str, intent: str, ctx: Context, ranked: list[Candidate]) -> Draft | None:
        """The specialised composer of the intent where there is one, else the answer type's shape."""
        if not ctx.hits:
            return None
        ranked_ctx = self._ranked_context(ctx, ranked)
        draft: Draft | None = None
        if intent == I.WHO_LEADS:
            draft = who_leads(ranked_ctx)
        elif intent == I.INCENTIVE:
            draft = incentive(ranked_ctx)
        elif intent == I.VALIDITY:
            draft = validity(ctx)  # periods are read from the period statement the search put first
        elif intent == I.TARGET:
            # "净资产10亿元，单笔担保最多多少": a figure given and a rule of the clause to apply to it
            computed = incentive(ranked_ctx) if money_in_question(ctx.question) else None
            draft = computed if computed is not None and computed.found and computed.derived else target(ranked_ctx)
        if draft is not None and (not draft.found or not self._junk_head(draft)):
            return draft
        drafted = composers.compose(answer_type, ranked, self._children, self._parent, ctx.words)
        if drafted is None:
            return None
        drafted.intent = intent
        if answer_type in (A.CONDITIONS, A.YESNO):
            check = against_thresholds(ctx.question, re.sub(r"\[\d+\]", "", drafted.answer))
            if check is not None:
                drafted.answer += check[0]
                drafted.derived = check[1]
        return drafted

    def _answered_prob(self, a: dict, draft: Draft) -> float:
        """The gate's score on the evidence of the clause the answer's unit is read from (its best candidate
        first, its coverage as the search's best): a composer that reads units from a clause of its own
        choosing answers on that clause's evidence, not on the best candidate's."""
        ranked = a["ranked"]
        source = draft.cited[0].clause_id if draft.cited else ""  # the clause the unit is read from
        at = next((i for i, c in enumerate(ranked) if c.clause.clause_id == source), None)
        if at is None:  # a table row or bracket no candidate came from: the best candidate's score stands
            return a["found_prob"]
        reordered = [ranked[at], *ranked[:at], *ranked[at + 1 :]]
        # the search's best clause coverage is the source clause's own: another clause's match is not its
        own = {source: a["clause_cov"].get(source, 0.0)}
        return found_prob(a["question_info"], reordered, self._gram_stats(), own)

    def _quotes_a_validity_statement(self, draft: Draft) -> bool:
        """Whether the draft cites the clause of a document's own validity statement (本办法自…起施行，有效期…)."""
        cited = {c.clause_id for c in draft.cited}
        return draft.found and any(s.clause_id in cited for d in self.library.documents() for s in d.validity)

    def _with_other_version(self, draft: Draft, ranked: list[Candidate]) -> Draft:
        """A question naming no document, answered by two versions of one policy (near-duplicate titles:
        an old and a new 办法, a city's and a district's copy) that say different things: both, the newer
        (in force first) leading, each with its title and date."""
        if not draft.cited or not ranked:
            return draft
        first = draft.cited[0]
        own = self.library.document(first.doc_id)
        head = _head(draft)
        for cand in ranked[:10]:
            if cand.prob < OTHER_VERSION_SHARE * ranked[0].prob:
                break
            other = self.library.document(cand.clause.doc_id)
            if other is None or own is None or other.doc_id == own.doc_id:
                continue
            if _title_similarity(own.title, other.title) < OTHER_VERSION_TITLES:
                continue
            if re.sub(r"\s", "", head)[:40] in re.sub(r"\s", "", other.text):
                return draft  # the other copy says the same: one answer
            text = composers.sentence_answer(cand).answer.replace("[1]", "")
            if re.sub(r"\W", "", text.rstrip("。")) in re.sub(r"\W", "", head):
                return draft  # the same words: one answer
            cite_other = f"（《{other.title}》{other.issue_date or ''}）"
            cite_own = f"（《{own.title}》{own.issue_date or ''}）"
            renumbered = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + 1}]", draft.answer)
            if (self.library.validity(cand.clause)[0] is not False, other.issue_date or "") > (
                    self.library.validity(first)[0] is not False, own.issue_date or ""):
                answer = f"{text.rstrip('。')}{cite_other}[1]；另据{cite_own}：{renumbered}"
                return replace(draft, answer=answer, cited=[cand.clause, *draft.cited])
            extra = f"另据{cite_other}：{text.rstrip('。')}[{len(draft.cited) + 1}]。"
            return replace(draft, answer=draft.answer + extra, cited=[*draft.cited, cand.clause])
        return draft

    def _naming_the_source(self, draft: Draft) -> Draft:
        """A question that names no document, answered from one of two near-duplicate documents (an old and a
        new version, a city's and a district's copy): the answer says which one it quotes."""
        if not draft.cited or "另据" in draft.answer:
            return draft
        view = self._kb_view()
        doc_id = draft.cited[0].doc_id
        twins = view["twins"].get(doc_id, [])
        if not twins:
            return draft
        issued = view["dates"].get(doc_id)
        note = f"以上出自《{view['titles'][doc_id]}》{f'（{issued}）' if issued else ''}，另有相近文件《{twins[0]}》。"
        return replace(draft, answer=draft.answer + note)

    @staticmethod
    def _ranked_context(ctx: Context, ranked: list[Candidate]) -> Context:
        """The hits in the order of their clauses' best candidates (the learned score), then the rest."""
        order: dict[str, float] = {}
        for cand in ranked:
            order.setdefault(cand.clause.clause_id, cand.prob)
        hits = sorted(ctx.hits, key=lambda h: -order.get(h[0].clause_id, -1.0))
        return replace(ctx, hits=hits)

    def _junk_head(self, draft: Draft) -> bool:
        head = _head(draft)
        view = self._kb_view()
        clause = draft.cited[0] if draft.cited else None
        return clause is not None and is_junk(head, clause, view["titles"].get(clause.doc_id, ""),
                                              view["issuers"].get(clause.doc_id, ""))

    def _kb_view(self) -> dict:
        """Read-only facts of the KB the answer needs, cached per store generation."""
        generation = self.library.generation
        if self._view is None or self._view_generation != generation:
            docs = self.library.documents()
            children: dict[str, list[Clause]] = {}
            parts: dict[str, list[Clause]] = {}  # each document's top-level parts
            for c in self.library.clauses():
                if c.parent_id:
                    children.setdefault(c.parent_id, []).append(c)
                elif c.kind in (BODY, HEADING):
                    parts.setdefault(c.doc_id, []).append(c)
            for kids in [*children.values(), *parts.values()]:
                kids.sort(key=lambda c: c.seq)
            grams = {d.doc_id: _title_grams(d.title) for d in docs}  # once per document, not per pair
            twins: dict[str, list[str]] = {}
            for d in docs:
                for e in docs:
                    if d.doc_id != e.doc_id and d.title != e.title and \
                            _jaccard(grams[d.doc_id], grams[e.doc_id]) >= OTHER_VERSION_TITLES:
                        twins.setdefault(d.doc_id, []).append(e.title)
            view = {"titles": {d.doc_id: d.title for d in docs}, "issuers": {d.doc_id: d.issuer for d in docs},
                    "dates": {d.doc_id: d.issue_date for d in docs}, "children": children, "parts": parts,
                    "twins": twins}
            with self._lock:
                self._view, self._view_generation = view, generation
        assert self._view is not None
        return self._view

    def _children(self, clause: Clause) -> list[Clause]:
        """A clause's numbered child clauses; of a preamble that announces the parts that follow it
        ("…特制定以下十条措施。"), the document's top-level parts."""
        view = self._kb_view()
        if clause.kind == PREAMBLE and composers.announces_parts(clause.text):
            return view["parts"].get(clause.doc_id, [])
        return view["children"].get(clause.clause_id, [])

    def _parent(self, clause: Clause) -> Clause | None:
        return self.library.clause(clause.parent_id) if clause.parent_id else None

    def _places_by_document(self) -> dict[str, set[str]]:
        """The places each document comes from (甲 of 甲市人民政府), read once per store generation."""
        generation = self.library.generation
        if self._places is None or self._places_generation != generation:
            # the place an issuer or a title starts with (甲市人民政府, 乙区…): not "激发市场" inside a title
            places = {d.doc_id: set(re.findall(r"(?:^|[\s、，共])([\u4e00-\u9fff]{2})(?:省|市|区|县)", f"{d.issuer} {d.title}"))
                      for d in self.library.documents()}
            with self._lock:
                self._places, self._places_generation = places, generation
        return self._places

    def _unknown_organisation(self, question: str, unit: str | None) -> str:
        """An organisation the question asks about that no document mentions ("甲市数据局")."""
        if unit:
            return ""
        stats = self._gram_stats()
        places = "|".join(sorted(set().union(*self._places_by_document().values()), key=len, reverse=True))
        for m in I.PROGRAMME.finditer(question):
            name = re.sub(rf"^(?:(?:{places})(?:市|区|县|省)?)+", "", m.group("name")) if places else m.group("name")
            # known when its end is known: "组织申报省双千" ends in 双千 (the documents' “双千计划”)
            if len(name) >= 3 and all(stats.word_df(name[i:].lower()) == 0 for i in range(len(name) - 1)):
                return m.group(0).lstrip("“")
        for m in I.ORGANISATION.finditer(question):
            name = re.sub(r"^(?:请问|那个|这个|关于|我想问|问下|问一下)", "", m.group(0))
            if len(name) >= 4 and stats.word_df(name.lower()) == 0:
                return name
        return ""

    def _year_missing(self, question: str, draft: Draft | None) -> str:
        """"甲市到2030年养老床位要达到多少张" answered from a clause on 2025: a year the question names
        (other than this year, "现在2026年还能申请吗") that no cited clause speaks of."""
        if draft is None or not draft.found or draft.intent in (I.UNIT_TASKS, I.WHO_LEADS):
            return ""
        if draft.intent == I.VALIDITY and A.asks_still(question):
            return ""  # "2025年还能申请吗": the year is when it is asked, not what it is about
        this_year = self.library.today().year
        titles = {d.doc_id: d.title for d in self.library.documents()}
        cited = "".join(c.text + titles.get(c.doc_id, "") for c in draft.cited)
        head = _head(draft)
        for year in dict.fromkeys(re.findall(r"((?:19|20)\d\d)\s*年", question)):
            if int(year) == this_year:
                continue
            if year not in cited:
                return f"{year}年"
            if draft.intent == I.TARGET and year not in head and re.search(r"(?:19|20)\d\d\s*年", head):
                return f"{year}年"  # "到2025年的目标" answered with the 2035 one of the same clause
        return ""

    def _place_missing(self, question: str, draft: Draft | None) -> str:
        """"甲市家庭医生签约覆盖率" answered from 乙市's plan: the question names a place the KB's
        documents come from, and the cited document is another place's."""
        if draft is None or not draft.found or not draft.cited:
            return ""
        docs = self.library.documents()
        places_of = self._places_by_document()
        known = set().union(*places_of.values())
        asked = {p for p in known if p in question}
        cited_places = places_of.get(draft.cited[0].doc_id, set())
        if asked and cited_places and not asked & cited_places:
            return "、".join(sorted(asked))
        # a city none of the documents comes from ("丁市…" over the documents of 甲, 乙 and 丙)
        for m in I.CITY.finditer(question):
            if known and m.group(1) not in known and not any(m.group(1) in d.title + d.issuer for d in docs):
                return m.group(1) + "市"
        return ""

    @staticmethod
    def _value_missing(answer_type: str, draft: Draft | None, question: str = "") -> str:
        """A question asking for a value (金额, 比例, 数量, 日期) or for materials, answered by a sentence
        that states none: the topic is there, what is asked of it is not."""
        if draft is None or not draft.found or draft.intent in (I.UNIT_TASKS, I.WHO_LEADS):
            return ""
        if answer_type not in _ASKED_NAMES:
            return ""
        if draft.intent == I.VALIDITY and answer_type != A.DATE:
            return ""
        text = re.sub(r"\[\d+\]", "", draft.answer) if answer_type == A.MATERIALS else _head(draft)
        if answer_type == A.DATE and A.asks_day(question) and not A.states_day(text):
            return "日期"  # "几月份截止" of a sentence that gives only years
        if answer_type in A.QUANTITY_TYPES:
            return "" if A.states_quantity(text) else _ASKED_NAMES[answer_type]
        return "" if A.states_value(answer_type, text) else _ASKED_NAMES[answer_type]

    @staticmethod
    def _level_missing(question: str, draft: Draft | None) -> str:
        """"评上市级…示范项目能奖多少" answered by a sentence that pays only 省级 ones: the level asked
        is not provided for."""
        if draft is None or not draft.found or draft.intent != I.INCENTIVE:
            return ""
        asked = _levels(question)
        if not asked:
            return ""
        head = _head(draft)
        spoken = _levels(head)
        if not spoken and draft.cited:  # the sentence names no level: the levels its clause provides for
            spoken = _levels(draft.cited[0].text)
        return "、".join(sorted(asked)) if spoken and not asked & spoken else ""

    def _document_by_number(self, number: str) -> Answer:
        doc = self.library.document(number)
        if doc is None:
            return Answer(number, False, I.KEYWORD, f"未在已收录的政策文件中找到文号为{number}的文件。", [])
        first = min(self.library.clauses(doc.doc_id), key=lambda c: c.seq)
        issuer = f"，发文机关：{doc.issuer}" if doc.issuer else ""
        text = f"{number}是《{doc.title}》{issuer}。[1]"
        return Answer(number, True, I.KEYWORD, text, [self.library.cite(first)])

    def _not_found(self, question: str, intent: str, hits: list[tuple[Clause, float]]) -> Answer:
        topic = re.sub(r"[？?。！!]+$", "", question)
        return self._refusal(question, intent, hits, f"未在已收录的政策文件中找到关于“{short(topic, 30)}”的规定。{_NEAREST}")

    def _refusal(self, question: str, intent: str, hits: list[tuple[Clause, float]], text: str) -> Answer:
        """found: false, saying what is missing, with the nearest clauses as possibly related."""
        return Answer(question, False, intent, text, [self.library.cite(c, s) for c, s in hits[:3]])

    def _finish(self, question: str, draft: Draft, hits: list[tuple[Clause, float]]) -> Answer:
        scores = {c.clause_id: s for c, s in hits}
        citations = [self.library.cite(c, scores.get(c.clause_id, 0.0)) for c in draft.cited]
        units = self.library.units().keys()
        text = draft.answer
        missing = ungrounded(text, [c.text for c in draft.cited] + [question], units, draft.derived)
        if missing:  # never return an answer whose facts are not in the cited clauses
            first = draft.cited[0]
            text = f"最相关的条款（{first.label}）：{short(first.text, 120)}[1]"
            citations = citations[:1]
        if draft.intent == I.INCENTIVE and I.asks_validity(question) and citations:
            note = citations[0].validity_note
            if note and note not in text:
                text += note.replace("该条款", "该项政策", 1) + "。"
                holder = self._validity_holder(draft.cited[0])
                if holder is not None and holder.clause_id not in [c.clause_id for c in citations]:
                    citations.append(self.library.cite(holder))
                    text = text[:-1] + f"（期限见[{len(citations)}]）。"
        warnings = []
        for cit in citations[:3]:
            if cit.in_force is False and cit.validity_note and cit.validity_note not in warnings:
                warnings.append(cit.validity_note)
        if draft.intent != I.UNIT_TASKS and not missing:
            text, citations = self._with_related(text, citations, draft, hits)
        return Answer(question, True, draft.intent, text, citations, warnings)

    def _with_related(self, text: str, citations: list[Citation], draft: Draft,
                      hits: list[tuple[Clause, float]]) -> tuple[str, list[Citation]]:
        """Up to RELATED_CITATIONS more of the search's best clauses, named as related: a sibling
        clause (国家授权 / 境外授权, 街道级 / 社区级) is often what the caller meant after all."""
        have = {c.clause_id for c in citations}
        related = []
        for clause, score in hits[: RELATED_CITATIONS + len(citations)]:
            if len(citations) + len(related) >= RELATED_CITATIONS + 1 or clause.clause_id in have:
                continue
            if hits and score < RELATED_MIN_SCORE * hits[0][1]:
                break
            related.append(self.library.cite(clause, score))
            have.add(clause.clause_id)
        if not related:
            return text, citations
        first = len(citations) + 1
        marks = "、".join(f"[{n}]" for n in range(first, first + len(related)))
        return text + f"其他可能相关的条款见{marks}。", citations + related

    def _validity_holder(self, clause: Clause) -> Clause | None:
        doc = self.library.document(clause.doc_id)
        for v in doc.validity if doc else []:
            if v.clause_id:
                return self.library.clause(v.clause_id)
        return None


def _head(draft: Draft) -> str:
    """The short answer's first sentence without its citation markers: what the checks read."""
    return re.sub(r"\[\d+\]", "", draft.answer).partition("。")[0]


def _title_grams(title: str) -> set[str]:
    """A title's character bigrams, generic title words removed; only Chinese characters count (a file-name
    title such as "policy_08" says nothing of the document)."""
    core = re.sub(r"[^\u4e00-\u9fff]", "", lexicon.alternation("doc_kinds.txt").sub("", title))
    return {core[i : i + 2] for i in range(len(core) - 1)}


def _jaccard(ga: set[str], gb: set[str]) -> float:
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def _title_similarity(a: str, b: str) -> float:
    """Share of character bigrams two titles have in common (Jaccard), generic title words removed."""
    return _jaccard(_title_grams(a), _title_grams(b))


def _levels(text: str) -> set[str]:
    """The administrative levels a text names, 街道（镇）级 and 街道级 as one."""
    return {lv.replace("（镇）", "").replace("（村）", "") for lv in I.LEVELS.findall(text)}


_ABBREVIATION = re.compile(r"([\u4e00-\u9fff]{2,3})(局|委|中心|办)")


def abbreviated_unit(question: str, units: list[str]) -> str | None:
    """A unit named the way people shorten it: 文旅局 -> 市文化广电旅游局, 人社局 -> 市人社局 or
    市人力资源和社会保障局, 投促中心 -> 市投资促进中心: the short name's characters stand in the unit's name in
    order, with the same ending; only when exactly one unit fits most tightly."""
    for m in _ABBREVIATION.finditer(question):
        short_name, ending = m.group(1).lstrip("市区县省"), m.group(2)
        if len(short_name) < 2:
            continue
        pattern = re.compile("".join(re.escape(ch) + r"[\u4e00-\u9fff（）]{0,6}?" for ch in short_name) + re.escape(ending) + "$")
        fits = []
        for unit in units:
            hit = pattern.search(unit)
            if hit and unit.endswith(ending):
                fits.append((len(hit.group(0)), unit))
        fits.sort()
        if fits and (len(fits) == 1 or fits[0][0] < fits[1][0]):
            return fits[0][1]
    return None


def timed_ask(answerer: Answerer, question: str) -> tuple[Answer, float]:
    """An answer and its in-process latency in milliseconds (for --batch)."""
    start = time.perf_counter()
    answer = answerer.ask(question)
    return answer, (time.perf_counter() - start) * 1000
