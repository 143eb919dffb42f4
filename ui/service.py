"""What the Gradio app and the JSON API do, over Library + Answerer only.

One `UIService` per server: one shared Answerer (thread-safe), uploads and removals under a lock, the
retrieval index rebuilt before an upload returns. Answering keeps working while a file is ingested:
the Library and Retriever swap their caches and indexes atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.answerer import Answerer
from kb.audit import AuditLog
from kb.errors import PolicyKBError
from kb.library import IngestReport, Library
from kb.models import TASK_ROW, Answer, Citation, Clause, Document, ParsedDocument, TaskRow
from kb.retriever import Filters
from kb.sandbox import Parser
from ui import render
from ui.relevance import coverage, fitted_rule

if TYPE_CHECKING:
    from ui.auth import Authority

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".pdf", ".docx", ".txt", ".md", ".html", ".htm")
#: formats people often have, accepted by the upload box so that the server can say what to do with them
CONVERT_ADVICE = {
    ".doc": "请先用 WPS/Word 另存为 .docx 后再上传",
    ".wps": "请先用 WPS 另存为 .docx 后再上传",
    ".rtf": "请先用 WPS/Word 另存为 .docx 后再上传",
    ".ofd": "请先用 OFD 阅读器导出或打印为 PDF 后再上传",
    ".xls": "表格文件不能直接导入：请把政策正文另存为 .docx 或 PDF",
    ".xlsx": "表格文件不能直接导入：请把政策正文另存为 .docx 或 PDF",
}
MAX_UPLOAD_FILES = 20
READ_SHARE = 0.4  # of an upload's progress bar: reading the files; the rest moves with the re-index
INTERNAL_ERROR = "处理时出错，请稍后重试；如果问题持续，请联系管理员查看服务日志。"


@dataclass(frozen=True)
class SearchHit:
    """A search result with the two absolute figures it passed on (see ui/relevance.py)."""

    citation: Citation
    similarity: float  # e5 cosine similarity of query and clause
    coverage: float  # share of the query's character bigrams found in the clause

    def to_dict(self) -> dict:
        return {**self.citation.to_dict(), "similarity": self.similarity, "coverage": self.coverage}


class UploadError(PolicyKBError):
    """An uploaded file refused before reading (type, size, name)."""


def display_name(raw: str | None) -> str:
    """An uploaded name fit to show: no directories, no NUL or control characters, no leading dots."""
    name = re.split(r"[\\/]", str(raw or ""))[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".").strip()
    if len(name) > 120:  # keep the extension: it decides whether the file is accepted
        suffix = Path(name).suffix[:10]
        name = name[: 120 - len(suffix)] + suffix
    return name or "未命名文件"


def safe_stem(name: str) -> str:
    """The stem of an uploaded name reduced to word characters (CJK included), '-', '_' and brackets."""
    stem = Path(display_name(name)).stem
    stem = re.sub(r"[^\w\-（）()〔〕【】]+", "_", stem).strip("._-")
    return stem[:80] or "document"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


class UIService:
    """The app's operations; the UI and the HTTP API both call these."""

    def __init__(self, library: Library, answerer: Answerer | None = None) -> None:
        self.library = library
        self.answerer = answerer or Answerer(library)
        self._write_lock = threading.Lock()  # held only to save parsed uploads and swap the index
        self._pending_lock = threading.Lock()
        self._pending: set[Path] = set()  # upload folders whose files are still being parsed
        self._secret = secrets.token_bytes(32)
        self.audit: AuditLog | None = None  # set by the server: who uploaded or removed what
        self.authority: Authority | None = None  # set by the server: sign-in and roles

    # -- setup ----------------------------------------------------------------------------------------
    @property
    def upload_dir(self) -> Path:
        return self.library.kb_dir / "uploads"

    @property
    def max_bytes(self) -> int:
        return int(self.library.max_bytes)

    def warm(self) -> None:
        """Load (or build) the retrieval index before the first question."""
        if not self.library.is_empty():
            self.answerer.retriever.index()

    # -- answering ------------------------------------------------------------------------------------
    def ask(self, question: str) -> Answer:
        """Raises QuestionError (a Chinese message) for an empty or too long question."""
        return self.answerer.ask(question)

    def search_hits(self, query: str, k: int = 10, filters: Filters | None = None,
                    include_unknown: bool = True) -> list[SearchHit]:
        """Ranked hits that pass the fitted relevance rule (ui/relevance.py), at most ``k``: none when
        nothing is relevant. ``filters.in_force_only`` keeps clauses in force; ``include_unknown`` also
        keeps those whose document states no validity."""
        cleaned = self.answerer._clean(query)  # the answerer's own checks: empty, too long, markup
        rule = fitted_rule()
        hits = []
        for clause, score, similarity in self.answerer.retriever.search_scored(cleaned, k=min(50, k * 2), filters=filters):
            cov = coverage(cleaned, clause.text)
            if not rule.passes(cov, similarity):
                continue
            citation = self.library.cite(clause, score)
            if filters is not None and filters.in_force_only and citation.in_force is not True and not include_unknown:
                continue
            hits.append(SearchHit(citation, round(similarity, 3), round(cov, 3)))
        return hits[:k]

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               include_unknown: bool = True) -> list[Citation]:
        return [h.citation for h in self.search_hits(query, k, filters, include_unknown)]

    def neighbours(self, clause_id: str) -> list[Clause]:
        return self.library.neighbours(clause_id, width=2)

    def row_task(self, clause_id: str) -> str | None:
        """For a responsibility-table row: its 工作任务 (filled down from a merged cell); else None."""
        clause = self.library.clause(clause_id)
        if clause is None or clause.kind != TASK_ROW:
            return None
        row = self._rows_by_clause(clause.doc_id).get(clause_id)
        return row.task if row is not None else ""

    def _rows_by_clause(self, doc_id: str) -> dict[str, TaskRow]:
        return {r.clause_id: r for r in self.library.task_rows(doc_id)}

    def answer_html(self, question: str) -> str:
        start = time.perf_counter()
        try:
            answer = self.ask(question)
        except PolicyKBError as exc:
            return render.numbered(render.message_card(str(exc), "warn"))
        except Exception:  # the page shows a Chinese message, the log keeps the trace
            log.exception("answering failed: %r", question)
            return render.numbered(render.message_card(INTERNAL_ERROR, "error"))
        ms = (time.perf_counter() - start) * 1000
        return render.numbered(render.answer_card(answer, self.neighbours, self.row_task, latency_ms=ms))

    def search_html(self, query: str, doc_id: str | None = None, chapter: str | None = None,
                    unit: str | None = None, in_force_only: bool = False, k: int = 10,
                    include_unknown: bool = True) -> str:
        if not (query or "").strip():
            return render.message_card("输入关键词或半句话即可检索条款，例如：东数西算、大数据交易中心、首次达到1亿元。")
        filters = Filters(doc_id=doc_id or None, chapter=(chapter or "").strip() or None,
                          unit=(unit or "").strip() or None, in_force_only=bool(in_force_only))
        start = time.perf_counter()
        try:
            hits = self.search_hits(query, k=k, filters=filters, include_unknown=include_unknown)
        except PolicyKBError as exc:
            return render.message_card(str(exc), "warn")
        except Exception:
            log.exception("search failed: %r", query)
            return render.message_card(INTERNAL_ERROR, "error")
        ms = (time.perf_counter() - start) * 1000
        parts = []
        if filters.doc_id:
            doc = self.library.document(filters.doc_id)
            parts.append(f"文件《{doc.title if doc else filters.doc_id}》")
        if filters.chapter:
            parts.append(f"章节“{filters.chapter}”")
        if filters.unit:
            parts.append(f"单位“{filters.unit}”")
        if filters.in_force_only:
            parts.append("仅现行有效（含未载明有效期）" if include_unknown else "仅现行有效")
        return render.search_results(query, hits, self.neighbours, self.row_task, latency_ms=ms,
                                     filters_text="，".join(parts))

    # -- units ----------------------------------------------------------------------------------------
    def unit_choices(self) -> list[str]:
        table = self.library.units()
        return sorted(table, key=lambda u: (-len(table[u]["lead"]) - len(table[u]["shared"]), u))

    def unit_view(self, unit: str) -> render.UnitView:
        """A unit's tasks; a body clause restated by a table row naming the unit is shown once, as the row."""
        unit = (unit or "").strip()
        roles = self.library.units().get(unit, {"lead": [], "shared": []})
        rows_by_clause: dict[str, TaskRow] = {}
        for doc_id in {c.doc_id for c in roles["lead"] + roles["shared"]}:
            rows_by_clause.update(self._rows_by_clause(doc_id))
        covered: dict[str, str] = {}
        for c in roles["lead"] + roles["shared"]:
            row = rows_by_clause.get(c.clause_id)
            if row is not None and row.linked_clause_id:
                linked = self.library.clause(row.linked_clause_id)
                covered[row.linked_clause_id] = linked.label if linked else ""
        view = render.UnitView(unit)
        seen: set[str] = set()
        for role in ("lead", "shared"):
            for c in roles[role]:
                if c.clause_id in covered or c.clause_id in seen:
                    continue
                seen.add(c.clause_id)
                row = rows_by_clause.get(c.clause_id)
                linked_label = ""
                if row is not None:
                    summary = row.content or row.task
                    if row.linked_clause_id:
                        linked_label = covered.get(row.linked_clause_id, "")
                else:
                    summary = c.title or re.sub(r"\s+", " ", c.text)[:40]
                view.items.append(render.UnitItem(c, role, summary[:60], linked_label, row.task if row else ""))
        return view

    def unit_html(self, unit: str | None) -> str:
        if not (unit or "").strip():
            table = self.library.units()
            return render.units_overview({u: (len(r["lead"]), len(r["shared"])) for u, r in table.items()})
        documents = {d.doc_id: d for d in self.library.documents()}
        return render.unit_view(self.unit_view(unit or ""), documents)

    # -- documents ------------------------------------------------------------------------------------
    def documents(self) -> list[Document]:
        return self.library.documents()

    def doc_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title}（{d.number}）" if d.number else d.title, d.doc_id) for d in self.documents()]

    def removal_choices(self) -> list[tuple[str, str]]:
        """The removal list: each value is ``doc_id`` plus a token only this server issues for this listing.

        The server, not the browser, confirms a removal: a request naming a document without the token of
        the listing it was offered in (a forged request, a stale page) changes nothing.
        """
        generation = self.library.generation
        return [(label, f"{doc_id}|{self._removal_token(doc_id, generation)}") for label, doc_id in self.doc_choices()]

    def _removal_token(self, doc_id: str, generation: int) -> str:
        message = f"{doc_id}\x00{generation}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:24]

    def confirm_removal(self, value: str | None) -> str | None:
        """The doc_id a removal value names, if its token matches the current listing; else None."""
        doc_id, sep, token = (value or "").rpartition("|")
        if not sep or not doc_id:
            return None
        expected = self._removal_token(doc_id, self.library.generation)
        return doc_id if hmac.compare_digest(token, expected) else None

    def chapter_choices(self, doc_id: str | None = None) -> list[str]:
        seen: dict[str, None] = {}
        for c in sorted(self.library.clauses(doc_id or None), key=lambda c: (c.doc_id, c.seq)):
            for p in c.path:
                seen.setdefault(p, None)
        return list(seen)

    def browse_html(self, doc_id: str | None) -> str:
        doc = self.library.document(doc_id) if doc_id else None
        if doc is None:
            if not self.documents():
                return render.message_card("知识库中还没有文件。请在“文件管理”中上传。")
            return render.message_card("请选择一个文件。")
        rows = self._rows_by_clause(doc.doc_id)
        return render.document_tree(doc, self.library.clauses(doc.doc_id), self.library.store.counts(doc.doc_id),
                                    render.validity_summary(doc), lambda cid: rows[cid].task if cid in rows else None)

    def documents_html(self) -> str:
        return render.documents_table([(d, self.library.store.counts(d.doc_id)) for d in self.documents()])

    def summary_text(self) -> str:
        docs = self.documents()
        clauses = sum(self.library.store.counts(d.doc_id)[0] for d in docs)
        return f"已收录 {len(docs)} 个文件、{clauses} 条条款、{len(self.library.units())} 个单位"

    # -- uploads --------------------------------------------------------------------------------------
    def check_upload(self, src: Path, name: str) -> None:
        suffix = Path(name).suffix.lower()
        if suffix in CONVERT_ADVICE:
            raise UploadError(f"不支持 {suffix} 格式：{CONVERT_ADVICE[suffix]}")
        if suffix not in ALLOWED_SUFFIXES:
            kind = suffix or "（无扩展名）"
            raise UploadError(f"不支持的文件类型 {kind}，请上传 {' '.join(ALLOWED_SUFFIXES)} 文件")
        if not src.is_file():
            raise UploadError("上传的文件已不存在，请重新上传")
        size = src.stat().st_size
        if size == 0:
            raise UploadError("文件为空")
        if size > self.max_bytes:
            raise UploadError(f"文件大小 {_mb(size)} 超过上限 {_mb(self.max_bytes)}")

    def store_upload(self, src: str | Path, original_name: str | None = None) -> tuple[Path, str]:
        """Copy an uploaded file under <kb>/uploads/<random>/<safe name>; returns (stored path, display name)."""
        src = Path(src)
        name = display_name(original_name or src.name)
        self.check_upload(src, name)
        folder = self.upload_dir / uuid.uuid4().hex[:16]
        dest = folder / f"{safe_stem(name)}{Path(name).suffix.lower()}"
        root = self.upload_dir.resolve()
        if root not in dest.resolve().parents:  # belt and braces: nothing escapes the uploads folder
            raise UploadError("文件名不合法")
        with self._pending_lock:  # a concurrent upload's sweep must not delete it before it is saved
            self._pending.add(folder)
        try:
            folder.mkdir(parents=True, exist_ok=False)
            shutil.copyfile(src, dest)
        except OSError:
            with self._pending_lock:
                self._pending.discard(folder)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return dest, name

    def ingest_uploads(self, files: Sequence[tuple[str | Path, str | None]],
                       progress: Callable[[float, str], None] | None = None, actor: str = "本机") -> list[dict]:
        """Store, read and index each uploaded file; one report dict per file (name, ok, counts or error).

        Parsing (in the limited, low-priority worker of kb/sandbox.py) happens outside the write lock, so
        uploads parse side by side and a hostile file that burns its whole CPU budget holds up nobody;
        the lock is taken only to save the parsed documents and swap the index."""
        say = progress or (lambda _f, _d: None)
        if len(files) > MAX_UPLOAD_FILES:
            return [{"name": "（多个文件）", "ok": False, "error": f"一次最多上传 {MAX_UPLOAD_FILES} 个文件"}]
        slots: list[dict | tuple[ParsedDocument, str, Path]] = []
        pending: list[Path] = []
        try:
            with Parser(self.library.limits) as parser:
                for i, (src, original) in enumerate(files):
                    name = display_name(original or Path(src).name)
                    say(READ_SHARE * i / len(files), f"正在读取 {name}（{i + 1}/{len(files)}）")
                    try:
                        dest, name = self.store_upload(src, original)
                    except PolicyKBError as exc:
                        slots.append({"name": name, "ok": False, "error": str(exc)})
                        continue
                    except OSError as exc:
                        log.exception("upload copy failed")
                        slots.append({"name": name, "ok": False, "error": f"保存文件失败（{exc.strerror or exc}）"})
                        continue
                    pending.append(dest.parent)
                    parsed = self.library.parse_one(dest, str(dest), parser)  # source_path: the stored copy
                    if isinstance(parsed, IngestReport):
                        slots.append(self._report(parsed, name, dest))
                    else:
                        slots.append((parsed, name, dest))
            say(READ_SHARE, "正在保存并重建检索索引")
            with self._write_lock:
                reports = []
                for slot in slots:
                    if isinstance(slot, tuple):
                        parsed, name, dest = slot
                        slot = self._report(self.library.save_parsed(parsed, name), name, dest)
                        self._record(actor, "upload", name,
                                     f"成功：{slot.get('title', '')} {slot.get('number', '')}".strip()
                                     if slot["ok"] else f"失败：{slot.get('error', '')}")
                    elif slot.get("stored"):
                        self._record(actor, "upload", slot["name"], f"失败：{slot.get('error', '')}")
                    slot.pop("stored", None)
                    reports.append(slot)
                with self._pending_lock:
                    self._pending.difference_update(pending)
                    pending = []
                if any(r["ok"] for r in reports):
                    self._sweep_uploads()
                    self.reindex(say, READ_SHARE + 0.05)
        finally:
            with self._pending_lock:
                self._pending.difference_update(pending)
        say(1.0, "完成")
        return reports

    def reindex(self, progress: Callable[[float, str], None], start: float) -> None:
        """Bring the index up to the store (the caller holds the write lock); `progress` moves from
        `start` to 0.98 with the embedding batches of the passages not embedded before."""
        progress(start, "正在重建检索索引")

        def step(done: int, total: int) -> None:
            if total:
                progress(start + (0.98 - start) * done / total, f"正在重建检索索引（已嵌入 {done}/{total} 段）")

        if not self.library.is_empty():
            self.answerer.retriever.index(progress=step)

    def _report(self, result: IngestReport, name: str, dest: Path) -> dict:
        data = result.to_dict()
        data["name"] = name
        data["stored"] = True  # the file reached the uploads folder: its outcome goes to the audit log
        if data.get("error"):
            data["error"] = data["error"].replace(str(dest), name)
        if not result.ok:
            shutil.rmtree(dest.parent, ignore_errors=True)
        return data

    def _sweep_uploads(self) -> None:
        """Delete stored upload copies no document refers to any more (a re-upload replaced them); the
        folders of uploads still being parsed are kept."""
        if not self.upload_dir.is_dir():
            return
        kept = set()
        for doc in self.library.documents():
            with contextlib.suppress(OSError, ValueError):
                kept.add(Path(doc.source_path).resolve().parent)
        with self._pending_lock:
            kept.update(p.resolve() for p in self._pending)
        for folder in self.upload_dir.iterdir():
            if folder.is_dir() and not folder.is_symlink() and folder.resolve() not in kept:
                shutil.rmtree(folder, ignore_errors=True)

    def _record(self, actor: str, action: str, target: str, detail: str = "") -> None:
        if self.audit is not None:
            self.audit.record(actor, action, target, detail)

    def remove(self, doc_id: str | None, actor: str = "本机") -> str:
        """Remove a document and rebuild the index; returns a Chinese message."""
        doc = self.library.document(doc_id) if doc_id else None
        if doc is None:
            return "请先选择要删除的文件。"
        with self._write_lock:
            removed = self.library.remove(doc.doc_id)
            if not removed:
                return f"文件《{doc.title}》已不在知识库中。"
            self._record(actor, "remove", f"《{doc.title}》{doc.number}", doc.doc_id)
            source = Path(doc.source_path)
            try:
                if self.upload_dir.resolve() in source.resolve().parents:
                    shutil.rmtree(source.parent, ignore_errors=True)
            except OSError:
                pass
            if not self.library.is_empty():
                self.answerer.retriever.index()
        return f"已删除《{doc.title}》{doc.number}。"
