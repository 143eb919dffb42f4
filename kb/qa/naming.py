"""Which document a question names, if any: by its 文号, or by a distinctive run of its title.

A named document narrows the search to it, so a wrong guess costs the answer: a year or a number in
a title names nothing ("2023年…年度报告" is not every question about 2023), and a question that touches
two titles alike ("小微企业" in one, "融资担保" in another) is about a topic they share, not about one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb import lexicon
from kb.models import Document

_TITLE_FIGURES = re.compile(r"[0-9０-９]+年?|[A-Za-z]+")
#: Shortest title run that names a document (Han characters, figures and document kinds left out).
MIN_RUN = 4
#: The longest match must be this many times the runner-up's for the question to name one document.
DOMINANCE = 2


def _longest_run(title: str, question: str) -> int:
    """The longest run of the title's core that the question quotes."""
    core = _TITLE_FIGURES.sub("|", lexicon.alternation("doc_kinds.txt").sub("|", title))
    longest = 0
    for piece in filter(None, core.split("|")):
        for size in range(len(piece), MIN_RUN - 1, -1):
            if size <= longest:
                break
            if any(piece[i : i + size] in question for i in range(len(piece) - size + 1)):
                longest = size
                break
    return longest


def named_document(question: str, docs: Iterable[Document]) -> str | None:
    """The doc_id the question names, or None when it names none or several alike."""
    docs = list(docs)
    for d in docs:
        if d.number and d.number in question:
            return d.doc_id
    runs = sorted(((_longest_run(d.title, question), d.doc_id) for d in docs), reverse=True)
    runs = [r for r in runs if r[0] >= MIN_RUN]
    if runs and (len(runs) == 1 or runs[0][0] >= DOMINANCE * runs[1][0]):
        return runs[0][1]
    return None
