"""Keyword and condition questions: the clause that holds the words, its most relevant sentence first."""

from __future__ import annotations

import re

from kb import intent as I
from kb.compose.common import Context, Draft, best_sentence, confident, pick
from kb.models import TASK_ROW

_CONDITION = re.compile(r"达到|以上|以下|不低于|不少于|满|符合|须|应当|需|具备|条件|年满|累计")


def quote(ctx: Context, intent: str) -> Draft | None:
    # a body clause says more than the table row that restates it
    clause = pick(ctx, lambda c: True, prefer=lambda c: c.kind != TASK_ROW, bonus=0.05)
    if not confident(ctx, clause):
        return None
    assert clause is not None
    prefer = _CONDITION if intent == I.CONDITION else None
    sentence = best_sentence(ctx, clause, prefer, bonus=0.5)
    return Draft(intent, f"{sentence}[1]", [clause])
