"""One answer shape per answer type, built from the scored candidates.

- value types (unit, money, rate, count, date): the best candidate that states a value of the type;
- yesno: 可以 / 不可以 / 需满足… leading the sentence that decides;
- conditions, materials, procedure, list: the enumerated items of the clause, in order, each short,
  after the lead-in words (never the lead-in line alone);
- definition: the defining sentence as written; keyword: the best sentence.
The specialised composers of kb.compose (lead units, incentives with their arithmetic, periods, targets,
a unit's tasks) run first for their types; these shapes answer whatever they leave.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kb.compose.common import Draft, without_head_number
from kb.models import TASK_ROW, Clause
from kb.qa import analysis as A
from kb.qa.candidates import Candidate, boilerplate, clause_units, strip_marker

#: Longest item quoted in a list answer; longer items are cut at their first comma-clause.
ITEM_CHARS = 60
#: Most items a list answer names.
MAX_ITEMS = 12
_NEGATIVE = re.compile(r"不得|不予|不能|不可|禁止|不属于|不享受|不再|不纳入|不支持|不适用|除外")
_MARKER_START = re.compile(r"^\s*(?:（[一二三四五六七八九十\d]{1,3}）|\(\d{1,2}\)|\d{1,2}[.．、](?!\d)|[①-⑳])")
_CONDITIONAL = re.compile(r"须|需|应当|符合|满足|条件|以上|不低于|不少于|具备|经[^，。]{1,10}(?:认定|审核|批准)")


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\t", " ")).strip()


def _short_item(text: str) -> str:
    body = _clean(strip_marker(text)).rstrip("。；;，,")
    if len(body) <= ITEM_CHARS:
        return body
    cut = re.split(r"[。；;]", body)[0]
    if len(cut) <= ITEM_CHARS:
        return cut
    return cut[:ITEM_CHARS] + "…"


def _sentence(text: str) -> str:
    """A candidate as one answer sentence: inner full stops become semicolons so the first sentence holds
    it, and the clause's number at its head is left to the citation."""
    body = _clean(text).rstrip("。；;，,：:")
    body = without_head_number(body)
    return body.replace("。", "；")


def items_of(clause: Clause, children: list[Clause], start: int = 0) -> list[str]:
    """The enumerated items of a clause: its numbered child clauses, else its inline items after `start`."""
    if children:
        out = []
        for child in children:
            # an item under a lead-in is an item however short ("（三）风险审查。"): only furniture is dropped
            units = [t for t, _ in clause_units(child) if not boilerplate(t) and strip_marker(t).strip("。；; ")]
            title = strip_marker(child.title).rstrip("。；;") if child.title else ""
            body = [u for u in units if strip_marker(u).rstrip("。；;") != title]
            head = body[0] if body else title
            if title and body and not strip_marker(body[0]).startswith(title[:6]):
                # "（一）项目提出。投资项目由企业提出…": the step's name, then what it says
                head = f"{title}：{strip_marker(body[0])}"
            if head:
                out.append(_short_item(head))
        return [i for i in out if i]
    units = clause_units(clause)[start:]
    items = [t for t, item in units if item]
    return [_short_item(t) for t in items if _short_item(t)]


def _list_holders(cand: Candidate, parent_of: Callable[[Clause], Clause | None] | None) -> list[Clause]:
    """The clause of a candidate, and its parent when the candidate's clause is itself one enumerated item
    ("（二）…申报。" of a 第十九条 whose items the segmenter made child clauses): the list is the parent's."""
    out = [cand.clause]
    parent = parent_of(cand.clause) if parent_of else None
    if parent is not None and (cand.item or _MARKER_START.match(cand.clause.text)) and _introduces(parent):
        out.append(parent)
    return out


# "特制定以下十条措施。", "现提出如下意见：", "制定本若干政策措施如下": a preamble announcing the parts after it
_ANNOUNCES = re.compile(r"(?:以下|如下)[^。；，]{0,12}(?:措施|意见|政策|规定|条|方面|内容|事项)?[。：:]?\s*$|"
                        r"(?:措施|意见|政策|规定)如下[。：:]?\s*$")


