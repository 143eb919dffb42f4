"""Upload progress that moves during indexing (issue 12): the Ganzhou plan uploaded into an empty KB
reports rising fractions while its passages are embedded, not one step from "saving" to "done"."""

from __future__ import annotations

from pathlib import Path

from conftest import CORPUS, TODAY

from kb.library import Library
from ui.service import READ_SHARE, UIService


def test_the_bar_moves_while_the_plan_is_indexed(tmp_path: Path) -> None:
    service = UIService(Library(tmp_path / "kb", today=lambda: TODAY))
    seen: list[tuple[float, str]] = []
    reports = service.ingest_uploads([(CORPUS / "ganzhou_digital_economy_2022.txt", None)],
                                     progress=lambda f, d: seen.append((f, d)))
    assert [r["ok"] for r in reports] == [True] and reports[0]["clauses"] > 100
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    indexing = [(f, d) for f, d in seen if "已嵌入" in d]
    assert len(indexing) >= 2  # one call per embedding batch of 64 passages
    assert all(READ_SHARE < f < 1.0 for f, _ in indexing)
    assert len({f for f, _ in indexing}) == len(indexing)  # each batch moves the bar
    done, total = indexing[-1][1].split("（已嵌入 ")[1].split(" 段")[0].split("/")
    assert done == total and int(total) == len(service.answerer.retriever.index())
