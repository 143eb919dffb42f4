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

from kb.compose.common import Draft
from kb.models import TASK_ROW, Clause
from kb.qa import analysis as A
from kb.qa.candidates import Candidate, clause_units, is_junk, strip_marker

#: Longest item quoted in a list answer; longer items are cut at their first comma-clause.
ITEM_CHARS = 60
#: Most items a list answer names.
MAX_ITEMS = 12
_NEGATIVE = re.compile(r"不得|不予|不能|不可|禁止|不属于|不享受|不再|不纳入|不支持|不适用|除外")
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
    """A candidate as one answer sentence: inner full stops become semicolons so the first sentence holds it."""
    body = _clean(text).rstrip("。；;，,：:")
    return body.replace("。", "；")


def items_of(clause: Clause, children: list[Clause], start: int = 0) -> list[str]:
    """The enumerated items of a clause: its numbered child clauses, else its inline items after `start`."""
    if children:
        out = []
        for child in children:
            units = [t for t, _ in clause_units(child) if not is_junk(t, child)]
            title = strip_marker(child.title) if child.title else ""
            head = units[0] if units else title
            if title and units and len(strip_marker(units[0])) <= len(title) + 2 and len(units) > 1:
                head = f"{title}：{strip_marker(units[1])}"  # "（一）出让前准备。" names the step; the next sentence says it
            if head:
                out.append(_short_item(head))
        return [i for i in out if i]
    units = clause_units(clause)[start:]
    items = [t for t, item in units if item]
    return [_short_item(t) for t in items if _short_item(t)]


def list_answer(best: Candidate, cands: list[Candidate], children_of: Callable[[Clause], list[Clause]]) -> Draft | None:
    """The whole list of the best list-bearing clause among the top candidates, lead-in first."""
    for cand in [best] + [c for c in cands[:6] if c.clause.clause_id != best.clause.clause_id]:
        clause = cand.clause
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
        elif kids:
            lead = _clean(strip_marker(clause.title or units[0][0] if units else "")).rstrip("。：:")
        numbered = "；".join(f"（{n}）{item}" for n, item in enumerate(items[:MAX_ITEMS], 1))
        more = f"等{len(items)}项" if len(items) > MAX_ITEMS else ""
        text = f"{lead}：{numbered}{more}。[1]" if lead else f"{numbered}{more}。[1]"
        return Draft("list", text, [clause])
    return None


def yesno_answer(best: Candidate) -> Draft:
    sentence = _sentence(best.text)
    if _NEGATIVE.search(sentence):
        lead = "不可以"
    elif _CONDITIONAL.search(sentence):
        lead = "需满足条件"
    else:
        lead = "可以"
    return Draft("yesno", f"{lead}：{sentence}。[1]", [best.clause])


def value_answer(best: Candidate, cands: list[Candidate], answer_type: str) -> Draft:
    """The best candidate stating a value of the asked type (near the best's score), else the best."""
    for c in cands[:5]:
        if c.prob >= 0.7 * best.prob and A.states_value(answer_type, c.text):
            best = c
            break
    return Draft(answer_type, f"{_sentence(best.text)}。[1]", [best.clause])


def sentence_answer(best: Candidate) -> Draft:
    return Draft("keyword", f"{_sentence(best.text)}。[1]", [best.clause])


def compose(answer_type: str, cands: list[Candidate], children_of: Callable[[Clause], list[Clause]]) -> Draft | None:
    """The answer of the type's shape from scored candidates (best first)."""
    if not cands:
        return None
    # a task row is a table line (序号, task, units run together): lead units and a unit's tasks are read
    # from it by kb.compose; as a sentence it answers nothing
    cands = [c for c in cands if c.clause.kind != TASK_ROW] or cands
    best = cands[0]
    if answer_type in A.ENUMERATED_TYPES or best.lead_in:
        drafted = list_answer(best, cands, children_of)
        if drafted is not None:
            return drafted
        if best.lead_in:  # a lead-in whose items are not found: the next candidate says something
            rest = [c for c in cands if not c.lead_in]
            if rest:
                best = rest[0]
    if answer_type == A.YESNO:
        return yesno_answer(best)
    if answer_type in A.VALUE_TYPES or answer_type == A.DEFINITION:
        return value_answer(best, cands, answer_type)
    return sentence_answer(best)
