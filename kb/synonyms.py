"""Everyday words people use for what policy documents say formally (营收 -> 营业收入).

Questions are rewritten before retrieval and matching, so a caller's words meet the document's.
Domain vocabulary, not answers: each entry holds for any policy document.
"""

from __future__ import annotations

import re

from kb import lexicon

#: everyday word -> the documents' word, from kb/lexicon/colloquial.tsv (one entry per line, with its source)
COLLOQUIAL = dict(lexicon.pairs("colloquial.tsv"))

_PATTERN = re.compile("|".join(sorted(map(re.escape, COLLOQUIAL), key=len, reverse=True)))


def formalise(question: str) -> str:
    """The question in the documents' words; the original stays what the user sees."""
    return _PATTERN.sub(lambda m: COLLOQUIAL[m.group(0)], question)
