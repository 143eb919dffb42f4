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
