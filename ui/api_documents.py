"""JSON endpoints for document management (included by ui/api.py): list, upload, remove, correct, disable.

Listing needs a 工作人员 or a read key; every change needs an administrator (a signed-in 管理员, whose
cookie session must send its CSRF token, or an admin-scope API key, which needs none). The work itself
is ui/docadmin.py, shared with the 文件管理 tab.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.parse
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ui.api import _ERRORS, ApiError
from ui.docadmin import DocAdminError, desk_of
from ui.service import MAX_UPLOAD_FILES, UIService, display_name

_DOC_EXAMPLE = {
    "doc_id": "d1a2b3c4d5e", "title": "赣州市数字经济高质量发展实施方案", "number": "赣市发〔2022〕5号",
    "issuer": "中共赣州市委 赣州市人民政府", "issue_date": "2022-03-01", "validity": "政策措施有效期2022—2023年",
    "valid_from": "2022-01-01", "valid_to": "2023-12-31", "source_format": "txt", "clauses": 212, "rows": 61,
    "status": "启用", "enabled": True, "stored_at": "2026-12-03T09:00:00", "uploader": "管理员甲",
    "uploaded_at": "2026-12-03T09:00:00+08:00", "warnings": [], "corrected": {"number": "赣市发〔2022〕5号"},
}


class DocumentOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [_DOC_EXAMPLE]}}

    doc_id: str = Field(description="文件编号")
    title: str = Field(description="标题（含管理员更正）")
    number: str = Field(description="文号；没有文号时为空")
    issuer: str = Field(description="发文机关")
    issue_date: str | None = Field(None, description="成文日期 年-月-日")
    validity: str = Field(description="有效期说明")
    valid_from: str | None = Field(None, description="有效期起 年-月-日")
    valid_to: str | None = Field(None, description="有效期止 年-月-日")
    source_format: str = Field(description="原文件格式：txt、pdf、docx、html、md")
    clauses: int = Field(description="条款数")
    rows: int = Field(description="表格行数（任务分工表等）")
    status: str = Field(description="启用 或 停用")
    enabled: bool = Field(description="是否启用；停用的文件不参与问答、检索和部门职责")
    stored_at: str = Field(description="本版本入库时间")
    uploader: str = Field(description="上传人（命令行导入或内置语料时为“命令行或内置语料”）")
    uploaded_at: str = Field(description="上传时间")
    warnings: list[str] = Field(description="解析提醒，例如未识别到文号")
    corrected: dict[str, str] = Field(description="管理员更正过的字段及其值")


class FileReportOut(BaseModel):
    name: str = Field(description="上传的文件名")
    ok: bool = Field(description="是否导入成功")
    doc_id: str = Field("", description="导入后的文件编号")
    title: str = Field("", description="识别出的标题")
    number: str = Field("", description="识别出的文号")
    clauses: int = Field(0, description="条款数")
    rows: int = Field(0, description="表格行数")
    replaced: bool = Field(False, description="是否替换了同一文件（同一文号或标题）的旧版本")
    warnings: list[str] = Field(default_factory=list, description="解析提醒")
    error: str = Field("", description="失败原因（中文），例如“不支持 .doc 格式：请先用 WPS/Word 另存为 .docx 后再上传”")


class BatchOut(BaseModel):
    id: int = Field(description="批次编号")
    at: str = Field(description="上传时间")
    actor: str = Field(description="上传人")
    via: str = Field(description="来源：页面、接口、重新解析")
    ok: int = Field(description="成功的文件数")
    failed: int = Field(description="失败的文件数")
    reports: list[FileReportOut] = Field(description="每个文件的导入报告")


class DocumentPatch(BaseModel):
    model_config = {"json_schema_extra": {"examples": [
        {"number": "赣市发〔2022〕5号", "valid_to": "2023-12-31"}, {"enabled": False}, {"restore": ["number"]}]}}

    enabled: bool | None = Field(None, description="false 停用，true 启用；不填则不变")
    title: str | None = Field(None, description="更正标题")
    number: str | None = Field(None, description="更正文号，例如 赣市发〔2022〕5号")
    issuer: str | None = Field(None, description="更正发文机关")
    issue_date: str | None = Field(None, description="更正成文日期，年-月-日（空字符串表示未载明）")
    valid_from: str | None = Field(None, description="更正有效期起，年-月-日")
    valid_to: str | None = Field(None, description="更正有效期止，年-月-日")
    restore: list[str] = Field(default_factory=list, description="撤销这些字段的更正，恢复为解析结果，例如 [\"number\"]")


class PatchOut(BaseModel):
    document: DocumentOut
    changes: dict[str, list[str]] = Field(description="更正的字段：[更正前, 更正后]")
    message: str = Field(description="中文说明")


class MessageOut(BaseModel):
    message: str = Field(description="中文说明")


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": f"multipart/form-data，字段 files 可重复（一次最多 {MAX_UPLOAD_FILES} 个文件）",
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": "政策文件：PDF、DOCX、TXT、MD、HTML"}}}}},
    }
}


def viewer_of(request: Request, admin: bool = False):
    """The request's viewer, refused (401/403) unless staff, or administrator when ``admin``."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is None:
        raise ApiError("请先登录，或在请求头 X-API-Key 中提供接口密钥", 401)
    if admin and not viewer.is_admin:
        raise ApiError("需要管理员权限：请以管理员身份登录，或使用 admin 范围的接口密钥", 403)
    if not viewer.is_staff:
        raise ApiError("需要工作人员或管理员权限", 403)
    return viewer


