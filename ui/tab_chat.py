"""The 对话 tab: a signed-in user's conversations (sidebar, search), follow-ups, and 有用/没用 on each answer.

Every event finds its viewer from its own request and reads or writes only that viewer's conversations
(kb/conversation.py checks the owner); a reader who is not signed in is refused.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

from kb.conversation import ConversationError, ConversationLog, Turn, ask_in
from kb.curated import CURATED_MARK, CuratedAnswers
from kb.errors import PolicyKBError
from kb.feedback import USEFUL, USELESS, VERDICTS, FeedbackLog
from ui import render
from ui.service import INTERNAL_ERROR, UIService

log = logging.getLogger(__name__)
EXCERPT_CHARS = 120
REFUSED = "请先以工作人员或管理员身份登录后再使用对话。"


@dataclass
class Desk:
    """The help desk's side tables for one server: conversations, feedback, corrections."""

    conversations: ConversationLog
    feedback: FeedbackLog
    curated: CuratedAnswers


_DESKS: weakref.WeakKeyDictionary[UIService, Desk] = weakref.WeakKeyDictionary()


def desk(service: UIService) -> Desk:
    """The service's Desk, opened on first use in the KB file."""
    found = _DESKS.get(service)
    if found is None:
        db = service.library.kb_dir / "kb.sqlite"
        found = Desk(ConversationLog(db), FeedbackLog(db, service.audit), CuratedAnswers(db, service.audit))
        _DESKS[service] = found
    return found


def _clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_html(answer: dict) -> str:
    """One answer in the conversation: the mark of a curated answer, the text, warnings, citations."""
    mark = f'<span class="pk-curated-mark">【{CURATED_MARK}】</span>' if answer.get("curated") else ""
    status = "" if answer.get("found") else '<span class="pk-chat-none">【未找到】</span>'
    warnings = "".join(f"<li>{render.esc(w)}</li>" for w in answer.get("warnings") or [])
    cites = "".join(
        f'<li><b>[{i}] {render.esc(c.get("doc_number") or c.get("doc_title", ""))} {render.esc(c.get("label", ""))}</b>'
        f'：{render.esc(_clip(c.get("text", "")))}</li>'
        for i, c in enumerate(answer.get("citations") or [], 1))
    head = "引用条款" if answer.get("found") else "以下条款可能相关，仅供参考"
    return (f'<div class="pk-chat-answer">{mark}{status}<span class="pk-chat-text">{render.esc(answer.get("answer", ""))}</span>'
            + (f'<ul class="pk-chat-warnings">{warnings}</ul>' if warnings else "")
            + (f'<div class="pk-chat-cites-head">{head}：</div><ol class="pk-chat-cites">{cites}</ol>' if cites else "")
            + "</div>")


def messages(turns: list[Turn]) -> list[dict]:
    out: list[dict] = []
    for t in turns:
        out.append({"role": "user", "content": render.esc(t.asked)})
        out.append({"role": "assistant", "content": answer_html(t.answer)})
    return out


def _choices(service: UIService, owner: str) -> list[tuple[str, str]]:
    return [(f"{c.title}（{c.updated_at[5:16].replace('T', ' ')}）", c.id) for c in desk(service).conversations.conversations(owner)]


