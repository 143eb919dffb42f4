"""The document-management part of the 文件管理 tab (administrators): the full document table, every
upload batch's report, and per document 停用/启用, 更正文件信息 (title, 文号, issuer, dates), 重新解析 and
删除 (confirmed). Built inside the app's 文件管理 tab; every event checks its own viewer on the server.
The work is ui/docadmin.py (shared with /api/documents); re-indexing reports progress as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr

from kb.errors import PolicyKBError
from ui import render
from ui.docadmin import FIELD_NAMES, DocRow, desk_of
from ui.service import UIService

REFUSED = "未处理：需要以管理员身份登录后才能管理文件。"
_FIELDS = ("title", "number", "issuer", "issue_date", "valid_from", "valid_to")


def _time(value: str) -> str:
    return (value or "")[:16].replace("T", " ") or "—"


def documents_table(rows: Sequence[DocRow]) -> str:
    if not rows:
        return render.message_card("知识库中还没有文件。请在上方上传政策文件。", "info")
    off = sum(1 for r in rows if not r.enabled)
    head = f"已收录 {len(rows)} 个文件" + (f"（其中停用 {off} 个）" if off else "")
    body = []
    for r in rows:
        d = r.document
        fixed = set(r.corrected)

        def mark(name: str, text: str, fixed: set[str] = fixed) -> str:
            return render.esc(text) + ('<span class="pk-corrected">（已更正）</span>' if name in fixed else "")

        warnings = "".join(f"<li>{render.esc(w)}</li>" for w in d.warnings)
        status_class = "on" if r.enabled else "off"
        body.append(
            f'<tr class="pk-doc-{status_class}" data-doc="{render.esc(d.doc_id)}"><td>{mark("title", d.title)}</td>'
            f'<td>{mark("number", d.number or "—")}</td><td>{mark("issuer", d.issuer or "—")}</td>'
            f'<td>{mark("valid_to" if "valid_to" in fixed else "valid_from", render.validity_summary(d))}</td>'
            f"<td>{r.clauses}</td><td>{r.rows}</td>"
            f'<td class="pk-status pk-status-{status_class}">{render.esc(r.status)}</td>'
            f"<td>{render.esc(_time(r.uploaded_at))}</td><td>{render.esc(r.uploader)}</td>"
            f'<td>{f"<ul class=pk-warnings>{warnings}</ul>" if warnings else "—"}</td>'
            f"<td><code>{render.esc(d.doc_id)}</code></td></tr>")
    return (f'<div class="pk-docs"><div class="pk-search-head">{render.esc(head)}</div>'
            '<table class="pk-table pk-doc-table"><thead><tr><th>标题</th><th>文号</th><th>发文机关</th><th>有效期</th>'
            "<th>条款</th><th>表格行</th><th>状态</th><th>上传时间</th><th>上传人</th><th>提醒</th><th>编号</th></tr></thead>"
            f'<tbody>{"".join(body)}</tbody></table></div>')


def documents_html(service: UIService) -> str:
    """The document table of the 文件管理 tab (disabled documents included)."""
    return documents_table(desk_of(service).rows())


def batches_html(service: UIService, limit: int = 10) -> str:
    batches = desk_of(service).batches(limit)
    if not batches:
        return render.message_card("还没有上传记录。每次上传（及重新解析）的导入报告都会保存在这里。")
    items = []
    for i, b in enumerate(batches):
        summary = (f"{_time(b.at)}　{render.esc(b.actor)}（{render.esc(b.via)}）：{len(b.reports)} 个文件，"
                   f"成功 {b.ok_count} 个" + (f"，失败 {b.failed_count} 个" if b.failed_count else ""))
        items.append(f'<details class="pk-batch"{" open" if i == 0 else ""}><summary>{summary}</summary>'
                     f'<ul class="pk-batch-files">{"".join(_batch_line(r) for r in b.reports)}</ul></details>')
    return f'<div class="pk-batches"><div class="pk-cites-head">上传记录（最近 {len(batches)} 批）</div>{"".join(items)}</div>'


def _batch_line(r: dict) -> str:
    """One file of a kept batch (the live report above uses render.ingest_reports)."""
    name = render.esc(r.get("name"))
    if not r.get("ok"):
        return f'<li class="pk-batch-failed"><b>{name}</b>：导入失败。{render.esc(r.get("error"))}</li>'
    warn = "；".join(r.get("warnings") or [])
    return (f'<li class="pk-batch-ok"><b>{name}</b>：《{render.esc(r.get("title"))}》{render.esc(r.get("number") or "")}，'
            f'条款 {r.get("clauses", 0)} 条，表格行 {r.get("rows", 0)} 行{"（替换旧版本）" if r.get("replaced") else ""}'
            f'{f"。提醒：{render.esc(warn)}" if warn else ""}</li>')


def doc_choices(service: UIService) -> list[tuple[str, str]]:
    out = []
    for r in desk_of(service).rows():
        d = r.document
        label = f"{d.title}（{d.number}）" if d.number else d.title
        out.append((f"{label}{'' if r.enabled else ' [已停用]'}", d.doc_id))
    return out


def upload(service: UIService, paths: Sequence[str], actor: str, progress: Callable[[float, str], None]) -> str:
    """The app's upload handler's work: the batch goes through DocAdmin so its report is kept."""
    batch = desk_of(service).upload([(p, None) for p in paths], actor, "页面", progress)
    return render.ingest_reports(batch.reports)


@dataclass
class DocsPanel:
    """The panel's components; `bind` wires the events once the app's refresh function exists."""

    demo: gr.Blocks
    service: UIService
    viewer_of: Callable
    pick: gr.Dropdown
    fields: list[gr.Textbox]
    enable: gr.Button
    disable: gr.Button
    reparse: gr.Button
    delete: gr.Button
    save: gr.Button
    msg: gr.HTML
    batches: gr.HTML

    def bind(self, refresh: Callable, refresh_outputs: list, browse: gr.Dropdown) -> None:
        service, private = self.service, {"api_visibility": "private"}

        def admin(request: gr.Request):
            viewer = self.viewer_of(service, request)
            return viewer if viewer is not None and viewer.is_admin else None

        desk = desk_of(service)

        def stored(doc_id) -> list:
            """The correction fields as stored for the document (unchanged fields when there is none)."""
            try:
                current = desk.row(doc_id).to_dict() if doc_id else None
            except PolicyKBError:
                current = None
            return [gr.update() for _ in _FIELDS] if current is None else [current.get(n) or "" for n in _FIELDS]

        def after(message: str, kind: str, current_browse, keep=None, refill: bool = False) -> list:
            ids = [v for _, v in doc_choices(service)]
            kept = keep if keep in ids else None
            # the fields are refilled by the action's own output (re-parsing or a correction changed what is
            # stored), never by a later event that could land on what is being typed
            fields = stored(kept) if refill else [gr.update() for _ in _FIELDS]
            return [render.numbered(render.message_card(message, kind)),
                    gr.update(choices=doc_choices(service), value=kept), batches_html(service), *fields,
                    *refresh(current_browse)]

        outputs = [self.msg, self.pick, self.batches, *self.fields, *refresh_outputs]
        write = {"concurrency_limit": 1, "concurrency_id": "write", "show_progress": "full",
                 "show_progress_on": [self.msg], **private}

        def run(action: Callable, doc_id, current_browse, request: gr.Request, progress: gr.Progress,
                refill: bool = False) -> list:
            viewer = admin(request)
            if viewer is None:
                return after(REFUSED, "warn", current_browse)
            if not doc_id:
                return after("请先选择一个文件。", "warn", current_browse)
            try:
                message = action(viewer, doc_id, lambda f, d: progress(f, desc=d))
            except PolicyKBError as exc:
                return after(f"未处理：{exc}", "warn", current_browse, doc_id)
            return after(message, "info", current_browse, doc_id, refill)

        def do_enable(doc_id, current_browse, request: gr.Request, progress=gr.Progress()):  # noqa: B008
            return run(lambda v, d, p: desk.set_enabled(d, True, v.name, p), doc_id, current_browse, request, progress)

        def do_disable(doc_id, current_browse, request: gr.Request, progress=gr.Progress()):  # noqa: B008
            return run(lambda v, d, p: desk.set_enabled(d, False, v.name, p), doc_id, current_browse, request, progress)

        def do_reparse(doc_id, current_browse, request: gr.Request, progress=gr.Progress()):  # noqa: B008
            def work(v, d, p) -> str:
                report = desk.reparse(d, v.name, p)
                if not report.get("ok"):
                    raise PolicyKBError(f"重新解析失败：{report.get('error')}")
                return f"已重新解析《{report.get('title')}》：条款 {report.get('clauses')} 条，表格行 {report.get('rows')} 行。"
            return run(work, doc_id, current_browse, request, progress, refill=True)

        def do_delete(doc_id, current_browse, request: gr.Request, progress=gr.Progress()):  # noqa: B008
            if not doc_id:
                return after("没有删除任何文件（未选择文件，或已取消）。", "warn", current_browse)
            return run(lambda v, d, p: desk.remove(d, v.name), doc_id, current_browse, request, progress)

        def do_save(doc_id, title, number, issuer, issue_date, valid_from, valid_to, current_browse,
                    request: gr.Request, progress=gr.Progress()):  # noqa: B008
            values = [title, number, issuer, issue_date, valid_from, valid_to]

            def work(v, d, p) -> str:
                current = desk.row(d).to_dict()
                wanted = {name: (value or "").strip() for name, value in zip(_FIELDS, values, strict=True)}
                fields = {n: val for n, val in wanted.items() if val != (current.get(n) or "")}
                if not fields:
                    return "没有改动。"
                changes = desk.correct(d, fields, v.name, p)
                if not changes:
                    return "没有改动。"
                return "已更正（已记入审计日志，重新导入同一文件时保留）：" + "；".join(
                    f"{FIELD_NAMES[n]} {b or '（空）'} → {a or '（空）'}" for n, (b, a) in changes.items())
            return run(work, doc_id, current_browse, request, progress, refill=True)

        self.enable.click(do_enable, [self.pick, browse], outputs, **write)
        self.disable.click(do_disable, [self.pick, browse], outputs, **write)
        self.reparse.click(do_reparse, [self.pick, browse], outputs, **write)
        self.delete.click(do_delete, [self.pick, browse], outputs,
                          js="(d, b) => confirm('确定从知识库中删除所选文件吗？删除后不可恢复。') ? [d, b] : [null, b]", **write)
        self.save.click(do_save, [self.pick, *self.fields, browse], outputs, **write)

        def fill(evt: gr.SelectData, request: gr.Request):
            # .select fires only when the administrator picks an option by hand: every action re-sets the
            # dropdown's choices and value, and a .change fill then ran again, late, over what was being typed
            doc_id = evt.value if isinstance(evt.value, str) else None
            return stored(doc_id) if admin(request) is not None else [gr.update() for _ in _FIELDS]

        self.pick.select(fill, None, self.fields, **private)

        def on_load(request: gr.Request):
            if admin(request) is None:
                return [gr.update(choices=[], value=None), ""]
            return [gr.update(choices=doc_choices(service), value=None), batches_html(service)]

        self.demo.load(on_load, None, [self.pick, self.batches], **private)
        self.reload = on_load  # the app chains it after an upload: the new batch and document appear here

    def after_upload(self, event) -> None:
        """Chain a reload of the list and the batch history after the app's upload event."""
        event.then(self.reload, None, [self.pick, self.batches], api_visibility="private")


