"""Document management for administrators, shared by the 文件管理 tab and /api/documents.

Over `UIService` (its upload path, its write lock, its audit log) and the Library's management methods:
every document with its status, counts, upload time and uploader; disable and enable; header
corrections (kept across re-ingest); re-parse from the stored copy; removal; each upload batch's
report kept in the KB file (kb/uploadlog.py). Every change is audited and re-indexes with a progress
callback that moves as the index is built; a correction of fields the index does not hold (文号, issuer,
dates) keeps the live index (Retriever.keep_index).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import PolicyKBError
from kb.library import IngestReport
from kb.models import Document
from kb.sandbox import Parser
from kb.store import CORRECTABLE
from kb.uploadlog import UploadBatch, UploadLog
from ui import render
from ui.service import UIService

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

FIELD_NAMES = {"title": "标题", "number": "文号", "issuer": "发文机关", "issue_date": "成文日期",
               "valid_from": "有效期起", "valid_to": "有效期止"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ENABLED, DISABLED = "启用", "停用"


class DocAdminError(PolicyKBError):
    """A management request that cannot be carried out (the message says why, in Chinese)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class DocRow:
    """One line of the document table."""

    document: Document
    clauses: int
    rows: int
    enabled: bool
    stored_at: str  # when this copy was stored
    uploader: str  # who uploaded it ("命令行或内置语料" when no upload batch names it)
    uploaded_at: str
    corrected: dict[str, str] = field(default_factory=dict)  # field -> value, the administrator's corrections

    @property
    def status(self) -> str:
        return ENABLED if self.enabled else DISABLED

    def to_dict(self) -> dict:
        d = self.document
        return {
            "doc_id": d.doc_id, "title": d.title, "number": d.number, "issuer": d.issuer,
            "issue_date": d.issue_date, "validity": render.validity_summary(d),
            "valid_from": next((v.start_date for v in d.validity if v.start_date), None),
            "valid_to": next((v.end_date for v in d.validity if v.end_date), None),
            "source_format": d.source_format, "clauses": self.clauses, "rows": self.rows,
            "status": self.status, "enabled": self.enabled, "stored_at": self.stored_at,
            "uploader": self.uploader, "uploaded_at": self.uploaded_at, "warnings": list(d.warnings),
            "corrected": self.corrected,
        }


def _quiet(_fraction: float, _desc: str) -> None:
    return None