def build(demo: gr.Blocks, service: UIService, viewer_of: Callable) -> gr.Tab:
    """The tab, built inside the app's gr.Tabs; ``viewer_of(service, request)`` names who sent an event."""
    private = {"api_visibility": "private"}
    with gr.Tab("对话", id="chat", elem_id="tab-chat") as tab:
        current = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1, min_width=240):
                new_btn = gr.Button("新对话", variant="secondary", elem_id="pk-chat-new")
                conv_list = gr.Radio(choices=[], value=None, label="我的对话", elem_id="pk-chat-list")
                find = gr.Textbox(label="搜索历史问答", placeholder="输入关键词后回车", elem_id="pk-chat-find")
                found = gr.HTML("", elem_id="pk-chat-found", js_on_load=None)
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="对话", elem_id="pk-chat", height=520, sanitize_html=True,
                                  placeholder="在下方提问；追问可以很短，例如“那5亿呢？”“还有效吗？”“那配合单位呢”“第二条呢”。",
                                  feedback_options=("Like", "Dislike"))
                with gr.Row(equal_height=True):
                    msg = gr.Textbox(label="问题或追问", placeholder="例如：数字产品制造业企业营业收入首次达到1亿元奖励多少？",
                                     max_length=500, scale=6, elem_id="pk-chat-q")
                    send = gr.Button("发送", variant="primary", scale=1, min_width=90, elem_id="pk-chat-send")
                with gr.Row(equal_height=True):
                    comment = gr.Textbox(label="对最新回答的意见（可选）", max_length=500, scale=5, elem_id="pk-fb-comment")
                    useful = gr.Button("有用", scale=1, min_width=80, elem_id="pk-fb-useful")
                    useless = gr.Button("没用", scale=1, min_width=80, elem_id="pk-fb-useless")
                fb_msg = gr.HTML("", elem_id="pk-fb-msg", js_on_load=None)

    def _staff(request: gr.Request):
        viewer = viewer_of(service, request)
        return viewer if viewer is not None and viewer.is_staff else None

    def chat_show(conv_id, request: gr.Request):
        viewer = _staff(request)
        if viewer is None:
            return [[], gr.update(choices=[], value=None), None, render.message_card(REFUSED, "warn")]
        choices = _choices(service, viewer.name)
        ids = [v for _, v in choices]
        conv_id = conv_id if conv_id in ids else (ids[0] if ids else None)
        turns = desk(service).conversations.turns(conv_id, viewer.name) if conv_id else []
        return [messages(turns), gr.update(choices=choices, value=conv_id), conv_id, ""]

    show_outputs = [chat, conv_list, current, fb_msg]
    tab.select(chat_show, current, show_outputs, **private)
    demo.load(chat_show, current, show_outputs, **private)

    def chat_pick(conv_id, request: gr.Request):
        viewer = _staff(request)
        if viewer is None or not conv_id:
            return [[], conv_id if viewer else None]
        try:
            return [messages(desk(service).conversations.turns(conv_id, viewer.name)), conv_id]
        except ConversationError:
            return [[], None]

    conv_list.input(chat_pick, conv_list, [chat, current], **private)

    def chat_start(request: gr.Request):
        viewer = _staff(request)
        if viewer is None:
            return [[], gr.update(), None, render.message_card(REFUSED, "warn")]
        conv = desk(service).conversations.start(viewer.name)
        return [[], gr.update(choices=_choices(service, viewer.name), value=conv.id), conv.id, ""]

    new_btn.click(chat_start, None, [chat, conv_list, current, fb_msg], **private)

    def chat_ask(text, conv_id, request: gr.Request):
        viewer = _staff(request)
        if viewer is None:
            return [gr.update(), gr.update(), conv_id, text, render.message_card(REFUSED, "warn")]
        logbook = desk(service).conversations
        try:
            if not conv_id:
                conv_id = logbook.start(viewer.name).id
            ask_in(service.answerer, logbook, viewer.name, conv_id, text)
        except ConversationError:
            conv_id = logbook.start(viewer.name).id
            return [[], gr.update(choices=_choices(service, viewer.name), value=conv_id), conv_id, text,
                    render.message_card("原对话已不可用，已新建对话，请重新发送。", "warn")]
        except PolicyKBError as exc:
            return [gr.update(), gr.update(), conv_id, text, render.message_card(str(exc), "warn")]
        except Exception:
            log.exception("conversation answering failed: %r", text)
            return [gr.update(), gr.update(), conv_id, text, render.message_card(INTERNAL_ERROR, "error")]
        turns = logbook.turns(conv_id, viewer.name)
        return [messages(turns), gr.update(choices=_choices(service, viewer.name), value=conv_id), conv_id, "", ""]

    ask_kw = {"show_progress": "minimal", "concurrency_limit": 8, "concurrency_id": "answer", **private}
    ask_outputs = [chat, conv_list, current, msg, fb_msg]
    send.click(chat_ask, [msg, current], ask_outputs, **ask_kw)
    msg.submit(chat_ask, [msg, current], ask_outputs, **ask_kw)

    def judge(verdict: str, conv_id, note: str, request: gr.Request, index: int | None = None):
        viewer = _staff(request)
        if viewer is None:
            return [render.message_card(REFUSED, "warn"), note]
        try:
            turns = desk(service).conversations.turns(conv_id, viewer.name) if conv_id else []
        except ConversationError:
            turns = []
        if index is not None:
            turns = turns[: index + 1]
        if not turns:
            return [render.message_card("还没有可评价的回答：请先提问。", "warn"), note]
        turn = turns[-1]
        try:
            desk(service).feedback.record(viewer.name, verdict, turn.answer, note or "", turn_id=turn.id)
        except PolicyKBError as exc:
            return [render.message_card(str(exc), "warn"), note]
        return [render.message_card(f"已记录：“{_clip(turn.asked, 30)}”的回答{VERDICTS[verdict]}。谢谢反馈！"), ""]

    fb_kw = {"concurrency_limit": 4, "concurrency_id": "feedback", **private}
    def chat_judge_useful(conv_id, note, request: gr.Request):
        return judge(USEFUL, conv_id, note, request)

    def chat_judge_useless(conv_id, note, request: gr.Request):
        return judge(USELESS, conv_id, note, request)

    useful.click(chat_judge_useful, [current, comment], [fb_msg, comment], **fb_kw)
    useless.click(chat_judge_useless, [current, comment], [fb_msg, comment], **fb_kw)

    def chat_liked(conv_id, note, evt: gr.LikeData, request: gr.Request):
        verdict = USEFUL if evt.liked is True or evt.liked == "Like" else USELESS
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return judge(verdict, conv_id, note, request, index=int(index) // 2)

    chat.like(chat_liked, [current, comment], [fb_msg, comment], **fb_kw)

    def chat_search(text, request: gr.Request):
        viewer = _staff(request)
        if viewer is None:
            return render.message_card(REFUSED, "warn")
        if not (text or "").strip():
            return ""
        hits = desk(service).conversations.search(viewer.name, text, limit=20)
        if not hits:
            return render.message_card(f"历史问答中没有“{_clip(text, 20)}”。")
        items = "".join(f'<li><b>{render.esc(t.at[:16].replace("T", " "))}</b> {render.esc(_clip(t.asked, 40))}'
                        f'<div class="pk-muted">{render.esc(_clip(t.answer.get("answer", ""), 60))}</div></li>' for t in hits)
        return f'<ul class="pk-chat-hits">{items}</ul>'

    find.submit(chat_search, find, found, **private)
    return tab
