"""The `policykb` command line: a thin click layer over Library and Answerer."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import click

from kb.errors import PolicyKBError, QuestionError
from kb.library import Library, default_kb_dir

KB_HELP = "知识库目录（默认 $POLICYKB_HOME，否则 ./.policykb）"
DB_HELP = ("共享的 PostgreSQL + pgvector 数据库地址 postgresql://用户:密码@主机/库名（默认 $POLICYKB_DATABASE；"
           "不设则用本机内嵌索引）；需 pip install -e '.[pg]'")
PG_INSTALL = "请先安装: pip install -e '.[pg]'"
RAY_INSTALL = "请先安装: pip install -e '.[ray]'"


def database_option(command):
    """``--database URL`` on every command that opens a KB."""
    return click.option("--database", default=None, metavar="URL", help=DB_HELP)(command)


def use_database(database: str | None) -> str | None:
    """The PostgreSQL URL this run uses (``--database``, else $POLICYKB_DATABASE), checked now: psycopg is
    installed and the server answers. It becomes the process's setting, so that every part opened later
    (the UI's retrievers included) sees the same one. None: the embedded default."""
    from kb.sidedb import DATABASE_ENV

    url = database or os.environ.get(DATABASE_ENV) or None
    if not url:
        return None
    from indexing.backend import redact_url

    shown = redact_url(url)
    if not url.startswith(("postgresql://", "postgres://")):
        raise click.ClickException(f"不支持的数据库地址：{shown}（应以 postgresql:// 开头）")
    try:
        import psycopg
    except ImportError as exc:
        raise click.ClickException(f"使用 PostgreSQL 数据库需要 psycopg，{PG_INSTALL}") from exc
    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        for secret in _passwords(url):
            reason = reason.replace(secret, "***")
        raise click.ClickException(f"无法连接数据库 {shown}：{reason}") from exc
    os.environ[DATABASE_ENV] = url
    return url


def _passwords(url: str) -> list[str]:
    """The password(s) written in a URL, so that no message repeats them."""
    from urllib.parse import parse_qs, unquote, urlsplit

    try:
        parts = urlsplit(url)
        found = [unquote(parts.password or ""), *parse_qs(parts.query).get("password", [])]
    except ValueError:
        return []
    return [p for p in found if p]


def _dump(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=None))


def _today() -> date:
    """The clock validity is judged by; POLICYKB_TODAY=YYYY-MM-DD pins it (tests, audits)."""
    pinned = os.environ.get("POLICYKB_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def open_library(kb: str | None, *, fill: bool = True, database: str | None = None) -> Library:
    """Open the KB (on PostgreSQL when ``database`` or $POLICYKB_DATABASE says so); a KB with no documents
    is built from the bundled corpus first."""
    use_database(database)
    try:
        library = Library(default_kb_dir(kb), today=_today)
    except PolicyKBError as exc:
        raise click.ClickException(str(exc)) from exc
    if fill and library.is_empty():
        reports = library.ensure_bundled()
        if reports:
            click.echo(f"知识库为空，已从内置文件建立：{sum(r.ok for r in reports)} 个文件", err=True)
    return library


def _answerer(library: Library, model: str | None = None):
    from kb.answerer import Answerer
    from kb.retriever import DEFAULT_MODEL, Retriever

    return Answerer(library, Retriever(library, model or DEFAULT_MODEL, database=_database()))


def _database() -> str | None:
    from kb.sidedb import DATABASE_ENV

    return os.environ.get(DATABASE_ENV) or None


@click.group(help="policykb：离线政策文件知识库与问答（条款切分、混合检索、引用原文）。")
@click.version_option(package_name="policykb")
def main() -> None:
    """policykb command group."""


@main.command(help="导入文件或文件夹（TXT/PDF/DOCX/HTML），逐个报告条款数、表格行数、警告和错误。")
@click.argument("paths", nargs=-1, required=True)
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出每个文件的结果")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="批量导入：在 N 个 Ray 工作进程上解析与嵌入（本机集群只监听 127.0.0.1），由本进程统一写入；"
                   "重复导入只嵌入新文本。N>1 需 pip install -e '.[ray]'")
