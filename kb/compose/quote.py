"""Keyword and condition questions: the clause that holds the words, its most relevant sentence first."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import Context, Draft, best_sentence, confident, pick
from kb.figures import SCALE
from kb.models import TASK_ROW

_CONDITION = re.compile(r"达到|以上|以下|不低于|不少于|满|符合|须|应当|需|具备|条件|年满|累计")


_FIGURE = re.compile(r"\d")


def quote(ctx: Context, intent: str) -> Draft | None:
    # a body clause says more than the table row that restates it; a question asking for a figure
    # ("主动公开政府信息多少条") is answered by a clause that holds one
    asks_figure = I.asks_amount(ctx.question) or bool(re.search(r"几(?:个|条|项|家|次|天|年|月|人|张|件|倍)", ctx.question))

    def prefer_clause(c) -> bool:
        return c.kind != TASK_ROW and (not asks_figure or bool(_FIGURE.search(c.text)))

    clause = pick(ctx, lambda c: True, prefer=prefer_clause, bonus=0.1 if asks_figure else 0.05)
    if not confident(ctx, clause):
        return None
    assert clause is not None
    asked = I.asked_value(ctx.question)
    prefer = _CONDITION if intent == I.CONDITION else (asked[1] if asked else _FIGURE if asks_figure else None)
    sentence = best_sentence(ctx, clause, prefer, bonus=0.5)
    if intent == I.CONDITION:
        check = against_thresholds(ctx.question, sentence)
        if check is not None:
            verdict, derived = check
            return Draft(intent, f"{sentence}[1]{verdict}", [clause], derived)
    return Draft(intent, f"{sentence}[1]", [clause])


_MEASURES = r"家|个|人|名|项|元|美元|千瓦时|千瓦|平方米|亩|个月|年"
_AT_LEAST = re.compile(
    rf"(?:(?:不少于|不低于|达到|满|超过)\s*)?(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*({_MEASURES})(?:（含）)?(?:及)?(?:以上|或以上)"
    rf"|(?:不少于|不低于|达到|满)\s*(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*({_MEASURES})"
)


def against_thresholds(question: str, sentence: str) -> tuple[str, list[str]] | None:
    """"本地9家企业…合同执行了1500万，够不够" against "10家（含）以上且…1000万元（含）以上": each figure the
    caller gives, set against the threshold of the same measure the sentence names."""
    parts, derived, met_all = [], [], True
    seen: set[str] = set()
    for m in _AT_LEAST.finditer(sentence):
        value, scale, measure = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        if measure in seen:
            continue
        unit = r"(?:万|亿|千)?\s*元?" if measure == "元" else re.escape(measure)
        given = re.search(rf"(\d+(?:\.\d+)?)\s*(万|亿|千)?\s*{unit}" if measure != "元" else
                          r"(\d+(?:\.\d+)?)\s*(万|亿|千)\s*元?|(\d+(?:\.\d+)?)\s*()元", question)
        if not given:
            continue
        seen.add(measure)
        g_value = given.group(1) or given.group(3)
        g_scale = given.group(2) if given.group(1) else None
        if measure == "年" and float(g_value) >= 1900:
            continue  # "2022年" is a date, not a duration
        mine = float(g_value) * SCALE[g_scale]
        need = float(value) * SCALE[scale]
        mine_text = f"{g_value}{g_scale or ''}{measure}"
        need_text = f"{value}{scale or ''}{measure}"
        ok = mine >= need
        met_all &= ok
        parts.append(f"{mine_text}{'已达到' if ok else '未达到'}{need_text}")
        derived.append(mine_text)
    if not parts:
        return None
    return f"按您所述：{'；'.join(parts)}，{'所列条件已满足' if met_all else '尚不满足该条件'}。", derived
