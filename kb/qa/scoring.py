"""One learned score for every candidate: general signals combined by a logistic model fitted on dev gold.

Signals (FEATURES): IDF-weighted coverage of the question's words and bigrams by the candidate and by
its clause, the e5 similarity of question and clause, whether the candidate (or its clause) states a
value of the asked type, the clause's retrieval score relative to the best and its rank, the
candidate's place in its clause and its shape (item, lead-in, very short). The weights and the one
found / not-found threshold live in kb/lexicon/answer_model.json, written by
`python -m eval.fit_answer_model` from the dev documents' gold only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kb import lexicon
from kb.confidence import GramStats, clause_haystack
from kb.models import TASK_ROW
from kb.qa import analysis as A
from kb.qa.analysis import UNIT, states_value
from kb.qa.candidates import Candidate

FEATURES = (
    "cov_words", "cov_grams", "cov_context", "cov_clause", "dense", "dense_gap", "rel_score", "recip_rank",
    "has_value", "clause_has_value", "first_in_clause", "item", "lead_in", "short", "task_row", "task_row_unit",
)
#: The found / not-found score reads the question as a whole: its best candidate's score and coverage,
#: the best clause coverage of the search, the share of its words no clause of the KB uses, and how far
#: the best candidate stands above the next (one clear answer, or many half-fitting sentences), and the
#: kind of thing asked (a value, a yes or no, a list of items): near misses are mostly values asked of a
#: level, year or amount the documents do not hold, and a list's items seldom repeat the question's words.
GATE_FEATURES = ("best_logit", "best_cov_words", "best_cov_clause", "max_cov_clause", "unknown_share",
                 "best_has_value", "top_clauses_have_value", "missing_rare", "best_margin",
                 "asks_value", "asks_yesno", "asks_items")
#: The direction each found / not-found signal may push, from what it means: a fit on one KB's questions
#: must not learn that unknown words or a missing rare word make an answer more likely (0: either way).
GATE_SIGNS = {"best_logit": 1, "best_cov_clause": 1, "best_cov_words": 1, "max_cov_clause": 1, "unknown_share": -1, "best_has_value": 1,
              "missing_rare": -1, "best_margin": 1}
MODEL_FILE = "answer_model.json"
_YEAR = re.compile(r"(?:19|20)\d\d")
#: The margin of a question with one candidate only (none to stand above).
SOLE_MARGIN = 5.0
_VALUE_TYPES = (A.MONEY, A.RATE, A.COUNT, A.DATE)
_ITEM_TYPES = (A.CONDITIONS, A.MATERIALS, A.PROCEDURE, A.LIST)


@dataclass
class Model:
    weights: np.ndarray
    bias: float
    threshold: float
    gate_weights: np.ndarray | None = None
    gate_bias: float = 0.0

    def logit(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights + self.bias

    def prob(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))

    def found_prob(self, g: np.ndarray) -> float:
        """The calibrated probability that the documents answer the question (GATE_FEATURES row)."""
        if self.gate_weights is None:
            return float(1.0 / (1.0 + np.exp(-g[0])))
        return float(1.0 / (1.0 + np.exp(-(g @ self.gate_weights + self.gate_bias))))


# Used only until eval.fit_answer_model has written the model file: coverage dominates, as before.
_PRIOR = {"cov_words": 3.0, "cov_grams": 2.0, "cov_clause": 2.0, "dense": 1.0, "rel_score": 1.0,
          "recip_rank": 0.5, "has_value": 0.5}


@lru_cache(maxsize=1)
def model() -> Model:
    data = lexicon.load_json(MODEL_FILE)
    if data.get("features") == list(FEATURES) and data.get("gate_features") == list(GATE_FEATURES):
        return Model(np.array(data["weights"], dtype=float), float(data["bias"]), float(data["threshold"]),
                     np.array(data["gate_weights"], dtype=float), float(data["gate_bias"]))
    if data.get("features") == list(FEATURES):
        # a gate fitted on other signals (GATE_FEATURES changed, `--gate-only` not yet re-run): the candidate
        # weights still hold, and `fit_answer_model --gate-only` must collect its candidates under them
        return Model(np.array(data["weights"], dtype=float), float(data["bias"]), float(data["threshold"]))
    return Model(np.array([_PRIOR.get(f, 0.0) for f in FEATURES]), -5.0, 0.5)


@dataclass
class Question:
    """What the scorer needs of a question."""

    text: str
    answer_type: str
    words: list[str]
    grams: list[str]


def _share(stats: GramStats, units: list[str], text: str, idf) -> float:
    total = sum(idf(u) for u in units)
    return sum(idf(u) for u in units if u in text) / total if total else 0.0


def features(q: Question, cands: list[Candidate], stats: GramStats, dense: dict[str, float],
             clause_cov: dict[str, float]) -> np.ndarray:
    """One row of FEATURES per candidate."""
    top = max((c.hit_score for c in cands), default=1.0) or 1.0
    top_dense = max(dense.values(), default=0.0)
    rows = []
    clause_value: dict[str, bool] = {}
    for c in cands:
        low = c.text.lower()
        cid = c.clause.clause_id
        if cid not in clause_value:
            clause_value[cid] = states_value(q.answer_type, c.clause.text)
        context = " ".join([low, c.clause.title, *c.clause.path]).lower()
        rows.append([
            _share(stats, q.words, low, stats.word_idf),
            _share(stats, q.grams, low, stats.idf),
            _share(stats, q.words, context, stats.word_idf),
            clause_cov.get(cid, 0.0),
            dense.get(cid, 0.0),
            dense.get(cid, 0.0) - top_dense,
            max(c.hit_score, 0.0) / top,
            1.0 / (1 + c.rank),
            float(states_value(q.answer_type, c.text)),
            float(clause_value[cid]),
            float(c.index == 0),
            float(c.item),
            float(c.lead_in),
            float(len(c.text) < 20),
            # a task-table line (序号, task, units run together) names who does what: it answers a
            # question of units, seldom one of amounts or conditions
            float(c.clause.kind == TASK_ROW),
            float(c.clause.kind == TASK_ROW and q.answer_type == UNIT),
        ])
    return np.array(rows, dtype=float).reshape(len(rows), len(FEATURES))


def gate_features(q: Question, ranked: list[Candidate], x_best: np.ndarray | None, stats: GramStats,
                  clause_cov: dict[str, float]) -> np.ndarray:
    """The GATE_FEATURES row of a question whose candidates are `ranked` (best first)."""
    word_mass = sum(stats.word_idf(w) for w in q.words)
    unknown = sum(stats.word_idf(w) for w in q.words if stats.word_df(w) == 0) / word_mass if word_mass else 1.0
    max_cov = max(clause_cov.values(), default=0.0)
    asked = [float(q.answer_type in _VALUE_TYPES), float(q.answer_type == A.YESNO), float(q.answer_type in _ITEM_TYPES)]
    if not ranked or x_best is None:
        return np.array([-10.0, 0.0, 0.0, max_cov, unknown, 0.0, 0.0, 1.0, 0.0, *asked])
    f = dict(zip(FEATURES, x_best, strict=True))
    clause = ranked[0].clause
    top = {c.clause.clause_id: c.clause for c in ranked[:3]}.values()
    have_value = float(any(states_value(q.answer_type, c.text) for c in top))
    # the rarest question word the best candidate's clause (heading path and title included) lacks:
    # a near miss names the topic and one thing (a year, a level, a place) the documents do not hold
    hay = clause_haystack(clause, stats.titles.get(clause.doc_id, ""))
    scale = math.log(stats.n + 1) or 1.0
    # a word no clause uses counts (at its reduced weight): a question about what the KB lacks altogether
    # is missing its words everywhere; a year is left to the year check, which reads the documents' periods
    # (the year of asking, "2025年还能申请吗", is not what the clause must hold)
    missing = max((stats.word_idf(w) for w in q.words if w not in hay and not _YEAR.fullmatch(w)),
                  default=0.0) / scale
    best_logit = float(model().logit(x_best[None, :])[0])
    second = ranked[1].features if len(ranked) > 1 else None
    margin = best_logit - float(model().logit(second[None, :])[0]) if second is not None else SOLE_MARGIN
    return np.array([float(np.clip(best_logit, -10, 10)), f["cov_words"], f["cov_clause"],
                     max_cov, unknown, f["has_value"], have_value, missing, float(np.clip(margin, 0.0, 10.0)),
                     *asked])


def score(q: Question, cands: list[Candidate], stats: GramStats, dense: dict[str, float],
          clause_cov: dict[str, float]) -> list[Candidate]:
    """The candidates with their probability of answering the question, best first."""
    if not cands:
        return []
    x = features(q, cands, stats, dense, clause_cov)
    probs = model().prob(x)
    for c, p, row in zip(cands, probs, x, strict=True):
        c.prob = float(p) if math.isfinite(p) else 0.0
        c.features = row
    return sorted(cands, key=lambda c: -c.prob)


def found_prob(q: Question, ranked: list[Candidate], stats: GramStats, clause_cov: dict[str, float]) -> float:
    best = ranked[0].features if ranked else None
    return model().found_prob(gate_features(q, ranked, best, stats, clause_cov))