@click.option("--ray", "ray_address", default=None, metavar="ADDRESS",
              help="批量导入到已有的 Ray 集群（如 ray://主机:10001），需 pip install -e '.[ray]'")
@database_option
def ingest(paths: tuple[str, ...], kb: str | None, as_json: bool, workers: int | None, ray_address: str | None,
           database: str | None) -> None:
    library = open_library(kb, fill=False, database=database)
    if workers is not None or ray_address:
        reports = _bulk_ingest(library, paths, workers or 1, ray_address)
    else:
        reports = library.ingest(paths)
    if not reports:
        raise click.ClickException("没有找到可导入的文件（支持 .txt .md .pdf .docx .html .htm）")
    for r in reports:
        if as_json:
            _dump(r.to_dict())
        elif r.ok:
            note = "（已替换同一文件的旧版本）" if r.replaced else ""
            click.echo(f"{r.path}: 条款 {r.clauses}，表格行 {r.rows}，文件 {r.doc_id} {r.number} {r.title}{note}")
            for w in r.warnings:
                click.echo(f"  警告：{w}")
        else:
            click.echo(f"{r.path}: 错误：{r.error}", err=True)
    if any(r.ok for r in reports) and workers is None and not ray_address:
        _answerer(library).retriever.index()  # indexes follow the store right away (bulk ingest built it)
    if not all(r.ok for r in reports):
        sys.exit(1)


def _bulk_ingest(library: Library, paths: tuple[str, ...], workers: int, address: str | None) -> list:
    """kb.bulk on Ray workers (or in this process for one worker); the index is built before it returns."""
    import kb.retriever
    from kb.library import expand_paths

    if workers > 1 or address:
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            raise click.ClickException(f"批量导入（--workers/--ray）需要 Ray，{RAY_INSTALL}") from exc
    files = expand_paths(paths)
    if not files:
        return []
    from kb.bulk import bulk_ingest

    try:
        report, _ = bulk_ingest(library, files, workers=workers, address=address, model=kb.retriever.DEFAULT_MODEL,
                                database=_database(), progress=lambda text: click.echo(text, err=True))
    except ConnectionError as exc:
        raise click.ClickException(f"无法连接 Ray 集群 {address or '（本机）'}：{exc}") from exc
    click.echo(f"批量导入：{report.workers} 个工作进程，条款 {report.clauses}，新嵌入 {report.embedded_new} 段，"
               f"缓存 {report.cached} 段；解析 {report.parse_s:.1f} 秒，嵌入 {report.embed_s:.1f} 秒，"
               f"建索引 {report.index_s:.1f} 秒", err=True)
    return report.reports


def _doc_summary(library: Library, d) -> dict:
    clauses, rows = library.store.counts(d.doc_id)
    return {
        "doc_id": d.doc_id, "title": d.title, "number": d.number, "issuer": d.issuer, "issue_date": d.issue_date,
        "source_format": d.source_format, "source_path": d.source_path,
        "validity": [{"scope": v.scope, "start": v.start_date, "end": v.end_date, "text": v.text} for v in d.validity],
        "clauses": clauses, "task_rows": rows,
    }


@main.command(help="列出已收录的文件：编号、标题、文号、发文机关、有效期、条款数与表格行数。")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@database_option
def docs(kb: str | None, as_json: bool, database: str | None) -> None:
    library = open_library(kb, database=database)
    items = [_doc_summary(library, d) for d in library.documents()]
    if as_json:
        _dump(items)
        return
    for it in items:
        period = "；".join(f"{v['scope']} {v['start'] or '?'}至{v['end'] or '?'}" for v in it["validity"]) or "未载明"
        click.echo(f"{it['doc_id']}  {it['number'] or '（无文号）'}  {it['title']}  发文：{it['issuer'] or '未识别'}  "
                   f"有效期：{period}  条款 {it['clauses']}  表格行 {it['task_rows']}")


