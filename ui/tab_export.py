"""The 导出 tab (工作人员 and 管理员): an answer with its citations, a unit's portfolio, search results, one
of the user's conversations, or (administrators) the feedback list, as .xlsx or .docx, downloaded from
the page. The report is built by ui/api_export.build_report, the same as /api/export/...
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from kb import export
from kb.conversation import ConversationError
from kb.errors import PolicyKBError
from ui import render
from ui.api_export import build_report
from ui.service import UIService
from ui.tab_chat import desk
from ui.uploads import private_upload_dir

KINDS = [("回答（含引用条款）", "answer"), ("单位职责清单", "unit"), ("检索结果", "search"), ("我的对话记录", "conversation"),
         ("反馈列表（管理员）", "feedback")]
FORMAT_CHOICES = [("Excel 表格（.xlsx）", "xlsx"), ("Word 文档（.docx）", "docx")]
REFUSED = "未处理：请先以工作人员或管理员身份登录后再导出。"


def build(demo: gr.Blocks, service: UIService, viewer_of: Callable) -> gr.Tab:
    """The tab, built inside the app's gr.Tabs; shown to signed-in staff and administrators."""
    private = {"api_visibility": "private"}
    with gr.Tab("导出", id="export", elem_id="tab-export", visible=False) as tab:
        gr.HTML('<div class="pk-muted">导出为 Excel 或 Word 文件，用于督查报告、工单附件或回访记录。回答和检索结果按当前知识库重新生成；'
                "单位职责清单含该单位牵头和参与的全部任务及原文。</div>", js_on_load=None)
        kind = gr.Radio(KINDS, value="answer", label="导出内容", elem_id="pk-export-kind")
        text = gr.Textbox(label="问题或关键词（导出回答、检索结果时填写）", max_length=500, elem_id="pk-export-text")
        with gr.Row():
            unit = gr.Dropdown(choices=[], value=None, allow_custom_value=True, filterable=True,
                               label="单位（导出单位职责清单时选择）", elem_id="pk-export-unit")
            conversation = gr.Dropdown(choices=[], value=None, label="对话（导出对话记录时选择）",
                                       elem_id="pk-export-conv")
        fmt = gr.Radio(FORMAT_CHOICES, value="xlsx", label="文件格式", elem_id="pk-export-format")
        go = gr.Button("生成文件", variant="primary", elem_id="pk-export-go")
        msg = gr.HTML("", elem_id="pk-export-msg", js_on_load=None)
        out = gr.File(label="下载导出的文件", interactive=False, elem_id="pk-export-file")

    def staff(request: gr.Request):
        viewer = viewer_of(service, request)
        return viewer if viewer is not None and viewer.is_staff else None

    def on_load(request: gr.Request):
        viewer = staff(request)
        if viewer is None:
            return [gr.Tab(visible=False), gr.update(choices=[]), gr.update(choices=[])]
        chats = [(f"{c.title}（{c.updated_at[:16].replace('T', ' ')}）", c.id)
                 for c in desk(service).conversations.conversations(viewer.name)]
        return [gr.Tab(visible=True), gr.update(choices=service.unit_choices()), gr.update(choices=chats, value=None)]

    demo.load(on_load, None, [tab, unit, conversation], **private)
    tab.select(on_load, None, [tab, unit, conversation], **private)

    def make(kind_value, text_value, unit_value, conversation_id, fmt_value, request: gr.Request):
        viewer = staff(request)
        if viewer is None:
            return [render.message_card(REFUSED, "warn"), None]
        try:
            report = build_report(service, viewer, kind_value or "answer", question=text_value or "",
                                  query=text_value or "", unit=unit_value or "", conversation_id=conversation_id or "")
            data = export.render(report, fmt_value or "xlsx")
        except (ConversationError, PolicyKBError) as exc:
            return [render.message_card(f"未导出：{exc}", "warn"), None]
        folder = Path(tempfile.mkdtemp(prefix="export-", dir=private_upload_dir()))
        path = folder / report.filename(fmt_value or "xlsx")
        path.write_bytes(data)
        return [render.message_card(f"已生成 {path.name}（{len(data) // 1024 + 1} KB），请点击下方文件名下载。"), str(path)]

    go.click(make, [kind, text, unit, conversation, fmt], [msg, out], concurrency_limit=4, concurrency_id="answer",
             **private)
    return tab
