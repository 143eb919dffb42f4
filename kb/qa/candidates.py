"""Candidate answers: the sentences and enumerated items of the top clauses.

Never a candidate: a heading or title, a date line, a signature, a link or site furniture
(kb/lexicon/boilerplate.txt). A lead-in line ("遵循以下流程：") stays a candidate, but its composer
answers with the items it introduces, never with the line alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kb import lexicon
from kb.models import HEADING, Clause

#: How many of the search's clauses give candidates.
CANDIDATE_CLAUSES = 8

# item markers of official writing: （1） (1) 1. 1、 ① （一） 一是
ITEM_MARKER = re.compile(r"(?:^|(?<=[：:；;。\n\s]))(?:（\d{1,2}）|\(\d{1,2}\)|\d{1,2}[.．、](?!\d)|[①-⑳]|（[一二三四五六七八九十]{1,3}）|[一二三四五六七八九十]是)")
_MARKER_AT_START = re.compile(r"^\s*(?:（\d{1,2}）|\(\d{1,2}\)|\d{1,2}[.．、](?!\d)|[①-⑳]|（[一二三四五六七八九十]{1,3}）|[一二三四五六七八九十]{1,3}、|[一二三四五六七八九十]是|第[一二三四五六七八九十百]+条)\s*")
_DIGIT_ITEM = re.compile(r"^\s*(?:（\d{1,2}）|\(\d{1,2}\)|\d{1,2}[.．、](?!\d)|[①-⑳])")
_DATE_LINE = re.compile(r"[\s（(]*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[\s）)]*(?:印发|发布)?[。]?")
_SENTENCE_END = re.compile(r"(?<=[。；！？!?\n])")


@dataclass
class Candidate:
    text: str
    clause: Clause
    rank: int  # the clause's rank in the search (0 = first)
    hit_score: float
    index: int  # position in the clause (0 = first)
    item: bool = False  # an enumerated item
    lead_in: bool = False  # ends with "：": introduces a list
    prob: float = 0.0  # the learned score, filled in by kb.qa.scoring
    features: Any = None  # its feature row (numpy), filled in by kb.qa.scoring


def strip_marker(text: str) -> str:
    return _MARKER_AT_START.sub("", text, count=1).strip()


def boilerplate(text: str) -> bool:
    return bool(lexicon.alternation("boilerplate.txt").search(text))


def is_junk(text: str, clause: Clause, doc_title: str = "", issuer: str = "") -> bool:
    """A title, heading, date line, signature, link or site furniture: never an answer."""
    body = strip_marker(text).rstrip("。；;：: \n")
    if len(body) < 6 or boilerplate(text) or _DATE_LINE.fullmatch(text.strip()):
        return True
    sentence_like = bool(re.search(r"[，,、\d]", body))
    if body == doc_title or (doc_title and body in doc_title):
        return True
    if body == clause.title.strip("。 ") and not sentence_like:
        return True  # a caption heading; a clause whose "title" is its own first sentence keeps it
    if issuer and body.replace(" ", "") in issuer.replace(" ", ""):
        return True
    if re.fullmatch(r"[〔【(（][^〔〕【】]*(?:单位|部门)[^〔〕【】]*[〕】)）]", body):
        return True  # 〔牵头单位：…，责任单位：…〕 annotates a clause, it answers nothing itself
    if _DIGIT_ITEM.match(text):
        return False  # "2.经评估为失能的老人。": a short item is still an item
    if re.search(r"[：:]\s*\S", body):
        return False  # "牵头单位：市数据局": a label and its value state a fact
    # a bare heading: short, no verb-like punctuation inside, no figure
    return len(body) <= 14 and not sentence_like and not text.rstrip().endswith(("：", ":"))


def split_items(sentence: str) -> list[str]:
    """A sentence holding two or more inline items ("：（1）…（2）…") cut at its markers."""
    starts = [m.start() for m in ITEM_MARKER.finditer(sentence)]
    if len(starts) < 2:
        return [sentence]
    pieces = [sentence[: starts[0]]] if starts[0] > 0 else []
    pieces += [sentence[a:b] for a, b in zip(starts, starts[1:] + [len(sentence)], strict=True)]
    return [p for p in pieces if p.strip()]


def clause_units(clause: Clause) -> list[tuple[str, bool]]:
    """The clause's sentences and items in reading order, each with whether it is an item.

    Items are cut at their markers first (an item may hold a full stop of its own, and items are often
    separated by "；"), then what is not an item is cut into sentences."""
    out: list[tuple[str, bool]] = []
    for piece in split_items(clause.text):
        if _MARKER_AT_START.match(piece) and len(ITEM_MARKER.findall(clause.text)) >= 2:
            out.append((piece.strip(), True))
            continue
        for sentence in _SENTENCE_END.split(piece):
            if sentence.strip():
                out.append((sentence.strip(), bool(_MARKER_AT_START.match(sentence))))
    return out


def candidates(hits: list[tuple[Clause, float]], titles: dict[str, str], issuers: dict[str, str],
               depth: int = CANDIDATE_CLAUSES) -> list[Candidate]:
    out: list[Candidate] = []
    for rank, (clause, score) in enumerate(hits[:depth]):
        if clause.kind == HEADING:
            continue
        title, issuer = titles.get(clause.doc_id, ""), issuers.get(clause.doc_id, "")
        for index, (text, item) in enumerate(clause_units(clause)):
            if is_junk(text, clause, title, issuer):
                continue
            out.append(Candidate(text.replace("\t", " "), clause, rank, score, index, item,
                                 text.rstrip().endswith(("：", ":"))))
    return out