@main.command(help="显示一个文件的条款树（DOC_ID 也可以是文号或标题）。")
@click.argument("doc_id")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 {document, clauses, task_rows}")
@database_option
def show(doc_id: str, kb: str | None, as_json: bool, database: str | None) -> None:
    library = open_library(kb, database=database)
    doc = library.document(doc_id)
    if doc is None:
        raise click.ClickException(f"找不到文件：{doc_id}（用 policykb docs 查看已收录文件）")
    clauses = sorted(library.clauses(doc.doc_id), key=lambda c: c.seq)
    if as_json:
        _dump({"document": _doc_summary(library, doc), "clauses": [c.to_dict() for c in clauses],
               "task_rows": [r.to_dict() for r in library.task_rows(doc.doc_id)]})
        return
    click.echo(f"{doc.title}  {doc.number}")
    for c in clauses:
        indent = "  " * (c.level - 1)
        units = f"  〔牵头：{'、'.join(c.lead_units)}〕" if c.lead_units else ""
        click.echo(f"{indent}[{c.label}] {c.text.replace(chr(9), ' ')[:60]}{units}")


@main.command(help="关键词检索条款，返回带引用信息的排序结果。")
@click.argument("query", required=False)
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出引用对象")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False), help="JSONL 文件，每行 {id, question}")
@click.option("-k", "--top", default=5, show_default=True, help="返回条数")
@click.option("--doc", default=None, help="只检索某个文件（doc_id 或文号）")
@click.option("--chapter", default=None, help="只检索某一章节（标题中的文字）")
@click.option("--unit", default=None, help="只检索涉及某单位的条款")
@click.option("--in-force", is_flag=True, help="只检索现行有效的条款")
@click.option("--model", default=None, help="稠密检索模型：e5（默认）、use、st:/模型目录")
@database_option
def search(query, kb, as_json, batch, top, doc, chapter, unit, in_force, model, database) -> None:
    from kb.retriever import Filters

    library = open_library(kb, database=database)
    answerer = _answerer(library, model)
    doc_id = None
    if doc:
        found = library.document(doc)
        if found is None:
            raise click.ClickException(f"找不到文件：{doc}")
        doc_id = found.doc_id
    filters = Filters(doc_id=doc_id, chapter=chapter, unit=unit, in_force_only=in_force)
    if batch:
        for item in _read_batch(batch):
            start = time.perf_counter()
            try:
                cits = [c.to_dict() for c in answerer.search(item["question"], k=top, filters=filters)]
            except QuestionError as exc:
                cits = []
                item["error"] = str(exc)
            out = {"id": item.get("id"), "question": item["question"], "citations": cits,
                   "latency_ms": round((time.perf_counter() - start) * 1000, 2)}
            if "error" in item:
                out["error"] = item["error"]
            _dump(out)
        return
    if not query:
        raise click.UsageError("请给出检索词，或用 --batch FILE.jsonl")
    try:
        citations = answerer.search(query, k=top, filters=filters)
    except QuestionError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _dump([c.to_dict() for c in citations])
        return
    for i, c in enumerate(citations, 1):
        click.echo(f"[{i}] {c.doc_number or c.doc_title} {c.label}（{c.score:.3f}）{c.validity_note}")
        click.echo(f"    {c.text.replace(chr(9), ' ')[:160]}")


def _read_batch(path: str) -> list[dict]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{path} 第 {n} 行不是有效的 JSON：{exc.msg}") from exc
        if not isinstance(item, dict) or "question" not in item:
            raise click.ClickException(f"{path} 第 {n} 行缺少 question 字段")
        items.append(item)
    return items


