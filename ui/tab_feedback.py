"""The 反馈与更正 tab (administrators only): feedback on answers, and corrected answers served as curated.

The tab is shown to administrators only, and every event checks its own viewer on the server, so a
staff user who calls these events directly is refused as well.
"""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from kb.errors import PolicyKBError
from kb.feedback import USELESS, Feedback
from ui import render
from ui.service import UIService
from ui.tab_chat import desk

REFUSED = "未处理：需要以管理员身份登录后才能查看反馈和更正回答。"
LIST_LIMIT = 200


def feedback_table(entries: list[Feedback]) -> str:
    if not entries:
        return render.message_card("还没有反馈。")
    rows = "".join(
        f'<tr class="pk-fb-{render.esc(f.verdict)}"><td>{f.id}</td><td>{render.esc(f.at[:16].replace("T", " "))}</td>'
        f"<td>{render.esc(f.user)}</td><td>{render.esc(f.verdict_text)}{'（人工校正）' if f.curated else ''}</td>"
        f"<td>{render.esc(f.comment)}</td><td>{render.esc(f.question)}</td><td>{render.esc(f.answer[:120])}</td>"
        f"<td>{render.esc('、'.join(c.get('label') or '' for c in f.citations))}</td></tr>"
        for f in entries)
    return ('<table class="pk-table pk-feedback"><thead><tr><th>编号</th><th>时间</th><th>用户</th><th>评价</th><th>意见</th>'
            f"<th>问题</th><th>回答</th><th>引用条款</th></tr></thead><tbody>{rows}</tbody></table>")


def curated_table(service: UIService) -> str:
    entries = desk(service).curated.entries()
    if not entries:
        return render.message_card("还没有人工校正的回答。")
    rows = "".join(
        f"<tr><td>{c.id}</td><td>{render.esc(c.at[:16].replace('T', ' '))}</td><td>{render.esc(c.author)}</td>"
        f"<td>{render.esc(c.question)}</td><td>{render.esc(c.answer)}</td>"
        f"<td>{render.esc('、'.join(cid.split('#', 1)[-1] for cid in c.clause_ids))}</td></tr>" for c in entries)
    return ('<table class="pk-table pk-curated"><thead><tr><th>编号</th><th>时间</th><th>管理员</th><th>问题</th>'
            f"<th>更正后的回答</th><th>引用条款</th></tr></thead><tbody>{rows}</tbody></table>")


def clause_choices(service: UIService) -> list[tuple[str, str]]:
    out = []
    for doc in service.library.documents():
        name = doc.number or doc.title[:16]
        for c in sorted(service.library.clauses(doc.doc_id), key=lambda c: c.seq):
            out.append((f"{name} {c.label}：{(c.title or ' '.join(c.text.split()))[:24]}", c.clause_id))
    return out


def build(demo: gr.Blocks, service: UIService, viewer_of: Callable) -> gr.Tab:
    """The tab, built inside the app's gr.Tabs; hidden until the page's viewer is an administrator."""
    private = {"api_visibility": "private"}
    with gr.Tab("反馈与更正", id="feedback", elem_id="tab-feedback", visible=False) as tab:
        gr.HTML('<div class="pk-muted">仅管理员可见。更正后的回答必须引用原文条款，其中的单位、金额、日期须在所引条款中原样出现；'
                "保存后，相同或几乎相同的问题将优先返回该回答，并标明“人工校正”。</div>", js_on_load=None)
        with gr.Row(equal_height=True):
            only_bad = gr.Checkbox(label="只看“没用”的反馈", value=False, elem_id="pk-fb-only-bad")
            refresh = gr.Button("刷新", size="sm", elem_id="pk-fb-refresh")
        table = gr.HTML("", elem_id="pk-fb-table", js_on_load=None)
        pick = gr.Dropdown(choices=[], value=None, label="选择要更正的反馈", elem_id="pk-fix-pick")
        question = gr.Textbox(label="问题", max_length=500, elem_id="pk-fix-q")
        answer = gr.Textbox(label="更正后的回答", lines=4, max_length=2000, elem_id="pk-fix-a")
        clauses = gr.Dropdown(choices=[], value=[], multiselect=True, label="引用条款（至少一条）", filterable=True,
                              elem_id="pk-fix-clauses")
        save = gr.Button("保存更正", variant="primary", elem_id="pk-fix-save")
        msg = gr.HTML("", elem_id="pk-fix-msg", js_on_load=None)
        gr.HTML('<div class="pk-cites-head">已保存的人工校正</div>', js_on_load=None)
        curated = gr.HTML("", elem_id="pk-curated", js_on_load=None)

    def _admin(request: gr.Request):
        viewer = viewer_of(service, request)
        return viewer if viewer is not None and viewer.is_admin else None

    def feedback_listing(bad_only: bool, request: gr.Request):
        if _admin(request) is None:
            return [gr.Tab(visible=False), render.message_card(REFUSED, "warn"), gr.update(choices=[], value=None),
                    gr.update(choices=[], value=[]), ""]
        entries = desk(service).feedback.entries(USELESS if bad_only else None, limit=LIST_LIMIT)
        picks = [(f"#{f.id} {f.verdict_text} {f.question[:30]}", str(f.id)) for f in entries]
        return [gr.Tab(visible=True), feedback_table(entries), gr.update(choices=picks, value=None),
                gr.update(choices=clause_choices(service)), curated_table(service)]

    outputs = [tab, table, pick, clauses, curated]
    demo.load(feedback_listing, only_bad, outputs, **private)
    refresh.click(feedback_listing, only_bad, outputs, **private)
    only_bad.change(feedback_listing, only_bad, outputs, **private)

    def feedback_fill(feedback_id, request: gr.Request):
        if _admin(request) is None or not feedback_id:
            return [gr.update(), gr.update(), gr.update()]
        try:
            f = desk(service).feedback.get(int(feedback_id))
        except PolicyKBError as exc:
            return [gr.update(), gr.update(), render.message_card(str(exc), "warn")]
        return [f.question, f.answer, gr.update(value=[c["clause_id"] for c in f.citations if c.get("clause_id")])]

    pick.input(feedback_fill, pick, [question, answer, clauses], **private)

    def feedback_correct(feedback_id, q, text, clause_ids, request: gr.Request):
        viewer = _admin(request)
        if viewer is None:
            return [render.message_card(REFUSED, "warn"), ""]
        try:
            fix = desk(service).curated.add(service.library, q or "", text or "", list(clause_ids or []), viewer.name,
                                            feedback_id=int(feedback_id) if feedback_id else None)
        except PolicyKBError as exc:
            return [render.numbered(render.message_card(f"未保存：{exc}", "warn")), curated_table(service)]
        return [render.numbered(render.message_card(
                    f"已保存人工校正（编号 {fix.id}）：以后问“{fix.question[:30]}”或几乎相同的问题，将优先返回该回答。")),
                curated_table(service)]

    save.click(feedback_correct, [pick, question, answer, clauses], [msg, curated], concurrency_limit=1,
               concurrency_id="write", **private)
    return tab
