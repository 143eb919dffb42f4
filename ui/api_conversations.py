"""JSON endpoints for conversations (included by ui/api.py): start, list, ask with follow-ups, history, feedback.

The caller is the viewer the sign-in gate (ui/signin.py) put on the request; conversations belong to
that viewer, and anyone else's conversation answers 404 as a missing one would.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kb.conversation import ConversationError, ask_in
from kb.errors import PolicyKBError
from kb.feedback import VERDICTS
from ui.api import _ERRORS, ApiError
from ui.service import UIService
from ui.tab_chat import desk


class StartRequest(BaseModel):
    title: str = Field("", description="对话名称（可空；默认取第一个问题）", examples=["企业奖励咨询"])


class ConversationOut(BaseModel):
    id: str = Field(description="对话编号")
    owner: str = Field(description="对话所属用户")
    title: str = Field(description="对话名称")
    created_at: str
    updated_at: str


class FollowupRequest(BaseModel):
    question: str = Field("", description="问题或追问，最多 500 字；追问可以很短", examples=["那5亿呢？"])


class TurnOut(BaseModel):
    id: int = Field(description="这一轮问答的编号")
    conversation_id: str
    at: str = Field(description="提问时间")
    asked: str = Field(description="用户输入的原话")
    question: str = Field(description="补全后的完整问题（追问按上一轮补全）")
    kind: str = Field(description="standalone、figure、validity、attribute、ordinal 或 topic")
    kind_text: str = Field(description="追问类型的中文说明")
    carried: str = Field(description="从上一轮沿用了什么（独立问题为空）")
    answer: dict = Field(description="回答对象，与 POST /api/ask 相同，另含 curated（是否为管理员人工校正的回答）")


class HistoryOut(BaseModel):
    conversation: ConversationOut
    turns: list[TurnOut]


class FeedbackRequest(BaseModel):
    verdict: str = Field(description="useful（有用）或 useless（没用）", examples=["useful"])
    comment: str = Field("", description="意见（可空，最多 500 字）", examples=["希望写明申报时间"])


class FeedbackOut(BaseModel):
    id: int
    verdict_text: str = Field(description="有用 或 没用")
    question: str


def _owner(request: Request) -> str:
    viewer = getattr(request.state, "viewer", None)
    if viewer is None or not viewer.is_staff:
        raise ApiError("请先以工作人员或管理员身份登录后再使用对话接口", 401)
    return viewer.name


def make_conversation_router(service: UIService) -> APIRouter:
    """Mounted under /api by ui/api.py: /api/conversations/..."""
    router = APIRouter(prefix="/conversations", tags=["对话接口"])
    responses = {**_ERRORS, 401: {"description": "未登录"}, 404: {"description": "对话不存在或不属于当前用户"}}

    def _missing(exc: ConversationError) -> ApiError:
        return ApiError(str(exc), 404)

    @router.post("", response_model=ConversationOut, responses=responses, summary="新建对话")
    def start(body: StartRequest, request: Request) -> dict:
        return desk(service).conversations.start(_owner(request), body.title).to_dict()

    @router.get("", response_model=list[ConversationOut], responses=responses, summary="列出当前用户的对话（最近使用的在前）")
    def listing(request: Request) -> list[dict]:
        return [c.to_dict() for c in desk(service).conversations.conversations(_owner(request))]

    @router.post("/{conversation_id}/ask", response_model=TurnOut, responses=responses,
                 summary="在对话中提问：追问（如“那5亿呢？”“还有效吗？”）按上一轮补全后回答")
    def ask(conversation_id: str, body: FollowupRequest, request: Request) -> dict:
        owner = _owner(request)
        try:
            return ask_in(service.answerer, desk(service).conversations, owner, conversation_id, body.question).to_dict()
        except ConversationError as exc:
            raise _missing(exc) from exc
        except PolicyKBError as exc:
            raise ApiError(str(exc)) from exc

    @router.get("/{conversation_id}", response_model=HistoryOut, responses=responses, summary="对话的全部问答")
    def history(conversation_id: str, request: Request) -> dict:
        owner = _owner(request)
        logbook = desk(service).conversations
        try:
            return {"conversation": logbook.get(conversation_id, owner).to_dict(),
                    "turns": [t.to_dict() for t in logbook.turns(conversation_id, owner)]}
        except ConversationError as exc:
            raise _missing(exc) from exc

    @router.post("/{conversation_id}/turns/{turn_id}/feedback", response_model=FeedbackOut, responses=responses,
                 summary="对某一轮回答评价：有用 或 没用，可附意见")
    def feedback(conversation_id: str, turn_id: int, body: FeedbackRequest, request: Request) -> dict:
        owner = _owner(request)
        if body.verdict not in VERDICTS:
            raise ApiError("评价只能是 useful（有用）或 useless（没用）")
        try:
            turn = desk(service).conversations.turn(turn_id, owner)
            if turn.conversation_id != conversation_id:
                raise ConversationError(f"找不到这一轮问答：{turn_id}")
            stored = desk(service).feedback.record(owner, body.verdict, turn.answer, body.comment, turn_id=turn.id)
        except ConversationError as exc:
            raise _missing(exc) from exc
        except PolicyKBError as exc:
            raise ApiError(str(exc)) from exc
        return {"id": stored.id, "verdict_text": stored.verdict_text, "question": stored.question}

    return router