@main.command(help="提一个问题，得到先给事实、再引原文条款的回答。")
@click.argument("question", required=False)
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出回答对象")
@click.option("--batch", type=click.Path(exists=True, dir_okay=False), help="JSONL 文件，每行 {id, question}")
@click.option("--model", default=None, help="稠密检索模型：e5（默认）、use、st:/模型目录")
@database_option
def ask(question, kb, as_json, batch, model, database) -> None:
    from kb.answerer import timed_ask

    library = open_library(kb, database=database)
    answerer = _answerer(library, model)
    if batch:
        for item in _read_batch(batch):
            try:
                answer, ms = timed_ask(answerer, item["question"])
                out = answer.to_dict()
            except QuestionError as exc:
                out, ms = {"question": item["question"], "found": False, "intent": "", "answer": str(exc),
                           "citations": [], "warnings": [], "error": str(exc)}, 0.0
            _dump({"id": item.get("id"), **out, "latency_ms": round(ms, 2)})
        return
    if question is None:
        raise click.UsageError("请给出问题，或用 --batch FILE.jsonl")
    try:
        answer = answerer.ask(question)
    except QuestionError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _dump(answer.to_dict())
        return
    click.echo(answer.answer)
    for i, c in enumerate(answer.citations, 1):
        click.echo(f"[{i}] 《{c.doc_title}》{c.doc_number} {c.label} {' > '.join(c.path)}")
        click.echo(f"    {c.text.replace(chr(9), ' ')[:200]}")
    for w in answer.warnings:
        click.echo(f"注意：{w}")


@main.command(help="列出每个单位牵头和参与的任务。")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@database_option
def units(kb: str | None, as_json: bool, database: str | None) -> None:
    library = open_library(kb, database=database)
    table = library.units()
    data = {
        unit: {role: [{"clause_id": c.clause_id, "label": c.label, "doc_id": c.doc_id, "title": c.title} for c in cs]
               for role, cs in roles.items()}
        for unit, roles in sorted(table.items(), key=lambda kv: -len(kv[1]["lead"]) - len(kv[1]["shared"]))
    }
    if as_json:
        _dump(data)
        return
    for unit, roles in data.items():
        click.echo(f"{unit}：牵头 {len(roles['lead'])} 项，参与 {len(roles['shared'])} 项")


@main.command(help="启动 Gradio 界面（含登录页 /login），并提供 POST /api/ask 与 GET /api/search。")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；本机以外的地址（如 0.0.0.0）要求至少一位管理员")
@click.option("--port", default=7860, show_default=True, help="端口")
@click.option("--anonymous/--no-anonymous", default=None,
              help="允许未登录访客只读提问与检索（默认取 $POLICYKB_ANONYMOUS，否则不允许）")
@database_option
def serve(kb: str | None, host: str, port: int, anonymous: bool | None, database: str | None) -> None:
    from ui.app import serve as run_server

    library = open_library(kb, database=database)
    try:
        run_server(library, host=host, port=port, anonymous=anonymous)
    except PolicyKBError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group(help="管理登录用户：管理员（文件、用户、更正、审计日志）与工作人员（提问、检索、反馈、历史）。")
def user() -> None:
    """policykb user group."""


def _accounts(kb: str | None, database: str | None = None):
    from kb.accounts import Accounts
    from kb.audit import AuditLog

    library = open_library(kb, fill=False, database=database)
    path = library.kb_dir / "kb.sqlite"
    return Accounts(path), AuditLog(path)


@user.command(name="add", help="添加用户；密码从提示输入（不回显），或用 --password-stdin 从标准输入读取一行。")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "staff"]), default="staff", show_default=True,
              help="角色：admin 管理员，staff 工作人员")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行），便于脚本使用")