def announces_parts(text: str) -> bool:
    return bool(_ANNOUNCES.search(text.strip()))


def _introduces(clause: Clause) -> bool:
    """Whether a clause's own text ends in a lead-in ("属于下列范围的…：") that its child clauses complete; a
    bare heading ("三、产业发展政策") groups its parts, and one part's question is not asking for all of them."""
    own = clause.text.strip()
    return own.endswith(("：", ":")) or any(t.rstrip().endswith(("：", ":")) for t, _ in clause_units(clause)[-1:])


def list_answer(best: Candidate, cands: list[Candidate], children_of: Callable[[Clause], list[Clause]],
                parent_of: Callable[[Clause], Clause | None] | None = None) -> Draft | None:
    """The whole list of the best list-bearing clause among the top candidates, lead-in first."""
    seen: set[str] = set()
    pool = [(cand, holder) for cand in [best] + [c for c in cands[:6] if c.clause.clause_id != best.clause.clause_id]
            for holder in _list_holders(cand, parent_of)]
    for cand, clause in pool:
        if clause.clause_id in seen:
            continue
        seen.add(clause.clause_id)
        kids = children_of(clause)
        units = clause_units(clause)
        lead_index = next((i for i, (t, _) in enumerate(units) if t.rstrip().endswith(("：", ":"))), None)
        items = items_of(clause, kids, start=lead_index + 1 if lead_index is not None else 0)
        if len(items) < 2:
            continue
        if cand is not best and cand.prob < 0.6 * best.prob:
            continue
        lead = ""
        if lead_index is not None:
            lead = _clean(strip_marker(units[lead_index][0])).rstrip("：:")
        elif kids and announces_parts(clause.text):
            lead = _clean(strip_marker(units[-1][0])).rstrip("。：:") if units else ""
            lead = re.split(r"[，,]", lead)[-1]  # the announcing words, not the purpose before them
        elif kids:
            lead = _clean(strip_marker(clause.title or units[0][0] if units else "")).rstrip("。：:")
        more = f"等{len(items)}项" if len(items) > MAX_ITEMS else ""
        if kids and len(kids) == len(items):
            # items that are clauses of their own are cited one by one: the lead-in clause holds none of them
            shown = kids[:MAX_ITEMS]
            first = 1 if lead else 0
            numbered = "；".join(f"（{n}）{item}[{n + first}]" for n, item in enumerate(items[:MAX_ITEMS], 1))
            text = f"{lead}[1]：{numbered}{more}。" if lead else f"{numbered}{more}。"
            return Draft("list", text, [clause, *shown] if lead else shown)
        numbered = "；".join(f"（{n}）{item}" for n, item in enumerate(items[:MAX_ITEMS], 1))
        text = f"{lead}：{numbered}{more}。[1]" if lead else f"{numbered}{more}。[1]"
        return Draft("list", text, [clause])
    return None


def _asked_part(sentence: str, words: list[str] | None) -> str:
    """The comma-part of a sentence that holds most of the question's words, with the parts before it
    that set its condition: "落实养老机构用电享受居民价格政策，不得以房屋性质为由拒绝执行" answers an
    electricity question with its first part, whatever the second forbids."""
    parts = [p for p in re.split(r"(?<=[，,；;])", sentence) if p.strip("，,；; ")]
    if not words or len(parts) < 2:
        return sentence
    hits = [sum(len(w) for w in words if w in p) for p in parts]
    best = max(range(len(parts)), key=lambda i: (hits[i], -i))
    if not hits[best]:
        return sentence
    # a part ending in "的，" ("已享受同类补贴的，") is the case the next part decides: keep them together
    start = best
    while start > 0 and re.search(r"的[，,]$", parts[start - 1]):
        start -= 1
    end = best + 1
    while end < len(parts) and re.search(r"的[，,]$", parts[end - 1]):
        end += 1
    return "".join(parts[start:end])


