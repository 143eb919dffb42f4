"""Export endpoints (included by ui/api.py): an answer, a unit's portfolio, search results, a
conversation and the feedback list as .xlsx or .docx (kb/export.py). `build_report` is shared with the
UI's 导出 tab (ui/tab_export.py).

Exports need a 工作人员 (or a read key); the feedback list needs an administrator; a conversation is
exported only by its owner.
"""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from kb import export
from kb.conversation import ConversationError
from kb.errors import PolicyKBError
from kb.export import FORMATS, MEDIA_TYPES, ExportError, Report
from kb.retriever import Filters
from ui.api import _ERRORS, ApiError
from ui.api_documents import viewer_of
from ui.service import UIService
from ui.tab_chat import desk

KINDS = {"answer": "回答", "unit": "部门职责", "search": "检索结果", "conversation": "对话记录", "feedback": "反馈列表"}


def build_report(service: UIService, viewer, kind: str, *, question: str = "", unit: str = "", query: str = "",
                 k: int = 10, filters: Filters | None = None, conversation_id: str = "") -> Report:
    """The report of one export; raises PolicyKBError (a Chinese message) when it cannot be made."""
    if kind == "answer":
        return export.answer_report(service.ask(question).to_dict())
    if kind == "unit":
        return export.unit_report(service.library, unit)
    if kind == "search":
        if not (query or "").strip():
            raise ExportError("请输入要检索的关键词")
        hits = service.search_hits(query, k=k, filters=filters)
        return export.search_report(query, [h.to_dict() for h in hits])
    if kind == "conversation":
        if not conversation_id:
            raise ExportError("请先选择一个对话")
        logbook = desk(service).conversations
        conversation = logbook.get(conversation_id, viewer.name)
        return export.conversation_report(conversation.to_dict(), [t.to_dict() for t in logbook.turns(
            conversation_id, viewer.name)])
    if kind == "feedback":
        if not viewer.is_admin:
            raise ExportError("需要管理员权限才能导出反馈列表")
        return export.feedback_report(f.to_dict() for f in desk(service).feedback.entries(None, limit=10000))
    raise ExportError(f"未知的导出内容：{kind}")


def download(report: Report, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise ApiError(f"不支持的导出格式：{fmt}（可选 xlsx、docx）")
    name = report.filename(fmt)
    fallback = f"policykb-export.{fmt}"
    return Response(export.render(report, fmt), media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}",
        "Cache-Control": "no-store"})


class AnswerExportRequest(BaseModel):
    question: str = Field("", description="问题，最多 500 字", examples=["谁牵头探索建设赣南大数据交易中心？"])
    format: str = Field("xlsx", description="xlsx（Excel）或 docx（Word）", examples=["docx"])


_FILE = {200: {"description": "导出的文件（Content-Disposition 中带中文文件名）", "content": {
    MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
    MEDIA_TYPES["docx"]: {"schema": {"type": "string", "format": "binary"}}}}}
_FORMAT = Query("xlsx", description="xlsx（Excel 表格）或 docx（Word 文档）", examples=["xlsx"])


def make_export_router(service: UIService) -> APIRouter:
    """Mounted under /api by ui/api.py: /api/export/..."""
    router = APIRouter(prefix="/export", tags=["导出接口"])
    responses = {**_ERRORS, 401: {"description": "未登录且未提供有效的接口密钥"}, 403: {"description": "权限不足"},
                 404: {"description": "对话不存在或不属于当前用户"}, **_FILE}

    def made(request: Request, kind: str, fmt: str, admin: bool = False, **params) -> Response:
        viewer = viewer_of(request, admin=admin)
        if fmt not in FORMATS:  # before any work
            raise ApiError(f"不支持的导出格式：{fmt}（可选 xlsx、docx）")
        try:
            return download(build_report(service, viewer, kind, **params), fmt)
        except ConversationError as exc:
            raise ApiError(str(exc), 404) from exc
        except PolicyKBError as exc:
            raise ApiError(str(exc)) from exc

    @router.post("/answer", responses=responses, response_class=Response,
                 summary="导出一个问题的回答及其全部引用条款（.xlsx 或 .docx）")
    def answer(body: AnswerExportRequest, request: Request) -> Response:
        return made(request, "answer", body.format, question=body.question)

    @router.get("/unit", responses=responses, response_class=Response,
                summary="导出一个单位的职责清单：牵头的任务与参与的任务")
    def unit(request: Request, unit: str = Query(..., description="单位名称", examples=["市行政审批局"]),
             format: str = _FORMAT) -> Response:  # noqa: A002 - the query parameter's public name
        return made(request, "unit", format, unit=unit)

    @router.get("/search", responses=responses, response_class=Response,
                summary="导出检索结果（达到相关度门槛的条款）")
    def search(request: Request, q: str = Query(..., description="关键词或半句话", examples=["东数西算"]),
               k: int = Query(10, ge=1, le=50, description="最多条数（1–50）"),
               in_force: bool = Query(False, description="只要现行有效的条款"),
               format: str = _FORMAT) -> Response:  # noqa: A002
        return made(request, "search", format, query=q, k=k, filters=Filters(in_force_only=in_force))

    @router.get("/conversations/{conversation_id}", responses=responses, response_class=Response,
                summary="导出当前用户的一个对话的全部问答")
    def conversation(conversation_id: str, request: Request, format: str = _FORMAT) -> Response:  # noqa: A002
        return made(request, "conversation", format, conversation_id=conversation_id)

    @router.get("/feedback", responses=responses, response_class=Response, summary="导出反馈列表（管理员）")
    def feedback(request: Request, format: str = _FORMAT) -> Response:  # noqa: A002
        return made(request, "feedback", format, admin=True)

    return router
