"""Structural gold (issue 10): the gold file is well-formed and the test documents stay above the floor.

eval/gold/structure.jsonl holds one record per document (header fields, top-level parts, labels,
snippets in one / different clauses, leads, task rows), written from the documents themselves. The
scorer (eval/run_structure.py) ingests the gold documents without embedding indexes, so a cold run
takes seconds. The floor (eval/results/structure_floors.json) is the measured test pass rate minus 2
points. Skipped when ../shared is absent.
"""

from __future__ import annotations

import json

import pytest

from eval.bulk import bulk_available, document_split
from eval.common import SHARED_CORPUS
from eval.run_structure import FIELDS, GOLD_FILE, load_floors, load_records, run, validate

pytestmark = pytest.mark.skipif(
    not (SHARED_CORPUS.is_dir() and bulk_available()), reason="../shared/corpus or corpus-bulk is absent"
)


@pytest.fixture(scope="module")
def result() -> dict:
    return run(write=False, log=lambda s: None)


def test_gold_is_well_formed() -> None:
    records = load_records()
    assert validate(records) == []
    for line in GOLD_FILE.read_text(encoding="utf-8").splitlines():
        json.loads(line)


def test_gold_covers_the_split() -> None:
    records = load_records()
    split = document_split()
    docs = {r["doc"] for r in records}
    assert len(records) >= 30
    assert set(split["test"]) <= docs, "every test document has a structural record"
    assert len(docs & set(split["dev_bulk"])) >= 6
    assert {p.stem for p in SHARED_CORPUS.iterdir() if p.is_file()} <= docs
    assert all(r["split"] == ("test" if r["doc"] in split["test"] else "dev") for r in records)


def test_every_field_is_scored_on_both_splits(result: dict) -> None:
    summary = result["summary"]
    for split, least in (("dev", 12), ("test", 8)):  # issue 10: at least 8 test documents
        assert summary[split]["documents"] >= least
        assert {"title", "number", "top_parts", "labels", "different"} <= set(summary[split]["fields"])
        assert set(summary[split]["fields"]) <= {*FIELDS, "missing"}


def test_test_split_at_or_above_floor(result: dict) -> None:
    floors = load_floors()
    assert floors, "eval/results/structure_floors.json is missing: run `python -m eval.run_structure --write-floors`"
    overall = result["summary"]["test"]["overall"]
    assert overall >= floors["floors"]["test"], f"test structural pass rate {overall:.3f} < floor {floors['floors']['test']}"


def test_density_rule_is_measured_on_every_document(result: dict) -> None:
    docs = {r["doc"] for r in result["density"]}
    assert {f"guangan36_{i:02d}" for i in range(36)} <= docs
    assert "ganzhou_digital_economy_2022" in docs