def verdict(sentence: str, words: list[str] | None = None) -> str:
    """可以 / 不可以 / 需满足条件, read from the part of the sentence the question is about. A ban on refusing
    ("不得拒绝", "不得以…为由拒绝") grants; a bound ("不得低于", "不得超过") is a condition to meet."""
    part = _asked_part(sentence, words)
    granted = re.sub(r"不得(?:以|因)?[^，。；]{0,24}?(?:为由|理由)?拒(?:绝|收)?", "", part)
    bounded = re.sub(r"(?:不得|不能|不可)(?:低于|少于|高于|超过|多于|晚于|早于)", "须", granted)
    if _NEGATIVE.search(bounded):
        return "不可以"
    if _CONDITIONAL.search(bounded):
        return "需满足条件"
    return "可以"


def yesno_answer(best: Candidate, cands: list[Candidate] | None = None, words: list[str] | None = None) -> Draft:
    """可以 / 不可以 / 需满足条件, read from the deciding sentence's own wording, then that sentence: the best
    candidate, or one near its score that decides (可以, 不得, 应当…) where the best only describes."""
    for c in (cands or [])[:5]:
        if c.prob >= 0.7 * best.prob and A.states_value(A.YESNO, c.text):
            best = c
            break
    sentence = _sentence(best.text)
    return Draft("yesno", f"{verdict(sentence, words)}：{sentence}。[1]", [best.clause])


def value_answer(best: Candidate, cands: list[Candidate], answer_type: str) -> Draft:
    """The best candidate stating a value of the asked type (near the best's score), else the best."""
    for c in cands[:5]:
        if c.prob >= 0.7 * best.prob and A.states_value(answer_type, c.text):
            best = c
            break
    return Draft(answer_type, f"{_sentence(best.text)}。[1]", [best.clause])


#: Longest procedure or conditions answered with every sentence of its clause, in order.
STEPS_CHARS = 240


def steps_answer(best: Candidate) -> Draft:
    """A procedure, conditions or materials its clause tells in sentences, not numbered items: each
    sentence is a step or a requirement, so the clause's sentences are quoted in order from the first that
    says something (the best one and those after it when the whole would be long)."""
    units = [t for t, _ in clause_units(best.clause) if not boilerplate(t) and len(strip_marker(t)) >= 6]
    if best.text not in units or len(units) < 2:
        return sentence_answer(best)
    shown = units if sum(len(u) for u in units) <= STEPS_CHARS else units[units.index(best.text):]
    while len(shown) > 1 and sum(len(u) for u in shown) > STEPS_CHARS:
        shown = shown[:-1]
    return Draft("procedure", "；".join(_sentence(u) for u in shown) + "。[1]", [best.clause])


def sentence_answer(best: Candidate) -> Draft:
    return Draft("keyword", f"{_sentence(best.text)}。[1]", [best.clause])


def compose(answer_type: str, cands: list[Candidate], children_of: Callable[[Clause], list[Clause]],
            parent_of: Callable[[Clause], Clause | None] | None = None, words: list[str] | None = None) -> Draft | None:
    """The answer of the type's shape from scored candidates (best first); `words`, the question's content
    words, point a yes-no verdict at the part of the sentence asked about."""
    if not cands:
        return None
    # a task row is a table line (序号, task, units run together): lead units and a unit's tasks are read
    # from it by kb.compose; as a sentence it answers nothing
    cands = [c for c in cands if c.clause.kind != TASK_ROW] or cands
    best = cands[0]
    if answer_type in A.ENUMERATED_TYPES or best.lead_in:
        drafted = list_answer(best, cands, children_of, parent_of)
        if drafted is not None:
            return drafted
        if best.lead_in:  # a lead-in whose items are not found: the next candidate says something
            rest = [c for c in cands if not c.lead_in]
            if rest:
                best = rest[0]
    if answer_type == A.YESNO:
        return yesno_answer(best, cands, words)
    if answer_type in A.VALUE_TYPES or answer_type == A.DEFINITION:
        return value_answer(best, cands, answer_type)
    if answer_type in (A.PROCEDURE, A.CONDITIONS, A.MATERIALS):
        return steps_answer(best)
    return sentence_answer(best)