class DocAdmin:
    """The management operations; one per server (see `desk_of`)."""

    def __init__(self, service: UIService) -> None:
        self.service = service
        self.library = service.library
        self.uploads = UploadLog(self.library.kb_dir / "kb.sqlite")

    # -- reading ------------------------------------------------------------------------------------
    def rows(self) -> list[DocRow]:
        off = self.library.disabled_ids()
        stored = self.library.store.ingested_at()
        uploaders = self.uploads.uploaders()
        corrections: dict[str, dict[str, str]] = {}
        for c in self.library.store.corrections():
            corrections.setdefault(c["doc_id"], {})[c["field"]] = c["value"]
        out = []
        for d in self.library.all_documents():
            clauses, rows = self.library.store.counts(d.doc_id)
            who, when = uploaders.get(d.doc_id, ("命令行或内置语料", stored.get(d.doc_id, "")))
            out.append(DocRow(d, clauses, rows, d.doc_id not in off, stored.get(d.doc_id, ""), who, when,
                              corrections.get(d.doc_id, {})))
        return out

    def row(self, doc_id: str) -> DocRow:
        for r in self.rows():
            if r.document.doc_id == doc_id:
                return r
        raise DocAdminError(f"找不到文件：{doc_id}", 404)

    def batches(self, limit: int = 20) -> list[UploadBatch]:
        return self.uploads.batches(limit)

    # -- writing ------------------------------------------------------------------------------------
    def upload(self, files: Sequence[tuple[str | Path, str | None]], actor: str, via: str = "页面",
               progress: Progress | None = None) -> UploadBatch:
        """The service's upload path (store, parse side by side, save, index), its report kept as a batch."""
        reports = self.service.ingest_uploads(list(files), progress=progress, actor=actor)
        return self.uploads.record(actor, reports, via)

    def set_enabled(self, doc_id: str, enabled: bool, actor: str, progress: Progress | None = None) -> str:
        row = self.row(doc_id)
        if row.enabled == enabled:
            return f"《{row.document.title}》已是{row.status}状态，未作改动。"
        with self.service._write_lock:
            self.library.set_disabled(doc_id, not enabled, actor)
            self._audit(actor, "enable" if enabled else "disable", row.document)
            self._reindex(progress)
        if enabled:
            return f"已启用《{row.document.title}》：其条款重新参与问答、检索和部门职责。"
        return f"已停用《{row.document.title}》：其条款不再出现在问答、检索和部门职责中（可随时重新启用）。"

    def correct(self, doc_id: str, fields: dict[str, str | None], actor: str,
                progress: Progress | None = None) -> dict[str, tuple[str, str]]:
        """Correct header fields; values are stripped, dates are YYYY-MM-DD (or empty), None withdraws."""
        row = self.row(doc_id)
        cleaned: dict[str, str | None] = {}
        for name, value in fields.items():
            if name not in CORRECTABLE:
                raise DocAdminError(f"不能更正的字段：{name}（可更正：{'、'.join(FIELD_NAMES.values())}）")
            if value is None:
                cleaned[name] = None
                continue
            value = re.sub(r"\s+", " ", str(value)).strip()
            if len(value) > 200:
                raise DocAdminError(f"{FIELD_NAMES[name]}过长（最多 200 字）")
            if name == "title" and not value:
                raise DocAdminError("标题不能为空")
            if name in ("issue_date", "valid_from", "valid_to") and value and not _DATE.match(value):
                raise DocAdminError(f"{FIELD_NAMES[name]}应写成 年-月-日，例如 2023-12-31")
            cleaned[name] = value
        start = cleaned.get("valid_from", row.to_dict()["valid_from"]) or ""
        end = cleaned.get("valid_to", row.to_dict()["valid_to"]) or ""
        if start and end and start > end:
            raise DocAdminError("有效期起不能晚于有效期止")
        with self.service._write_lock:
            before = self.library.generation
            try:
                changes = self.library.correct(doc_id, cleaned, actor)
            except KeyError as exc:
                raise DocAdminError(f"找不到文件：{doc_id}", 404) from exc
            withdrawn = [FIELD_NAMES[n] for n, v in cleaned.items() if v is None]
            if changes or withdrawn:
                detail = "；".join(f"{FIELD_NAMES[n]}：{b or '（空）'} → {a or '（空）'}" for n, (b, a) in changes.items())
                if withdrawn:
                    detail = "；".join(filter(None, [detail, "撤销更正：" + "、".join(withdrawn)]))
                self._audit(actor, "correction", row.document, detail)
                if self.service.answerer.retriever.keep_index(before, set(cleaned)):
                    (progress or _quiet)(1.0, "完成（检索索引不含所更正的字段，无需重建）")
                else:  # a new title is in every passage of the document: those are embedded again
                    self._reindex(progress)
        return changes

    def reparse(self, doc_id: str, actor: str, progress: Progress | None = None) -> dict:
        """Read the stored copy again with today's parser; corrections and the on/off state are kept."""
        say = progress or _quiet
        row = self.row(doc_id)
        doc = row.document
        source = self.library.original_file(doc)  # on PostgreSQL: the bytes kept in the store, for any server
        if source is None:
            raise DocAdminError(f"找不到《{doc.title}》的原始文件（{Path(doc.source_path).name}），无法重新解析；请重新上传。")
        say(0.05, f"正在重新解析《{doc.title}》")
        with Parser(self.library.limits) as parser:
            parsed = self.library.parse_one(source, source.name, parser)
        if isinstance(parsed, IngestReport):
            report = {**parsed.to_dict(), "name": source.name}
        else:
            with self.service._write_lock:
                result = self.library.save_parsed(parsed, source.name)
                report = {**result.to_dict(), "name": source.name}
                if result.ok and result.doc_id != doc.doc_id:  # the header now reads differently: one copy only
                    self.library.remove(doc.doc_id)
                    report["warnings"] = [*report.get("warnings", []),
                                          f"重新解析后文件编号由 {doc.doc_id} 变为 {result.doc_id}，已替换旧记录"]
                self._audit(actor, "reparse", doc, f"条款 {result.clauses} 条，表格行 {result.rows} 行" if result.ok
                            else f"失败：{result.error}")
                if result.ok:
                    self._reindex(progress, start=0.3)
        self.uploads.record(actor, [report], "重新解析")
        say(1.0, "完成")
        return report

    def remove(self, doc_id: str, actor: str) -> str:
        row = self.row(doc_id)
        if not row.enabled:  # the service removes what the library lists: a disabled document comes back on first
            self.library.set_disabled(doc_id, False, actor)
        return self.service.remove(doc_id, actor=actor)

    # -- helpers ------------------------------------------------------------------------------------
    def _audit(self, actor: str, action: str, doc: Document, detail: str = "") -> None:
        if self.service.audit is not None:
            self.service.audit.record(actor, action, f"《{doc.title}》{doc.number}".strip(), detail or doc.doc_id)

    def _reindex(self, progress: Progress | None, start: float = 0.1) -> None:
        """Rebuild the index (caller holds the write lock); progress moves with the embedding batches."""
        say = progress or _quiet
        self.service.reindex(say, start)
        say(1.0, "完成")


def desk_of(service: UIService) -> DocAdmin:
    """The server's one DocAdmin (kept on the service, built on first use)."""
    found = getattr(service, "_doc_admin", None)
    if found is None:
        found = DocAdmin(service)
        service._doc_admin = found  # type: ignore[attr-defined]
    return found