def _failed(exc: DocAdminError) -> ApiError:
    return ApiError(str(exc), exc.status)


def make_documents_router(service: UIService) -> APIRouter:
    """Mounted under /api by ui/api.py: /api/documents/..."""
    router = APIRouter(prefix="/documents", tags=["文件管理接口"])
    responses = {**_ERRORS, 401: {"description": "未登录且未提供有效的接口密钥"},
                 403: {"description": "权限不足（需要管理员），或会话请求缺少防跨站令牌"},
                 404: {"description": "文件不存在"}}

    @router.get("", response_model=list[DocumentOut], responses=responses,
                summary="列出全部文件（含已停用）：上传时间、上传人、状态、条款与表格行数、提醒")
    def listing(request: Request) -> list[dict]:
        viewer_of(request)
        return [r.to_dict() for r in desk_of(service).rows()]

    @router.get("/batches", response_model=list[BatchOut], responses=responses,
                summary="最近的上传批次及每个文件的导入报告（管理员）")
    def batches(request: Request, limit: int = 20) -> list[dict]:
        viewer_of(request, admin=True)
        return [b.to_dict() for b in desk_of(service).batches(max(1, min(int(limit), 200)))]

    @router.get("/{doc_id}", response_model=DocumentOut, responses=responses, summary="一个文件的信息")
    def one(doc_id: str, request: Request) -> dict:
        viewer_of(request)
        try:
            return desk_of(service).row(doc_id).to_dict()
        except DocAdminError as exc:
            raise _failed(exc) from exc

    @router.post("", response_model=BatchOut, responses={**responses, 413: {"description": "请求内容过大"}},
                 openapi_extra=_UPLOAD_BODY,
                 summary="上传文件（可多个）：读取、切分条款并重建索引；返回每个文件的导入报告")
    async def upload(request: Request) -> dict:
        viewer = viewer_of(request, admin=True)  # before reading the body
        form = await request.form(max_files=MAX_UPLOAD_FILES + 1)
        items = [f for f in form.getlist("files") if hasattr(f, "filename")]
        if not items:
            raise ApiError("没有收到文件：请用 multipart/form-data 的 files 字段上传")
        if len(items) > MAX_UPLOAD_FILES:
            raise ApiError(f"一次最多上传 {MAX_UPLOAD_FILES} 个文件")
        folder = Path(tempfile.mkdtemp(prefix="policykb-api-"))
        try:
            files = []
            for i, item in enumerate(items):
                name = display_name(urllib.parse.unquote(item.filename or ""))  # some clients %-encode
                dest = folder / f"{i:02d}{Path(name).suffix.lower()[:10]}"
                with dest.open("wb") as out:
                    shutil.copyfileobj(item.file, out)
                files.append((str(dest), name))
            batch = await run_in_threadpool(desk_of(service).upload, files, viewer.name, "接口")
        finally:
            await form.close()
            shutil.rmtree(folder, ignore_errors=True)
        return batch.to_dict()

    @router.patch("/{doc_id}", response_model=PatchOut, responses=responses,
                  summary="更正文件的标题、文号、发文机关、日期、有效期，或停用/启用文件")
    def patch(doc_id: str, body: DocumentPatch, request: Request) -> dict:
        viewer = viewer_of(request, admin=True)
        desk = desk_of(service)
        fields: dict[str, str | None] = {k: v for k, v in body.model_dump(exclude={"enabled", "restore"}).items()
                                         if v is not None}
        for name in body.restore:
            fields[name] = None
        messages = []
        try:
            changes = desk.correct(doc_id, fields, viewer.name) if fields else {}
            if changes:
                messages.append("已更正：" + "、".join(changes))
            if body.enabled is not None:
                messages.append(desk.set_enabled(doc_id, body.enabled, viewer.name))
            row = desk.row(doc_id)
        except DocAdminError as exc:
            raise _failed(exc) from exc
        return {"document": row.to_dict(), "changes": {k: list(v) for k, v in changes.items()},
                "message": "；".join(messages) or "未作改动"}

    @router.post("/{doc_id}/reparse", response_model=FileReportOut, responses=responses,
                 summary="用当前解析程序重新解析文件的原始副本（保留更正和停用状态）")
    def reparse(doc_id: str, request: Request) -> dict:
        viewer = viewer_of(request, admin=True)
        try:
            return desk_of(service).reparse(doc_id, viewer.name)
        except DocAdminError as exc:
            raise _failed(exc) from exc

    @router.delete("/{doc_id}", response_model=MessageOut, responses=responses, summary="从知识库删除文件")
    def remove(doc_id: str, request: Request) -> dict:
        viewer = viewer_of(request, admin=True)
        try:
            return {"message": desk_of(service).remove(doc_id, viewer.name)}
        except DocAdminError as exc:
            raise _failed(exc) from exc

    return router