def build(demo: gr.Blocks, service: UIService, viewer_of: Callable) -> DocsPanel:
    """The panel's components, built inside the app's 文件管理 tab (shown to administrators only)."""
    batches = gr.HTML("", elem_id="pk-batches", js_on_load=None)
    gr.HTML('<div class="pk-cites-head">维护单个文件</div>', js_on_load=None)
    pick = gr.Dropdown(choices=[], value=None, label="选择文件（含已停用的文件）", elem_id="pk-doc-pick")
    with gr.Row(equal_height=True):
        disable = gr.Button("停用", size="sm", elem_id="pk-doc-disable")
        enable = gr.Button("启用", size="sm", elem_id="pk-doc-enable")
        reparse = gr.Button("重新解析", size="sm", elem_id="pk-doc-reparse")
        delete = gr.Button("删除", size="sm", variant="stop", elem_id="pk-doc-delete")
    with gr.Accordion("更正文件信息（标题、文号、发文机关、日期）", open=False, elem_id="pk-doc-fix"):
        gr.HTML('<div class="pk-muted">更正记入审计日志；同一文件重新上传或重新解析后仍保留更正。日期写成 年-月-日，'
                "例如 2023-12-31；留空表示未载明。</div>", js_on_load=None)
        with gr.Row():
            title = gr.Textbox(label="标题", max_length=200, scale=3, elem_id="pk-fix-title")
            number = gr.Textbox(label="文号", max_length=60, scale=2, elem_id="pk-fix-number")
            issuer = gr.Textbox(label="发文机关", max_length=120, scale=2, elem_id="pk-fix-issuer")
        with gr.Row():
            issue_date = gr.Textbox(label="成文日期", max_length=10, elem_id="pk-fix-issue-date")
            valid_from = gr.Textbox(label="有效期起", max_length=10, elem_id="pk-fix-valid-from")
            valid_to = gr.Textbox(label="有效期止", max_length=10, elem_id="pk-fix-valid-to")
        save = gr.Button("保存更正", variant="primary", elem_id="pk-doc-save")
    msg = gr.HTML("", elem_id="pk-doc-msg", js_on_load=None, min_height=40)
    return DocsPanel(demo, service, viewer_of, pick, [title, number, issuer, issue_date, valid_from, valid_to],
                     enable, disable, reparse, delete, save, msg, batches)
