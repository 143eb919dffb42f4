"""The knowledge base as one object: ingest files, list documents and units, build citations.

CLI, UI and HTTP go through `Library` (and the answerer on top of it), never the store directly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from kb.errors import KBCorruptError, ParseLimitError, PolicyKBError, ReadError
from kb.models import TASK_ROW, Citation, Clause, Document, ParsedDocument, TaskRow
from kb.parse import distinct_doc_id, same_document, same_number_warning, with_doc_id
from kb.readers import DEFAULT_MAX_BYTES
from kb.sandbox import ParseLimits, Parser, too_many_clauses_message
from kb.sidedb import DATABASE_ENV
from kb.store import Store
from kb.validity import clause_validity

SUPPORTED_SUFFIXES = {".txt", ".md", ".pdf", ".docx", ".html", ".htm"}
BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
log = logging.getLogger(__name__)
_SAFE_NAME = re.compile(r"^[\w\-. ()（）]{1,120}$")


def default_kb_dir(explicit: str | None = None) -> Path:
    """--kb DIR, else $POLICYKB_HOME, else ./.policykb (DESIGN.md)."""
    return Path(explicit or os.environ.get("POLICYKB_HOME") or ".policykb")


def bundled_corpus() -> Path:
    """The product's own documents: the repo's corpus/ (or $POLICYKB_CORPUS)."""
    return Path(os.environ.get("POLICYKB_CORPUS") or BUNDLED_CORPUS)


@dataclass
class IngestReport:
    """What happened to one file."""

    path: str
    ok: bool
    doc_id: str = ""
    title: str = ""
    number: str = ""
    clauses: int = 0
    rows: int = 0
    replaced: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders walked for supported names (sorted, so runs are repeatable).

    An entry with a supported name that is not a regular file (a FIFO, a link to a device) is kept, so
    that it is refused by name rather than skipped in silence."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in SUPPORTED_SUFFIXES and not f.is_dir()))
        else:
            out.append(p)
    return out


class Library:
    """A KB folder: the SQLite store plus the retrieval index, and the clock validity is judged by."""

    def __init__(self, kb_dir: str | Path, *, today: Callable[[], date] = date.today,
                 max_bytes: int = DEFAULT_MAX_BYTES, limits: ParseLimits | None = None,
                 database: str | None = None) -> None:
        self.kb_dir = Path(kb_dir)
        self.kb_dir.mkdir(parents=True, exist_ok=True)
        # PostgreSQL (`database`, else $POLICYKB_DATABASE): the store lives there, shared by app servers
        self.database = database if database is not None else os.environ.get(DATABASE_ENV) or None
        if self.database:
            from kb.pgstore import open_store

            self.store = open_store(self.database)
        else:
            self.store = Store(self.kb_dir / "kb.sqlite")
        self.today = today
        self.max_bytes = max_bytes
        self.limits = limits or ParseLimits.from_env()  # each file is parsed in a limited worker process
        self._lock = threading.RLock()
        self._cache_generation = -1
        self._documents: dict[str, Document] = {}
        self._clauses: dict[str, Clause] = {}
        self._rows: list[TaskRow] = []
        try:  # read everything once now: a damaged page is reported when the KB is opened, not mid-answer
            self._refresh()
        except KBCorruptError:
            self.store.close()
            raise

    # -- ingest ----------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path]) -> list[IngestReport]:
        """Parse each file in a worker process with CPU and memory limits (`self.limits`), then store it
        in its own transaction here; a bad or hostile file is reported by name and changes nothing, and
        the rest go on. No lock is held while a file is parsed."""
        files = expand_paths(paths)
        with Parser(self.limits) as parser:
            return [self._ingest_one(path, parser=parser) for path in files]

    def _ingest_one(self, path: Path, display_name: str | None = None, parser: Parser | None = None) -> IngestReport:
        name = display_name or str(path)
        parsed = self.parse_one(path, name, parser)
        return parsed if isinstance(parsed, IngestReport) else self.save_parsed(parsed, name)

    def parse_one(self, path: str | Path, name: str, parser: Parser | None = None) -> ParsedDocument | IngestReport:
        """Parse one file (read, check, segment, extract) without touching the store: the parsed document,
        or a failed report naming the file. Safe to run in several threads at once (one Parser each), so
        a slow file never holds up another file or a writer."""
        try:
            if "\x00" in name:
                raise ReadError(name.replace("\x00", "\\0"), "文件名中含有非法字符（NUL），请重命名后再导入")
            if parser is None:
                with Parser(self.limits) as own:
                    parsed = own.parse(path, name, self.max_bytes)
            else:
                parsed = parser.parse(path, name, self.max_bytes)
            if len(parsed.clauses) > self.limits.max_clauses:
                raise ParseLimitError(name, too_many_clauses_message(name, len(parsed.clauses), self.limits))
            return parsed
        except PolicyKBError as exc:
            return IngestReport(path=name, ok=False, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one file's failure is reported by name; the rest go on
            log.exception("parsing %s failed", name)
            return IngestReport(path=name, ok=False, error=f"无法导入文件 {name}：{type(exc).__name__}: {exc}")

    def save_parsed(self, parsed: ParsedDocument, name: str) -> IngestReport:
        """Store one parsed document in its own transaction (replacing an earlier copy of it)."""
        try:
            parsed, existing = self._keep_apart(parsed)
            self.store.save(parsed, datetime.now().isoformat(timespec="seconds"))
        except PolicyKBError as exc:
            return IngestReport(path=name, ok=False, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one file's failure is reported by name; the rest go on
            log.exception("storing %s failed", name)
            return IngestReport(path=name, ok=False, error=f"无法导入文件 {name}：{type(exc).__name__}: {exc}")
        doc = parsed.document
        return IngestReport(
            path=name, ok=True, doc_id=doc.doc_id, title=doc.title, number=doc.number,
            clauses=len(parsed.clauses), rows=len(parsed.task_rows), replaced=existing is not None,
            warnings=doc.warnings,
        )

    def _keep_apart(self, parsed: ParsedDocument) -> tuple[ParsedDocument, Document | None]:
        """The document to store and the stored copy it replaces. A file whose 文号 is already held by a
        document of another title is stored beside it under 文号 + title (one of the two 文号 is probably
        misread), with a warning, instead of replacing it."""
        existing = self.store.document(parsed.document.doc_id)
        if existing is None or same_document(existing, parsed.document):
            return parsed, existing
        moved = with_doc_id(parsed, distinct_doc_id(parsed.document))
        moved.document.warnings = [*moved.document.warnings, same_number_warning(existing)]
        return moved, self.store.document(moved.document.doc_id)

    def remove(self, doc_id: str) -> bool:
        return self.store.remove(doc_id)

    # -- document management (disabled documents included) ----------------------------------------
    def all_documents(self) -> list[Document]:
        """Every stored document, disabled ones included (`documents()` lists only the enabled)."""
        return self.store.documents()

    def disabled_ids(self) -> set[str]:
        return self.store.disabled_ids()

    def set_disabled(self, doc_id: str, disabled: bool, actor: str) -> None:
        """Switch a document off (it leaves answers, search and unit pages) or on again."""
        self.store.set_disabled(doc_id, disabled, actor, datetime.now().isoformat(timespec="seconds"))

    def correct(self, doc_id: str, fields: dict[str, str | None], actor: str) -> dict[str, tuple[str, str]]:
        """Correct header fields (kb.store.CORRECTABLE; None withdraws a correction); {field: (before, after)}."""
        return self.store.correct(doc_id, fields, actor, datetime.now().isoformat(timespec="seconds"))

    def is_empty(self) -> bool:
        return not self.store.documents()

    def ensure_bundled(self) -> list[IngestReport]:
        """A KB with no documents is filled from the bundled corpus first (the embedded default)."""
        if self.is_empty() and bundled_corpus().is_dir():
            return self.ingest([bundled_corpus()])
        return []

    # -- reading (cached per store generation; safe under concurrent readers) ---------------------
    def _refresh(self) -> None:
        generation = self.store.generation()
        if generation == self._cache_generation:
            return
        with self._lock:
            if generation == self._cache_generation:
                return
            off = self.store.disabled_ids()  # a disabled document leaves answers, search and unit pages
            docs = {d.doc_id: d for d in self.store.documents() if d.doc_id not in off}
            clauses = {c.clause_id: c for c in self.store.clauses() if c.doc_id not in off}
            rows = [r for r in self.store.task_rows() if r.doc_id not in off]
            self._documents, self._clauses, self._rows = docs, clauses, rows
            self._cache_generation = generation

    @property
    def generation(self) -> int:
        self._refresh()
        return self._cache_generation

    def documents(self) -> list[Document]:
        self._refresh()
        return list(self._documents.values())

    def document(self, doc_ref: str) -> Document | None:
        """By doc_id, 文号 or (a unique part of) the title."""
        self._refresh()
        if doc_ref in self._documents:
            return self._documents[doc_ref]
        for d in self._documents.values():
            if doc_ref and doc_ref in (d.number, d.title):
                return d
        matches = [d for d in self._documents.values() if doc_ref and doc_ref in d.title]
        return matches[0] if len(matches) == 1 else None

    def original_file(self, doc: Document) -> Path | None:
        """A readable copy of the file ``doc`` was read from. On PostgreSQL the store keeps the uploaded
        bytes, so every app server has them: written once under <kb>/originals/<hash>/; otherwise (SQLite,
        or a document saved before originals were kept) the source path itself, when it is still there."""
        getter = getattr(self.store, "original", None)
        kept = getter(doc.doc_id) if getter else None
        if kept is not None:
            name, data = kept
            suffix = Path(name).suffix.lower()
            if not (_SAFE_NAME.match(name) and suffix in SUPPORTED_SUFFIXES):  # the name came from the database
                name = f"original{suffix if suffix in SUPPORTED_SUFFIXES else ''}"
            path = self.kb_dir / "originals" / hashlib.sha256(data).hexdigest()[:24] / name
            if not path.is_file() or path.stat().st_size != len(data):
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            return path
        source = Path(doc.source_path)
        return source if source.is_file() else None

    def clauses(self, doc_id: str | None = None) -> list[Clause]:
        self._refresh()
        values = list(self._clauses.values())
        return [c for c in values if c.doc_id == doc_id] if doc_id else values

    def clause(self, clause_id: str) -> Clause | None:
        self._refresh()
        return self._clauses.get(clause_id)

    def task_rows(self, doc_id: str | None = None) -> list[TaskRow]:
        self._refresh()
        return [r for r in self._rows if r.doc_id == doc_id] if doc_id else list(self._rows)

    def neighbours(self, clause_id: str, width: int = 2) -> list[Clause]:
        """The clause among its neighbours in reading order ("在原文中查看")."""
        clause = self.clause(clause_id)
        if clause is None:
            return []
        ordered = sorted(self.clauses(clause.doc_id), key=lambda c: c.seq)
        i = next(k for k, c in enumerate(ordered) if c.clause_id == clause_id)
        return ordered[max(0, i - width) : i + width + 1]

    def units(self) -> dict[str, dict[str, list[Clause]]]:
        """Every unit with the clauses (rows included) it leads and shares."""
        self._refresh()
        table: dict[str, dict[str, list[Clause]]] = {}
        for c in sorted(self._clauses.values(), key=lambda c: (c.doc_id, c.seq)):
            for unit in c.lead_units:
                table.setdefault(unit, {"lead": [], "shared": []})["lead"].append(c)
            for unit in c.responsible_units:
                table.setdefault(unit, {"lead": [], "shared": []})["shared"].append(c)
        return table

    def validity(self, clause: Clause) -> tuple[bool | None, str]:
        doc = self._documents.get(clause.doc_id) or self.store.document(clause.doc_id)
        if doc is None:
            return None, ""
        return clause_validity(doc, clause, self.today())

    def cite(self, clause: Clause, score: float = 0.0) -> Citation:
        self._refresh()
        doc = self._documents[clause.doc_id]
        in_force, note = self.validity(clause)
        path = list(clause.path)
        if clause.kind == TASK_ROW and not path:
            path = ["附件"]
        return Citation(
            doc_id=doc.doc_id, doc_title=doc.title, doc_number=doc.number, clause_id=clause.clause_id,
            label=clause.label, path=path, text=clause.text, start=clause.start, end=clause.end,
            score=round(float(score), 4), in_force=in_force, validity_note=note,
        )
