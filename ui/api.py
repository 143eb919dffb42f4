"""Plain JSON endpoints for integrators: POST /api/ask and GET /api/search, plus the routers of
ui/api_conversations.py, ui/api_documents.py and ui/api_export.py (all documented in /openapi.json)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kb.errors import PolicyKBError
from kb.retriever import Filters
from ui.service import UIService

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field("", description="用中文提出的问题，最多 500 字", examples=["谁牵头探索建设赣南大数据交易中心？"])


class CitationOut(BaseModel):
    doc_id: str = Field(description="文件编号")
    doc_title: str = Field(description="文件标题")
    doc_number: str = Field(description="文号，例如 赣市发〔2022〕5号；没有文号时为空")
    clause_id: str = Field(description="条款编号 {doc_id}#{label}")
    label: str = Field(description="条款在文件中的编号，例如 三（五）3、附件 17")
    path: list[str] = Field(description="条款所在的各级标题，由外到内")
    text: str = Field(description="条款原文（文件全文的精确片段）")
    start: int = Field(description="原文起始位置")
    end: int = Field(description="原文结束位置")
    score: float = Field(description="排序分（融合 BM25 与向量检索，只用于排序，不是概率）")
    in_force: bool | None = Field(None, description="是否现行有效；文件未载明有效期时为 null")
    validity_note: str = Field("", description="有效期说明")


class SearchHitOut(CitationOut):
    similarity: float = Field(description="语义相似度：问题与条款的 e5 向量余弦（0–1）")
    coverage: float = Field(description="关键词覆盖：问题的二字词在条款中出现的比例（0–1）")


class AnswerOut(BaseModel):
    question: str
    found: bool = Field(description="文件中是否有答案；为 false 时 citations 为最接近的条款")
    intent: str = Field(description="问题类型：who_leads、unit_tasks、incentive、validity、target、condition、keyword")
    answer: str = Field(description="简短回答，先给事实，[1][2] 对应 citations 的序号")
    citations: list[CitationOut]
    warnings: list[str] = Field(description="提醒，例如条款所属政策已过期")
    curated: bool = Field(False, description="是否为管理员人工校正的回答（相同或几乎相同的问题优先返回）")
    answer_type: str = Field("", description="所问内容的类型：unit（单位）、money（金额）、rate（比例）、count（数量或目标）、"
                             "date（日期或期限）、yesno（是否）、conditions（条件）、materials（材料）、procedure（流程）、"
                             "definition（定义或范围）、list（清单）、keyword（关键词）；未经分析时为空")


class ErrorOut(BaseModel):
    error: str = Field(description="中文错误说明")


class ApiError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_ERRORS = {400: {"model": ErrorOut, "description": "请求有误（例如问题为空），error 为中文说明"}}


def make_router(service: UIService) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["问答接口"])

    @router.post("/ask", response_model=AnswerOut, responses=_ERRORS, summary="提问：返回简短回答与引用条款")
    def ask(body: AskRequest) -> dict:
        try:
            return service.ask(body.question).to_dict()
        except PolicyKBError as exc:
            raise ApiError(str(exc)) from exc

    @router.get("/search", response_model=list[SearchHitOut], responses=_ERRORS,
                summary="检索条款：返回达到相关度门槛的条款（没有相关条款时为空列表）")
    def search(
        q: str = Query("", description="关键词或半句话"),
        k: int = Query(5, ge=1, le=50, description="返回条数（1–50）"),
        doc: str | None = Query(None, description="只检索某个文件（doc_id、文号或标题）"),
        chapter: str | None = Query(None, description="只检索某一章节（标题中的文字）"),
        unit: str | None = Query(None, description="只检索涉及某单位的条款"),
        in_force: bool = Query(False, description="只检索现行有效的条款"),
        include_unknown: bool = Query(False, description="与 in_force 同用：也列出文件未载明有效期的条款"),
    ) -> list[dict]:
        doc_id = None
        if doc:
            found = service.library.document(doc)
            if found is None:
                raise ApiError(f"找不到文件：{doc}")
            doc_id = found.doc_id
        filters = Filters(doc_id=doc_id, chapter=chapter or None, unit=unit or None, in_force_only=in_force)
        try:
            return [h.to_dict() for h in service.search_hits(q, k=k, filters=filters, include_unknown=include_unknown)]
        except PolicyKBError as exc:
            raise ApiError(str(exc)) from exc

    from ui.api_conversations import make_conversation_router  # its models import this module's ApiError
    from ui.api_documents import make_documents_router
    from ui.api_export import make_export_router

    router.include_router(make_conversation_router(service))
    router.include_router(make_documents_router(service))
    router.include_router(make_export_router(service))
    return router


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query")]
        name = ".".join(loc)
        if name == "k":
            parts.append("参数 k 应为 1 到 50 之间的整数")
        elif err.get("type") == "json_invalid":
            parts.append("请求体不是有效的 JSON")
        elif name:
            parts.append(f"参数 {name} 格式不正确")
        else:
            parts.append('请求体应为 JSON 对象，例如 {"question": "谁牵头探索建设赣南大数据交易中心？"}')
    return "请求有误：" + "；".join(dict.fromkeys(parts))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _validation_message(exc)}, status_code=400)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in JSON API", exc_info=exc)
        return JSONResponse({"error": "服务器内部错误，请稍后重试或联系管理员。"}, status_code=500)
