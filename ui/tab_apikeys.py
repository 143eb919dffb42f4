"""接口密钥 in the 用户与日志 tab (administrators): list the API keys, create one (its secret shown this
once, only its hash kept), revoke one. The same store as `policykb apikey` (kb/apikeys.py), each change
in the audit log; every event checks its own viewer on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import gradio as gr

from kb.apikeys import SCOPES, ApiKey, ApiKeyError
from ui import render
from ui.service import UIService

NO_KEYS = "还没有接口密钥。创建后，其他系统调用 /api/ 接口时把密钥放在请求头 X-API-Key 中。"


def _time(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ") or "—"


def keys_table(keys: Sequence[ApiKey]) -> str:
    if not keys:
        return render.message_card(NO_KEYS, "info")
    active = sum(1 for k in keys if k.active)
    rows = "".join(
        f'<tr class="pk-key-{"on" if k.active else "off"}"><td>{render.esc(k.name)}</td><td>{render.esc(k.scope_text)}</td>'
        f"<td><code>{render.esc(k.prefix)}…</code></td><td>{render.esc(_time(k.created_at))}</td>"
        f"<td>{render.esc(k.created_by)}</td><td>{render.esc(_time(k.last_used_at))}</td>"
        f'<td>{"有效" if k.active else "已吊销 " + render.esc(_time(k.revoked_at))}</td></tr>' for k in keys)
    return (f'<div class="pk-docs pk-keys"><div class="pk-search-head">接口密钥 {len(keys)} 个（有效 {active} 个）</div>'
            '<table class="pk-table"><thead><tr><th>名称</th><th>权限</th><th>前缀</th><th>创建时间</th><th>创建人</th>'
            f"<th>最近使用</th><th>状态</th></tr></thead><tbody>{rows}</tbody></table></div>")


def created_card(key: ApiKey, secret: str) -> str:
    """The one time the secret is shown."""
    return (f'<div class="pk-message info pk-key-created">已创建密钥 {render.esc(key.name)}（{render.esc(key.scope_text)}）。'
            f'请立即复制保存，它只显示这一次（库中只保存其哈希）：<br><code class="pk-secret">{render.esc(secret)}</code>'
            "<br>调用接口时放在请求头 X-API-Key 中（或 Authorization: Bearer 密钥）。</div>")


def build(demo: gr.Blocks, service: UIService, viewer_of: Callable, refusal_of: Callable) -> None:
    """The section, built inside the app's 用户与日志 tab; `refusal_of(service, viewer)` is the app's
    administrator check (a message, or None when allowed)."""
    private = {"api_visibility": "private"}
    gr.HTML('<div class="pk-cites-head">接口密钥</div><div class="pk-muted">供其他系统调用 /api/ 接口：只读密钥可提问、'
            "检索、列出文件和导出；管理密钥还可上传、更正、停用和删除文件。也可在服务器上用 policykb apikey add / list / "
            "revoke 管理。</div>", js_on_load=None)
    with gr.Row(equal_height=True):
        name = gr.Textbox(label="密钥名称（如调用方系统名）", max_length=40, scale=3, elem_id="pk-key-name")
        scope = gr.Radio(choices=[(text, value) for value, text in SCOPES.items()], value="read", label="权限",
                         scale=2, elem_id="pk-key-scope")
        add = gr.Button("创建密钥", variant="primary", scale=1, elem_id="pk-key-add")
    with gr.Row(equal_height=True):
        pick = gr.Dropdown(choices=[], value=None, label="选择要吊销的密钥", scale=4, elem_id="pk-key-pick")
        revoke = gr.Button("吊销密钥", variant="stop", scale=1, elem_id="pk-key-revoke")
    msg = gr.HTML("", elem_id="pk-key-msg", js_on_load=None)
    listing = gr.HTML("", elem_id="pk-keys", js_on_load=None)

    def allowed(request: gr.Request):
        viewer = viewer_of(service, request)
        refusal = refusal_of(service, viewer)
        keys = service.authority.apikeys if service.authority is not None else None
        if refusal is None and keys is None:
            refusal = "未启用接口密钥。"
        return viewer, keys, refusal

    def view(keys) -> list:
        if keys is None:
            return ["", gr.update(choices=[], value=None)]
        found = keys.keys()
        return [keys_table(found), gr.update(choices=[k.name for k in found if k.active], value=None)]

    def do_add(key_name, key_scope, request: gr.Request) -> list:
        viewer, keys, refusal = allowed(request)
        if refusal:
            return [render.numbered(render.message_card(refusal, "warn")), *view(None), gr.update()]
        try:
            created, secret = keys.add(key_name or "", key_scope or "read", viewer.name)
        except ApiKeyError as exc:
            return [render.numbered(render.message_card(str(exc), "warn")), *view(keys), gr.update()]
        service.authority.audit.record(viewer.name, "apikey_add", created.name, created.scope_text)
        return [render.numbered(created_card(created, secret)), *view(keys), ""]

    def do_revoke(key_name, request: gr.Request) -> list:
        viewer, keys, refusal = allowed(request)
        if refusal:
            return [render.numbered(render.message_card(refusal, "warn")), *view(None)]
        if not key_name:
            return [render.numbered(render.message_card("没有吊销任何密钥（未选择密钥，或已取消）。", "warn")), *view(keys)]
        try:
            revoked = keys.revoke(key_name)
        except ApiKeyError as exc:
            return [render.numbered(render.message_card(str(exc), "warn")), *view(keys)]
        service.authority.audit.record(viewer.name, "apikey_revoke", revoked.name, revoked.scope_text)
        return [render.numbered(render.message_card(f"已吊销密钥 {revoked.name}：此后用它的请求一律被拒绝。")),
                *view(keys)]

    write = {"concurrency_limit": 1, "concurrency_id": "write", **private}
    add.click(do_add, [name, scope], [msg, listing, pick, name], **write)
    revoke.click(do_revoke, pick, [msg, listing, pick],
                 js="(n) => confirm('确定吊销所选密钥吗？吊销后不能恢复。') ? n : null", **write)

    def on_load(request: gr.Request) -> list:
        _, keys, refusal = allowed(request)
        return view(None if refusal else keys)

    demo.load(on_load, None, [listing, pick], **private)