@click.option("--kb", default=None, help=KB_HELP)
@database_option
def user_add(name: str, role: str, password_stdin: bool, kb: str | None, database: str | None) -> None:
    from kb.accounts import AccountError

    accounts, audit = _accounts(kb, database)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        created = accounts.add(name, password, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("命令行", "user_add", created.name, created.role_text)
    click.echo(f"已添加用户 {created.name}（{created.role_text}）")


@user.command(name="list", help="列出用户：用户名、角色、创建时间。")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@database_option
def user_list(kb: str | None, as_json: bool, database: str | None) -> None:
    accounts, _ = _accounts(kb, database)
    users = accounts.users()
    if as_json:
        _dump([{"name": u.name, "role": u.role, "created_at": u.created_at} for u in users])
        return
    if not users:
        click.echo("还没有用户。创建第一位管理员：policykb user add 用户名 --role admin")
    for u in users:
        click.echo(f"{u.name}  {u.role_text}  创建于 {u.created_at}")


@user.command(name="remove", help="删除用户（其登录随即失效）。")
@click.argument("name")
@click.option("--kb", default=None, help=KB_HELP)
@database_option
def user_remove(name: str, kb: str | None, database: str | None) -> None:
    from kb.accounts import AccountError

    accounts, audit = _accounts(kb, database)
    try:
        removed = accounts.remove(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("命令行", "user_remove", removed.name, removed.role_text)
    click.echo(f"已删除用户 {removed.name}")


@main.group(help="管理接口密钥（HTTP API）：read 只读（提问、检索、文件列表、导出），admin 管理（另可上传、删除、更正、停用文件）。")
def apikey() -> None:
    """policykb apikey group (kb/apikeys.py)."""


def _apikeys(kb: str | None, database: str | None = None):
    from kb.apikeys import ApiKeys
    from kb.audit import AuditLog

    path = open_library(kb, fill=False, database=database).kb_dir / "kb.sqlite"
    return ApiKeys(path), AuditLog(path)


@apikey.command(name="add", help="创建密钥；密钥只显示这一次（库中只保存其哈希），请立即妥善保存。")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "admin"]), default="read", show_default=True,
              help="权限范围：read 只读，admin 管理")
@click.option("--kb", default=None, help=KB_HELP)
@database_option
def apikey_add(name: str, scope: str, kb: str | None, database: str | None) -> None:
    from kb.apikeys import ApiKeyError

    keys, audit = _apikeys(kb, database)
    try:
        created, secret = keys.add(name, scope, "命令行")
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("命令行", "apikey_add", created.name, created.scope_text)
    click.echo(f"已创建密钥 {created.name}（{created.scope_text}）：\n{secret}\n"
               "该密钥只显示这一次。调用接口时放在请求头 X-API-Key 中（或 Authorization: Bearer 密钥）。")


@apikey.command(name="list", help="列出密钥：名称、权限、前缀、创建与最近使用时间、是否已吊销（不显示密钥本身）。")
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@database_option
def apikey_list(kb: str | None, as_json: bool, database: str | None) -> None:
    keys, _ = _apikeys(kb, database)
    found = keys.keys()
    if as_json:
        _dump([k.to_dict() for k in found])
        return
    if not found:
        click.echo("还没有接口密钥。创建：policykb apikey add 名称 --scope read")
    for k in found:
        state = f"已吊销（{k.revoked_at}）" if k.revoked_at else "有效"
        click.echo(f"{k.name}  {k.scope_text}  {k.prefix}…  创建于 {k.created_at}  "
                   f"最近使用 {k.last_used_at or '—'}  {state}")


@apikey.command(name="revoke", help="吊销密钥：此后用它的请求一律被拒绝。")
@click.argument("name")
@click.option("--kb", default=None, help=KB_HELP)
@database_option
def apikey_revoke(name: str, kb: str | None, database: str | None) -> None:
    from kb.apikeys import ApiKeyError

    keys, audit = _apikeys(kb, database)
    try:
        revoked = keys.revoke(name)
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("命令行", "apikey_revoke", revoked.name, revoked.scope_text)
    click.echo(f"已吊销密钥 {revoked.name}")


@main.command(name="export", help="导出为 Excel（.xlsx）或 Word（.docx）：answer 回答及引用条款、unit 单位职责清单、"
              "search 检索结果、feedback 反馈列表。例如：policykb export unit 单位名称 --format docx")
@click.argument("kind", type=click.Choice(["answer", "unit", "search", "feedback"]))
@click.argument("text", required=False, default="")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx"]), default="xlsx", show_default=True,
              help="文件格式：xlsx（Excel）或 docx（Word）")
