"""The Gradio app of policykb, mounted on FastAPI next to the JSON API.

    build_app(library) -> FastAPI    # the whole server: Gradio UI at /, POST /api/ask, GET /api/search,
                                     # /openapi.json; the Gradio API endpoints "ask" and "search"
    serve(library, host, port)       # blocking: build_app + uvicorn (used by `policykb serve`)

The UI calls the answering API (Library, Answerer) through `ui.service.UIService` and nothing deeper.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from kb.accounts import ROLES, AccountError, Accounts  # noqa: E402
from kb.answerer import Answerer  # noqa: E402
from kb.apikeys import ApiKeys  # noqa: E402
from kb.audit import AuditLog  # noqa: E402
from kb.errors import PolicyKBError  # noqa: E402
from kb.library import Library  # noqa: E402
from ui import render, tab_apikeys, tab_chat, tab_docs, tab_export, tab_feedback  # noqa: E402
from ui.api import install_error_handlers, make_router  # noqa: E402
from ui.assets import CSS, FONT_STACK, HEAD, MONO_STACK  # noqa: E402
from ui.auth import (  # noqa: E402
    LOCAL_ADMIN,
    Authority,
    Viewer,
    anonymous_from_env,
    first_start_hint,
    startup_problem,
)
from ui.guard import GuardPolicy, RequestGuard, is_loopback, trusted_origins_from  # noqa: E402
from ui.pagelang import ChinesePage  # noqa: E402
from ui.service import ALLOWED_SUFFIXES, CONVERT_ADVICE, MAX_UPLOAD_FILES, UIService  # noqa: E402
from ui.signin import AuthGate, make_signin_router  # noqa: E402
from ui.startup import StartupShell  # noqa: E402
from ui.uploads import UploadRefused, checked_upload_path, private_upload_dir, upload_only  # noqa: E402

TITLE = "policykb 政策文件问答"

# example questions for each kind of user (DESIGN.md "Its people")
EXAMPLES: dict[str, list[str]] = {
    "企业申报人": [
        "数字产品制造业企业营业收入首次达到1亿元奖励多少？",
        "政策措施的有效期到什么时候？",
        "新型学徒制培训补贴每人多少钱？",
    ],
    "新入职公务员": [
        "谁牵头探索建设赣南大数据交易中心？",
        "市行政审批局负责哪些任务？",
        "谁负责集约建设算力基础设施？",
    ],
    "窗口工作人员": [
        "东数西算",
        "人才培养示范基地奖补",
        "赣市发〔2022〕5号",
    ],
}

WELCOME = render.message_card(
    "请输入问题，或点击上方的示例问题。回答会先给出结论（单位、金额、日期），再列出所依据的原文条款；"
    "点击条款可展开原文、复制引用或在原文中查看上下文。"
)


def _header(service: UIService) -> str:
    return (f'<div class="pk-header"><h1>policykb 政策文件知识库</h1>'
            f'<span class="pk-sub">{render.esc(service.summary_text())}　离线运行，回答均引自原文条款</span></div>')


def build_blocks(service: UIService) -> gr.Blocks:
    """The five tabs: 问答, 按部门查职责, 条款检索, 文件浏览, 文件管理."""
    doc_choices = service.doc_choices()
    first_doc = doc_choices[0][1] if doc_choices else None
    private = {"api_visibility": "private"}

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        header = gr.HTML(_header(service), elem_id="pk-header", js_on_load=None)
        userbar = gr.HTML("", elem_id="pk-userbar", js_on_load=None)
        with gr.Tabs(elem_id="pk-tabs"):
            # -- 问答 ----------------------------------------------------------------------------------
            with gr.Tab("问答", id="qa", elem_id="tab-qa"):
                with gr.Row(equal_height=True):
                    question = gr.Textbox(label="您的问题", placeholder="例如：谁牵头探索建设赣南大数据交易中心？",
                                          max_length=500, scale=6, elem_id="pk-question", autofocus=True)
                    ask_btn = gr.Button("提问", variant="primary", scale=1, min_width=100, elem_id="pk-ask")
                example_buttons: list[tuple[gr.Button, str]] = []
                with gr.Row(elem_id="pk-examples"):
                    for kind, items in EXAMPLES.items():
                        with gr.Column(min_width=220):
                            gr.HTML(f'<div class="pk-examples-kind">{render.esc(kind)}常问</div>', js_on_load=None)
                            for text in items:
                                example_buttons.append((gr.Button(text, size="sm", variant="secondary"), text))
                answer = gr.HTML(WELCOME, elem_id="pk-answer-card", js_on_load=None)

            tab_chat.build(demo, service, _viewer)  # 对话: conversations, follow-ups, feedback (ui/tab_chat.py)

            # -- 按部门查职责 ----------------------------------------------------------------------------
            with gr.Tab("按部门查职责", id="units", elem_id="tab-units"):
                unit = gr.Dropdown(choices=service.unit_choices(), value=None, allow_custom_value=True, filterable=True,
                                   label="单位", info="输入几个字即可筛选（例如“行政审批”），或从列表中选择",
                                   elem_id="pk-unit")
                unit_out = gr.HTML(service.unit_html(None), elem_id="pk-unit-view", js_on_load=None)

            # -- 条款检索 --------------------------------------------------------------------------------
            with gr.Tab("条款检索", id="search", elem_id="tab-search"):
                query = gr.Textbox(label="关键词", placeholder="输入关键词或来电人的半句话，例如：东数西算、首次达到1亿元",
                                   elem_id="pk-search-q")
                with gr.Row():
                    s_doc = gr.Dropdown(choices=[("全部文件", ""), *doc_choices], value="", label="文件", scale=3)
                    s_chapter = gr.Dropdown(choices=service.chapter_choices(None), value=None, allow_custom_value=True,
                                            label="章节", scale=3)
                    s_unit = gr.Dropdown(choices=service.unit_choices(), value=None, allow_custom_value=True,
                                         label="涉及单位", scale=2)
                    with gr.Column(scale=2, min_width=160):
                        s_force = gr.Checkbox(label="只看现行有效", value=False, elem_id="pk-in-force")
                        s_unknown = gr.Checkbox(label="含未载明有效期", value=True, elem_id="pk-unknown",
                                                info="只看现行有效时，是否也列出文件未载明有效期的条款")
                        s_k = gr.Slider(3, 30, value=10, step=1, label="结果条数")
                search_out = gr.HTML(service.search_html(""), elem_id="pk-search-results", js_on_load=None)

            # -- 文件浏览 --------------------------------------------------------------------------------
            with gr.Tab("文件浏览", id="browse", elem_id="tab-browse"):
                b_doc = gr.Dropdown(choices=doc_choices, value=first_doc, label="文件", elem_id="pk-browse-doc")
                browse_out = gr.HTML(service.browse_html(first_doc), elem_id="pk-browse-tree", js_on_load=None)

            # -- 文件管理 --------------------------------------------------------------------------------
            with gr.Tab("文件管理", id="manage", elem_id="tab-manage") as manage_tab:
                limit = f"{service.max_bytes / 1024 / 1024:.0f} MB"
                upload = upload_only(gr.File(label=f"上传政策文件（PDF、DOCX、TXT、MD、HTML；单个不超过 {limit}；可多选）",
                                 file_count="multiple", file_types=[*ALLOWED_SUFFIXES, *CONVERT_ADVICE], type="filepath",
                                 elem_id="pk-upload", height=140))
                gr.HTML('<div class="pk-muted">上传后自动读取文件、切分条款并重建检索索引；同一文号（或同一标题）的文件再次上传会替换旧版本。'
                        "读取和索引期间，问答和检索照常可用。</div>", js_on_load=None)
                report = gr.HTML("", elem_id="pk-upload-report", js_on_load=None, min_height=40)
                docs = gr.HTML(tab_docs.documents_html(service), elem_id="pk-docs", js_on_load=None)
                with gr.Row(equal_height=True):
                    rm_doc = gr.Dropdown(choices=service.removal_choices(), value=None, label="选择要删除的文件", scale=4,
                                         elem_id="pk-remove-doc")
                    rm_btn = gr.Button("从知识库删除", variant="stop", scale=1, elem_id="pk-remove")
                rm_msg = gr.HTML("", elem_id="pk-remove-msg", js_on_load=None)
                docs_panel = tab_docs.build(demo, service, _viewer)  # batches, disable, correct, re-parse (ui/tab_docs.py)

            tab_feedback.build(demo, service, _viewer)  # 反馈与更正, administrators only (ui/tab_feedback.py)
            tab_export.build(demo, service, _viewer)  # 导出 .xlsx/.docx, staff and administrators (ui/tab_export.py)

            # -- 系统管理（管理员）：用户与审计日志 ---------------------------------------------------------
            with gr.Tab("用户与日志", id="admin", elem_id="tab-admin") as admin_tab:
                gr.HTML('<div class="pk-muted">仅管理员可见。用户也可在服务器上用 policykb user add / list / remove 管理。</div>',
                        js_on_load=None)
                with gr.Row(equal_height=True):
                    u_name = gr.Textbox(label="新用户名", max_length=32, scale=2, elem_id="pk-user-name")
                    u_pass = gr.Textbox(label="初始密码（至少 8 位）", type="password", max_length=128, scale=2,
                                        elem_id="pk-user-pass")
                    u_role = gr.Radio(choices=[(v, k) for k, v in ROLES.items()], value="staff", label="角色", scale=2)
                    u_add = gr.Button("添加用户", variant="primary", scale=1, elem_id="pk-user-add")
                with gr.Row(equal_height=True):
                    u_remove_name = gr.Dropdown(choices=[], value=None, label="选择要删除的用户", scale=4,
                                                elem_id="pk-user-remove-name")
                    u_remove = gr.Button("删除用户", variant="stop", scale=1, elem_id="pk-user-remove")
                u_msg = gr.HTML("", elem_id="pk-user-msg", js_on_load=None)
                users_out = gr.HTML("", elem_id="pk-users", js_on_load=None)
                tab_apikeys.build(demo, service, _viewer, _admin_refusal)  # 接口密钥 (ui/tab_apikeys.py)
                audit_refresh = gr.Button("刷新审计日志", size="sm", elem_id="pk-audit-refresh")
                audit_out = gr.HTML("", elem_id="pk-audit", js_on_load=None)

        # -- events ------------------------------------------------------------------------------------
        ask_kw = {"show_progress": "minimal", "concurrency_limit": 8, "concurrency_id": "answer", **private}
        ask_btn.click(service.answer_html, question, answer, **ask_kw)
        question.submit(service.answer_html, question, answer, **ask_kw)
        for button, text in example_buttons:
            button.click(lambda t=text: t, None, question, queue=False, **private).then(
                service.answer_html, question, answer, **ask_kw)

        unit.change(service.unit_html, unit, unit_out, show_progress="hidden", **private)

        search_inputs = [query, s_doc, s_chapter, s_unit, s_force, s_k, s_unknown]

        def run_search(q, doc_id, chapter, unit_name, in_force, k, unknown=True):
            return service.search_html(q or "", doc_id or None, chapter, unit_name, bool(in_force), int(k or 10),
                                       include_unknown=bool(unknown))

        search_kw = {"show_progress": "hidden", "trigger_mode": "always_last", "concurrency_limit": 8,
                     "concurrency_id": "answer", **private}
        query.change(run_search, search_inputs, search_out, **search_kw)
        query.submit(run_search, search_inputs, search_out, **search_kw)
        for control in (s_chapter, s_unit, s_force, s_unknown):
            control.change(run_search, search_inputs, search_out, **search_kw)
        s_k.release(run_search, search_inputs, search_out, **search_kw)
        s_doc.change(lambda d: gr.update(choices=service.chapter_choices(d or None), value=None), s_doc, s_chapter,
                     queue=False, **private).then(run_search, search_inputs, search_out, **search_kw)

        b_doc.change(service.browse_html, b_doc, browse_out, show_progress="minimal", **private)

        refresh_outputs = [header, docs, unit, s_doc, s_unit, b_doc, rm_doc]

        def refresh(current_browse=None):
            choices = service.doc_choices()
            ids = [v for _, v in choices]
            browse_value = current_browse if current_browse in ids else (ids[0] if ids else None)
            units = service.unit_choices()
            return [
                _header(service),
                tab_docs.documents_html(service),
                gr.update(choices=units),
                gr.update(choices=[("全部文件", ""), *choices]),
                gr.update(choices=units),
                gr.update(choices=choices, value=browse_value),
                gr.update(choices=service.removal_choices(), value=None),
            ]

        def do_upload(files, current_browse, request: gr.Request, progress=gr.Progress()):  # noqa: B008
            viewer = _viewer(service, request)
            refusal = _write_refusal(viewer)
            if refusal:
                return [render.message_card(refusal), None, *refresh(current_browse)]
            paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
            if not paths:
                return [render.message_card("没有收到文件。"), None, *refresh(current_browse)]
            if len(paths) > MAX_UPLOAD_FILES:
                return [render.message_card(f"一次最多上传 {MAX_UPLOAD_FILES} 个文件。"), None, *refresh(current_browse)]
            try:
                paths = [str(checked_upload_path(p)) for p in paths]
            except UploadRefused as exc:
                return [render.message_card(f"未处理：{exc.message}。"), None, *refresh(current_browse)]
            progress(0.0, desc="正在保存上传的文件")
            shown = tab_docs.upload(service, paths, viewer.name, lambda f, d: progress(f, desc=d))  # batch kept
            return [shown, None, *refresh(current_browse)]

        docs_panel.bind(refresh, refresh_outputs, b_doc)
        docs_panel.after_upload(upload.upload(do_upload, [upload, b_doc], [report, upload, *refresh_outputs],
                                              concurrency_limit=4, concurrency_id="upload", show_progress="full",
                                              show_progress_on=[report], **private))

        def do_remove(choice, current_browse, request: gr.Request):
            viewer = _viewer(service, request)
            refusal = _write_refusal(viewer)
            if refusal:
                return [render.message_card(refusal), *refresh(current_browse)]
            if not choice:
                return [render.message_card("没有删除任何文件（未选择文件，或已取消）。"), *refresh(current_browse)]
            doc_id = service.confirm_removal(choice)
            if doc_id is None:
                return [render.message_card("未删除：删除请求未经确认或列表已过期，请在刷新后的列表中重新选择。"),
                        *refresh(current_browse)]
            message = service.remove(doc_id, actor=viewer.name)
            return [render.message_card(message), *refresh(current_browse)]

        rm_btn.click(do_remove, [rm_doc, b_doc], [rm_msg, *refresh_outputs], concurrency_limit=1,
                     concurrency_id="write", js="(d, b) => confirm('确定从知识库中删除所选文件吗？') ? [d, b] : [null, b]",
                     **private)

        admin_outputs = [users_out, audit_out, u_remove_name]

        def admin_view(viewer: Viewer | None) -> list:
            if viewer is None or not viewer.is_admin or service.authority is None:
                return ["", "", gr.update(choices=[], value=None)]
            accounts = service.authority.accounts
            return [render.users_table(accounts.users()), render.audit_table(service.authority.audit.entries()),
                    gr.update(choices=[u.name for u in accounts.users()], value=None)]

        def on_load(current_browse, request: gr.Request):
            viewer = _viewer(service, request)
            updates = refresh(current_browse)
            admin = bool(viewer and viewer.is_admin)
            return [*updates, service.browse_html(updates[5]["value"]), render.user_bar(viewer, service.authority),
                    gr.Tab(visible=admin), gr.Tab(visible=admin and service.authority is not None), *admin_view(viewer)]

        demo.load(on_load, b_doc, [*refresh_outputs, browse_out, userbar, manage_tab, admin_tab, *admin_outputs],
                  **private)

        def add_user(name, password, role, request: gr.Request):
            viewer = _viewer(service, request)
            refusal = _admin_refusal(service, viewer)
            if refusal:
                return [render.message_card(refusal, "warn"), *admin_view(viewer), gr.update()]
            try:
                user = service.authority.accounts.add(name or "", password or "", role or "staff")
            except AccountError as exc:
                return [render.message_card(str(exc), "warn"), *admin_view(viewer), gr.update()]
            service.authority.audit.record(viewer.name, "user_add", user.name, user.role_text)
            return [render.message_card(f"已添加用户 {user.name}（{user.role_text}）。"), *admin_view(viewer), ""]

        def remove_user(name, request: gr.Request):
            viewer = _viewer(service, request)
            refusal = _admin_refusal(service, viewer)
            if refusal:
                return [render.message_card(refusal, "warn"), *admin_view(viewer)]
            if not name:
                return [render.message_card("请先选择要删除的用户。", "warn"), *admin_view(viewer)]
            if name == viewer.name:
                return [render.message_card("不能删除当前登录的自己。", "warn"), *admin_view(viewer)]
            try:
                user = service.authority.accounts.remove(name)
            except AccountError as exc:
                return [render.message_card(str(exc), "warn"), *admin_view(viewer)]
            service.authority.audit.record(viewer.name, "user_remove", user.name, user.role_text)
            return [render.message_card(f"已删除用户 {user.name}。"), *admin_view(viewer)]

        write_kw = {"concurrency_limit": 1, "concurrency_id": "write", **private}
        u_add.click(add_user, [u_name, u_pass, u_role], [u_msg, *admin_outputs, u_pass], **write_kw)
        u_remove.click(remove_user, u_remove_name, [u_msg, *admin_outputs],
                       js="(n) => confirm('确定删除所选用户吗？') ? n : null", **write_kw)
        def reload_admin(request: gr.Request):
            return admin_view(_viewer(service, request))

        audit_refresh.click(reload_admin, None, admin_outputs, **private)

        # -- the Gradio API (gradio_client): ask and search return the JSON objects of DESIGN.md ---------
        def ask(question: str) -> dict:
            """提问：返回回答对象 {question, found, intent, answer, citations, warnings}。"""
            try:
                return service.ask(question).to_dict()
            except PolicyKBError as exc:
                raise gr.Error(str(exc)) from exc

        def search(query: str, k: int = 5) -> list:
            """检索条款：返回达到相关度门槛的引用条款（最多 k 条，可能为空），含语义相似度与关键词覆盖。"""
            try:
                return [h.to_dict() for h in service.search_hits(query, k=max(1, min(int(k), 50)))]
            except PolicyKBError as exc:
                raise gr.Error(str(exc)) from exc

        gr.api(ask, api_name="ask", concurrency_limit=8, concurrency_id="answer")
        gr.api(search, api_name="search", concurrency_limit=8, concurrency_id="answer")

    return demo


def _viewer(service: UIService, request: gr.Request | None) -> Viewer | None:
    """Who sent this event, from its own cookies (checked on the server for every event)."""
    client = getattr(getattr(request, "client", None), "host", None)
    if service.authority is None:
        return LOCAL_ADMIN if is_loopback(client) else None
    headers = getattr(request, "headers", None) or {}
    return service.authority.viewer_of_headers(headers, client)


def _write_refusal(viewer: Viewer | None) -> str | None:
    """Writes need a signed-in administrator (or this machine, when no users exist and it serves loopback)."""
    if viewer is not None and viewer.is_admin:
        return None
    return "未处理：需要以管理员身份登录后才能上传或删除文件。"


def _admin_refusal(service: UIService, viewer: Viewer | None) -> str | None:
    if service.authority is None:
        return "未启用用户管理。"
    if viewer is None or not viewer.is_admin or viewer.local:
        return "未处理：需要以管理员身份登录后才能管理用户（第一位管理员请在服务器上用 policykb user add 创建）。"
    return None


def build_app(library: Library, answerer: Answerer | None = None, *, warm: bool = True,
              host: str = "127.0.0.1", anonymous: bool | None = None) -> FastAPI:
    """The server: JSON API under /api, Gradio UI at /, sign-in at /login. `warm` loads or builds the index.

    `host` is the address the server will be bound to: on loopback, requests must name this machine, and
    with no users the server stays open to this machine. `anonymous` (default $POLICYKB_ANONYMOUS) lets
    anyone ask and search without signing in.
    """
    private_upload_dir()  # before any Block exists: Gradio reads its upload folder at construction
    db = library.kb_dir / "kb.sqlite"
    authority = Authority(Accounts(db), AuditLog(db), bind_host=host,
                          anonymous=anonymous_from_env() if anonymous is None else anonymous, apikeys=ApiKeys(db))
    service = UIService(library, answerer)
    service.audit = authority.audit
    service.authority = authority
    if warm:
        service.warm()
    app = FastAPI(
        title="policykb 政策文件问答接口",
        description="离线政策文件知识库的问答与条款检索接口。回答先给事实，再引用原文条款。"
                    "错误以 JSON {\"error\": \"中文说明\"} 返回，状态码 400。",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(make_signin_router(authority))
    app.include_router(make_router(service))
    app.state.service = service
    blocks = build_blocks(service)
    theme = gr.themes.Soft(primary_hue="blue", font=FONT_STACK, font_mono=MONO_STACK)
    app = gr.mount_gradio_app(
        app, blocks, path="", theme=theme, css=CSS, head=HEAD, max_file_size=service.max_bytes,
        footer_links=["api"], show_error=True, auth_dependency=lambda request: _gradio_user(authority, request),
    )
    policy = GuardPolicy(
        bind_host=host,
        trusted_origins=trusted_origins_from(os.environ.get("POLICYKB_TRUSTED_ORIGINS", "").split(",")),
        max_upload_body=service.max_bytes * MAX_UPLOAD_FILES + 1024 * 1024,
        write_check=lambda headers, client: _upload_check(authority, headers, client),
    )
    app.add_middleware(ChinesePage)
    app.add_middleware(AuthGate, authority=authority)
    app.add_middleware(RequestGuard, policy=policy)  # outermost: origin, host and size before anything else
    return app


def _gradio_user(authority: Authority, request) -> str | None:
    """Gradio's auth_dependency: the viewer's name, or None (Gradio answers 401)."""
    client = request.client.host if request.client else None
    viewer = authority.viewer(request.cookies, client)
    return viewer.name if viewer is not None else None


def _upload_check(authority: Authority, headers: dict[str, str], client: str | None) -> str | None:
    viewer = authority.viewer_of_headers(headers, client)
    if viewer is not None and viewer.is_admin:
        return None
    return "拒绝上传：需要以管理员身份登录"


class StartupRefused(PolicyKBError):
    """`policykb serve` would expose an unprotected server."""


def serve(library: Library, host: str = "127.0.0.1", port: int = 7860, anonymous: bool | None = None) -> None:
    """Run the server until interrupted (`policykb serve`)."""
    import uvicorn

    accounts = Accounts(library.kb_dir / "kb.sqlite")
    problem = startup_problem(accounts, host)
    if problem:
        raise StartupRefused(problem)
    hint = first_start_hint(accounts)
    if hint:
        print(hint, flush=True)
    print(f"policykb 正在启动：http://{host}:{port}/ （建立索引期间页面显示“正在建立索引…”，首次约需一分钟）", flush=True)

    def build() -> FastAPI:
        app = build_app(library, host=host, anonymous=anonymous)
        print(f"policykb 已就绪：http://{host}:{port}/   JSON 接口：POST /api/ask，GET /api/search，"
              "说明见 /openapi.json", flush=True)
        return app

    uvicorn.run(StartupShell(build), host=host, port=port, log_level="warning")
