"""Keyword and condition questions: the clause that holds the words, its most relevant sentence first."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import Context, Draft, best_sentence, confident, pick
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
    return Draft(intent, f"{sentence}[1]", [clause])