@click.option("-o", "--output", default=None, help="输出文件路径（默认在当前目录自动命名）")
@click.option("-k", "--top", default=10, show_default=True, help="检索结果条数（search）")
@click.option("--kb", default=None, help=KB_HELP)
@database_option
def export_cmd(kind: str, text: str, fmt: str, output: str | None, top: int, kb: str | None,
               database: str | None) -> None:
    from kb import export
    from kb.feedback import FeedbackLog

    library = open_library(kb, database=database)
    if kind in ("answer", "unit", "search") and not text.strip():
        raise click.UsageError({"answer": "请给出问题", "unit": "请给出单位名称", "search": "请给出检索词"}[kind])
    try:
        if kind == "answer":
            report = export.answer_report(_answerer(library).ask(text).to_dict())
        elif kind == "unit":
            report = export.unit_report(library, text)
        elif kind == "search":
            report = export.search_report(text, [c.to_dict() for c in _answerer(library).search(text, k=top)])
        else:
            report = export.feedback_report(f.to_dict() for f in FeedbackLog(library.kb_dir / "kb.sqlite").entries(
                None, limit=100000))
    except PolicyKBError as exc:
        raise click.ClickException(str(exc)) from exc
    target = Path(output) if output else Path(report.filename(fmt))
    target.write_bytes(export.render(report, fmt))
    click.echo(f"已导出：{target}")


@main.command(help="把 SQLite 知识库（KB_DIR/kb.sqlite 及其上传原件）整体迁移到 PostgreSQL 数据库，并建立、发布其检索索引"
              "（沿用该目录中同一模型的向量）。全部成功才生效，失败时目标数据库不变；目标已有内容时需加 --replace。")
@click.option("--from", "source", required=True, metavar="KB_DIR", help="要迁移的知识库目录（含 kb.sqlite）")
@click.option("--database", default=None, metavar="URL",
              help="目标 PostgreSQL + pgvector 数据库 postgresql://用户:密码@主机/库名（默认 $POLICYKB_DATABASE）")
@click.option("--replace", is_flag=True, help="目标数据库已有知识库时，用 KB_DIR 的内容整体替换（原有内容删除）")
@click.option("--model", default=None, help="稠密检索模型：e5（默认）、use、st:/模型目录")
def migrate(source: str, database: str | None, replace: bool, model: str | None) -> None:
    from kb.sidedb import DATABASE_ENV

    url = use_database(database)
    if not url:
        raise click.ClickException(f"请用 --database 或 ${DATABASE_ENV} 指定目标 PostgreSQL 数据库")
    from indexing.store import StaleIndexError
    from kb.migrate import migrate as run

    try:
        report = run(source, url, replace=replace, model=model, progress=lambda text: click.echo(text, err=True))
    except (PolicyKBError, StaleIndexError) as exc:
        message = str(exc)
        for secret in _passwords(url):
            message = message.replace(secret, "***")
        raise click.ClickException(message) from exc
    tables = "，".join(f"{name} {count}" for name, count in report.rows.items() if count)
    click.echo(f"已迁移 {report.source} 到 {report.target}：{tables}；原件 {report.originals} 个；"
               f"检索索引 {report.passages} 段（沿用向量 {report.reused}，新嵌入 {report.embedded_new}）；"
               f"用时 {report.seconds:.1f} 秒")


@main.command(name="eval", help="在已提交的金标问题集上评测，输出指标表并与基线比较。")
@click.option("--kb", default=None, help="评测用知识库目录（默认 eval/.cache/kb，按语料和代码变化自动重建）")
@click.option("--split", default="all", type=click.Choice(["dev", "test", "all"]), show_default=True, help="评测哪一部分问题：dev（调参用）、test（留出）或 all")
@click.option("--write", is_flag=True, help="把结果写入 eval/results/")
def eval_cmd(kb: str | None, split: str, write: bool) -> None:
    from eval.run_eval import main as run_eval

    sys.exit(run_eval(kb_dir=kb, split=split, write=write))


if __name__ == "__main__":
    main()
