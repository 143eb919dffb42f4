"""The learned answer model (kb/lexicon/answer_model.json): the committed file fits the code's signals, and a
gate fitted on other signals never throws the candidate weights away."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb import lexicon
from kb.qa import scoring


@pytest.fixture()
def fresh_model():
    scoring.model.cache_clear()
    yield
    scoring.model.cache_clear()


def _committed() -> dict:
    return json.loads((lexicon.HERE / scoring.MODEL_FILE).read_text(encoding="utf-8"))


def test_the_committed_model_was_fitted_on_the_signals_the_code_computes(fresh_model) -> None:
    data = _committed()
    assert data["features"] == list(scoring.FEATURES) and data["gate_features"] == list(scoring.GATE_FEATURES)
    m = scoring.model()
    assert m.gate_weights is not None and len(m.gate_weights) == len(scoring.GATE_FEATURES)
    assert 0.0 < m.threshold < 1.0 and "fit_answer_model" in data["command"]


def test_a_gate_of_other_signals_keeps_the_candidate_weights(fresh_model, monkeypatch) -> None:
    data = _committed()
    data["gate_features"] = [*data["gate_features"], "a_signal_the_code_no_longer_has"]
    monkeypatch.setattr(lexicon, "load_json", lambda name: data)
    m = scoring.model()
    assert np.allclose(m.weights, data["weights"]) and m.bias == pytest.approx(data["bias"])
    assert m.gate_weights is None  # the gate falls back to the best candidate's own score


def test_a_model_of_other_candidate_signals_falls_back_to_the_prior(fresh_model, monkeypatch) -> None:
    data = _committed()
    data["features"] = ["something_else"]
    monkeypatch.setattr(lexicon, "load_json", lambda name: data)
    m = scoring.model()
    assert len(m.weights) == len(scoring.FEATURES) and m.gate_weights is None


def test_a_signed_signal_keeps_its_side_of_zero() -> None:
    """fit_logistic(signs=…): a feature that on the fitting questions happens to run against its meaning
    is held at zero instead of learning the wrong direction."""
    from eval.fit_answer_model import fit_logistic

    rng = np.random.default_rng(7)
    helpful = rng.normal(size=400)
    y = (helpful + 0.3 * rng.normal(size=400) > 0).astype(float)
    against = -y + 0.5 * rng.normal(size=400)  # on these questions it runs the wrong way
    x = np.column_stack([helpful, against])
    free, _ = fit_logistic(x, y)
    held, _ = fit_logistic(x, y, signs=np.array([1.0, 1.0]))
    assert free[1] < 0 and held[1] == pytest.approx(0.0, abs=1e-9) and held[0] > 0


def test_the_committed_gate_keeps_the_signs_its_signals_mean(fresh_model) -> None:
    m = scoring.model()
    for name, weight in zip(scoring.GATE_FEATURES, m.gate_weights, strict=True):
        sign = scoring.GATE_SIGNS.get(name, 0)
        assert sign * weight >= 0, f"{name}: {weight}"


@pytest.mark.parametrize(("answer_type", "flags"), [
    ("money", (1.0, 0.0, 0.0)), ("date", (1.0, 0.0, 0.0)), ("yesno", (0.0, 1.0, 0.0)),
    ("materials", (0.0, 0.0, 1.0)), ("unit", (0.0, 0.0, 0.0)), ("keyword", (0.0, 0.0, 0.0)),
])
def test_the_gate_reads_the_kind_of_thing_asked(answer_type: str, flags: tuple) -> None:
    from kb.confidence import GramStats

    q = scoring.Question("问题", answer_type, ["问题"], ["问题"])
    row = scoring.gate_features(q, [], None, GramStats([]), {})
    named = dict(zip(scoring.GATE_FEATURES, row, strict=True))
    assert (named["asks_value"], named["asks_yesno"], named["asks_items"]) == flags
