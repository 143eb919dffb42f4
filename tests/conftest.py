"""Shared fixtures: the bundled corpus, the shared real documents, one built KB per session."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared" / "corpus"
TODAY = date(2026, 11, 29)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/corpus is absent")
    return SHARED


@pytest.fixture(scope="session")
def ganzhou_txt() -> Path:
    return CORPUS / "ganzhou_digital_economy_2022.txt"


@pytest.fixture(scope="session")
def ganzhou_pdf() -> Path:
    return CORPUS / "ganzhou_digital_economy_2022.pdf"


@pytest.fixture(scope="session")
def built_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB holding the bundled Ganzhou plan, indexed with the default model (built once)."""
    from kb.library import Library
    from kb.retriever import Retriever

    folder = tmp_path_factory.mktemp("kb-ganzhou")
    library = Library(folder, today=lambda: TODAY)
    reports = library.ingest([CORPUS])
    assert all(r.ok for r in reports), reports
    Retriever(library).index()
    library.store.close()
    return folder


@pytest.fixture(scope="module")
def kb_template(built_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's copy of the session's built KB (conftest.py): the shared one is never touched."""
    copy = tmp_path_factory.mktemp("template") / "kb"
    shutil.copytree(built_kb_dir, copy)
    return copy


@pytest.fixture()
def kb_copy(built_kb_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the built KB for tests that write."""
    target = tmp_path / "kb"
    shutil.copytree(built_kb_dir, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def library(built_kb_dir: Path):
    from kb.library import Library

    return Library(built_kb_dir, today=lambda: TODAY)


@pytest.fixture(scope="session")
def answerer(library):
    from kb.answerer import Answerer

    return Answerer(library)


@pytest.fixture(scope="session")
def pg_dsn():
    """A real PostgreSQL + pgvector for the session (indexing.pg_backend.temporary_postgres)."""
    pytest.importorskip("pgserver", reason="pgserver (PostgreSQL + pgvector) is installed by the test extra")
    pytest.importorskip("psycopg")
    from indexing.pg_backend import temporary_postgres

    with temporary_postgres() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (browser tests only; see ui_fixtures.launched_chromium)."""
    from ui_fixtures import launched_chromium

    with launched_chromium() as instance:
        yield instance
