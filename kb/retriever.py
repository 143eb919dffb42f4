"""Hybrid retrieval over the KB's clauses, with filters, on top of `indexing`.

The index lives in `<kb>/index`; it records the store generation it was built from and is rebuilt
(re-embedding only new passages) when the store has moved on.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass

from indexing import FusionParams, Passage, StaleIndexError, get_embedder
from indexing.backend import DATABASE_ENV, PassageMeta, SearchBackend, SearchFilter, SearchIndex, open_backend
from indexing.tokenizer import dictionary_hash
from kb.library import Library
from kb.models import PREAMBLE, TASK_ROW, Clause
from kb.query import asks_period, search_text, topic_text
from kb.store import SCHEMA_VERSION
from kb.validity import _applies

DEFAULT_MODEL = os.environ.get("POLICYKB_MODEL", "e5")  # e5 | use | st:/path/to/model


@dataclass
class Filters:
    """Search filters from the UI/CLI: one document, a chapter, a unit, in force only."""

    doc_id: str | None = None
    chapter: str | None = None
    unit: str | None = None
    in_force_only: bool = False


def domain_terms(clauses: list[Clause]) -> list[str]:
    """Words jieba must keep whole: unit names, quoted terms, programme names."""
    terms: set[str] = set()
    for c in clauses:
        terms.update(u for u in c.lead_units + c.responsible_units if 2 <= len(u) <= 20)
        terms.update(m for m in re.findall(r"“([^“”]{2,12})”", c.text))
    return sorted(terms)


def passage_of(library: Library, clause: Clause) -> Passage:
    doc = library.document(clause.doc_id)
    title = doc.title if doc else ""
    context = " > ".join([title, *clause.path])
    text = clause.text.replace("\t", " ")
    if clause.kind == TASK_ROW and clause.lead_units:
        text += f" 牵头单位：{'、'.join(clause.lead_units)}"
    return Passage(clause_id=clause.clause_id, doc_id=clause.doc_id, text=text, context=context)


def passage_meta(library: Library, clause: Clause) -> PassageMeta:
    """What a database backend filters on (the same fields `Retriever._allowed` reads); the period is that
    of the validity statement `kb.validity.clause_validity` judges the clause by."""
    doc = library.document(clause.doc_id)
    statements = sorted((v for v in (doc.validity if doc else []) if v.end_date and _applies(v, clause)),
                        key=lambda v: v.scope == "全文")
    period = (statements[0].start_date, statements[0].end_date) if statements else (None, None)
    return PassageMeta((*clause.path, clause.label, clause.title),
                       (*clause.lead_units, *clause.responsible_units), *period)


class Retriever:
    """Loads (or rebuilds) the hybrid index for the library's current generation; on PostgreSQL
    (`database`, else $POLICYKB_DATABASE) the index lives there and filters run as SQL."""

    def __init__(self, library: Library, model: str = DEFAULT_MODEL, database: str | None = None) -> None:
        self.library = library
        self.model = model
        self.database = (database if database is not None
                         else getattr(library, "database", None) or os.environ.get(DATABASE_ENV) or None)
        self._index: SearchIndex | None = None
        self._index_generation = -1
        self._lock = threading.Lock()

    @property
    def folder(self):
        return self.library.kb_dir / f"index-{self.model.replace(':', '_').replace('/', '_')}"

    def _indexed_clauses(self) -> list[Clause]:
        """What the index holds: every clause but the short preamble lines (salutations, dates)."""
        return [c for c in self.library.clauses() if c.kind != PREAMBLE or len(c.text) > 20]

    def _kb_version(self, clauses: list[Clause]) -> str:
        """The store generation and a digest of what is indexed: a store rebuilt from scratch can reach
        the same generation with other documents, and an index copied next to it must not pass."""
        digest = hashlib.sha1()
        for c in clauses:
            digest.update(f"{c.clause_id}\x00{c.doc_id}\x00{len(c.text)}\x00{c.text[:64]}\x01".encode())
        return f"schema{SCHEMA_VERSION}-gen{self.library.generation}-{digest.hexdigest()[:16]}"

    def expected_version(self) -> str:
        """The kb_version an index must carry to serve the store as it is now."""
        return self._kb_version(self._indexed_clauses())

    def backend(self, progress=None) -> SearchBackend:
        """Where this retriever's index lives: the embedded folder, or PostgreSQL."""
        return open_backend(self.database, self.folder, self.model, progress=progress)

    def index(self, wait: bool = True, progress=None, vectors: dict | None = None) -> SearchIndex:
        """The index for the current store generation; with `wait=False`, while another thread
        rebuilds it, the previous index keeps serving (readers never block on an upload).
        `vectors`: embedding key -> vector computed elsewhere (kb.bulk's workers), used by a rebuild."""
        generation = self.library.generation
        if self._index is not None and self._index_generation == generation:
            return self._index
        if not wait and self._index is not None and not self._lock.acquire(blocking=False):
            return self._index
        if not wait and self._index is not None:
            self._lock.release()
        with self._lock:
            if self._index is not None and self._index_generation == generation:
                return self._index
            clauses = self._indexed_clauses()
            terms = domain_terms(clauses)
            embedder = get_embedder(self.model)
            backend = self.backend(progress)
            try:
                # fusion is a query-time choice: today's default, not whatever the index was built with
                index = backend.open(embedder, self._kb_version(clauses), dictionary_hash(terms),
                                     fusion=FusionParams())
            except (StaleIndexError, FileNotFoundError):
                passages = [passage_of(self.library, c) for c in clauses]
                metas = {c.clause_id: passage_meta(self.library, c) for c in clauses} if self.database else None
                # progress(done, total) per batch; a database build also reuses the local embedding cache
                index = backend.build(passages, embedder, terms, self._kb_version(clauses), metas=metas,
                                      reuse=self.folder, vectors=vectors)
            self._index, self._index_generation = index, generation
            return index

    def keep_index(self, since: int, changed: set[str] | frozenset[str]) -> bool:
        """After a header correction (kb.store.CORRECTABLE fields) that moved the store from generation
        `since`: keep serving the live index for the new generation when no corrected field is in it
        (a passage carries its document's title only; 文号, issuer and dates are read from the store at
        answer time), so a 文号 fix costs no rebuild. Embedded backend only (a shared database index is
        rebuilt as before). The folder keeps its old stamp: the next start rebuilds it from the cached
        vectors. False when the caller must rebuild."""
        if self.database or "title" in changed:
            return False
        with self._lock:
            # the correction is the only change since the live index (one store write bumps it by one)
            if self._index is None or self._index_generation != since or self.library.generation != since + 1:
                return False
            self._index_generation = self.library.generation
            return True

    def _where(self, filters: Filters | None) -> dict:
        """On a database backend the filters travel as SQL conditions, not as a set of clause ids."""
        if not (self.database and filters):
            return {}
        return {"where": SearchFilter(
            doc_ids=frozenset({filters.doc_id}) if filters.doc_id else None, chapter=filters.chapter or None,
            unit=filters.unit or None, in_force_on=self.library.today() if filters.in_force_only else None)}

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid",
               expand: bool = True) -> list[tuple[Clause, float]]:
        """Ranked clauses for a query, filters applied before ranking; with `expand`, the query is put
        in the documents' words first (kb.query.search_text)."""
        return [(c, s) for c, s, _ in self.search_scored(query, k, filters, mode, expand)]

    def search_scored(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid",
                      expand: bool = True) -> list[tuple[Clause, float, float]]:
        """As :meth:`search`, each hit with the e5 similarity of query and clause (0 when unknown)."""
        index = self.index(wait=False)
        allowed = self._allowed(filters) if filters else None
        where = self._where(filters)
        hits = index.search(search_text(query) if expand else query, k=k, allowed_ids=None if where else allowed,
                            mode=mode, **where)
        dense = {h.clause_id: float(h.dense_score or 0.0) for h in hits}
        out = []
        for hit in hits:
            clause = self.library.clause(hit.clause_id)
            if clause is not None:
                out.append((clause, float(hit.score)))
        if expand and asks_period(query) and out:
            topic = index.search(topic_text(query), k=3, allowed_ids=None if where else allowed, mode=mode, **where)
            out = self._period_first(query, out, topic, allowed, k)
        return [(c, s, dense.get(c.clause_id, 0.0)) for c, s in out]

    def _period_first(self, query: str, hits: list[tuple[Clause, float]], topic: list,
                      allowed: set[str] | None, k: int) -> list[tuple[Clause, float]]:
        """A period question ("学徒制培训补贴 过期没") is answered by the period statement of the document
        the thing asked about stands in: that statement first, then the clause on the thing itself,
        then the rest. Every document states its period in similar words, so the words alone cannot
        tell whose period is asked."""
        if not topic:
            return hits
        top = self.library.clause(topic[0].clause_id)
        named = [d for d in self.library.documents() if d.number and d.number in query]
        doc = named[0] if named else self.library.document(top.doc_id) if top is not None else None
        holders = [self.library.clause(v.clause_id) for v in (doc.validity if doc else []) if v.clause_id]
        holders = [c for c in holders if c is not None and (allowed is None or c.clause_id in allowed)]
        if not holders or top is None:
            return hits
        best = hits[0][1]
        lead = [(c, best) for c in holders[:1]] + [(top, float(topic[0].score))]
        seen = {c.clause_id for c, _ in lead}
        return (lead + [(c, s) for c, s in hits if c.clause_id not in seen])[:k]

    def _allowed(self, filters: Filters) -> set[str] | None:
        if not (filters.doc_id or filters.chapter or filters.unit or filters.in_force_only):
            return None
        allowed = set()
        for c in self.library.clauses(filters.doc_id):
            if filters.chapter and not any(filters.chapter in p for p in [*c.path, c.label, c.title]):
                continue
            if filters.unit and not any(filters.unit in u for u in c.lead_units + c.responsible_units):
                continue
            if filters.in_force_only and self.library.validity(c)[0] is False:
                continue
            allowed.add(c.clause_id)
        return allowed
