"""The `policykb` command line: a thin click layer over Library and Answerer."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import click

from kb.errors import PolicyKBError, QuestionError
from kb.library import Library, default_kb_dir

KB_HELP = "知识库目录（默认 $POLICYKB_HOME，否则 ./.policykb）"


def _dump(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=None))


def _today() -> date:
    """The clock validity is judged by; POLICYKB_TODAY=YYYY-MM-DD pins it (tests, audits)."""
    import os

    pinned = os.environ.get("POLICYKB_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def open_library(kb: str | None, *, fill: bool = True) -> Library:
    """Open the KB; a KB with no documents is built from the bundled corpus first."""
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

    return Answerer(library, Retriever(library, model or DEFAULT_MODEL))


@click.group(help="policykb：离线政策文件知识库与问答（条款切分、混合检索、引用原文）。")
@click.version_option(package_name="policykb")
def main() -> None:
    """policykb command group."""


@main.command(help="导入文件或文件夹（TXT/PDF/DOCX/HTML），逐个报告条款数、表格行数、警告和错误。")
@click.argument("paths", nargs=-1, required=True)
@click.option("--kb", default=None, help=KB_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出每个文件的结果")
def ingest(paths: tuple[str, ...], kb: str | None, as_json: bool) -> None:
    library = open_library(kb, fill=False)
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
    if any(r.ok for r in reports):
        _answerer(library).retriever.index()  # indexes follow the store right away
    if not all(r.ok for r in reports):
        sys.exit(1)


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
def docs(kb: str | None, as_json: bool) -> None:
    library = open_library(kb)
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
def show(doc_id: str, kb: str | None, as_json: bool) -> None:
    library = open_library(kb)
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
def search(query, kb, as_json, batch, top, doc, chapter, unit, in_force, model) -> None:
    from kb.retriever import Filters

    library = open_library(kb)
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
def ask(question, kb, as_json, batch, model) -> None:
    from kb.answerer import timed_ask

    library = open_library(kb)
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
def units(kb: str | None, as_json: bool) -> None:
    library = open_library(kb)
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
def serve(kb: str | None, host: str, port: int, anonymous: bool | None) -> None:
    from ui.app import serve as run_server

    library = open_library(kb)
    try:
        run_server(library, host=host, port=port, anonymous=anonymous)
    except PolicyKBError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group(help="管理登录用户：管理员（文件、用户、更正、审计日志）与工作人员（提问、检索、反馈、历史）。")
def user() -> None:
    """policykb user group."""


def _accounts(kb: str | None):
    from kb.accounts import Accounts
    from kb.audit import AuditLog

    library = open_library(kb, fill=False)
    path = library.kb_dir / "kb.sqlite"
    return Accounts(path), AuditLog(path)


@user.command(name="add", help="添加用户；密码从提示输入（不回显），或用 --password-stdin 从标准输入读取一行。")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "staff"]), default="staff", show_default=True,
              help="角色：admin 管理员，staff 工作人员")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行），便于脚本使用")
@click.option("--kb", default=None, help=KB_HELP)
def user_add(name: str, role: str, password_stdin: bool, kb: str | None) -> None:
    from kb.accounts import AccountError

    accounts, audit = _accounts(kb)
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
def user_list(kb: str | None, as_json: bool) -> None:
    accounts, _ = _accounts(kb)
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
def user_remove(name: str, kb: str | None) -> None:
    from kb.accounts import AccountError

    accounts, audit = _accounts(kb)
    try:
        removed = accounts.remove(name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record("命令行", "user_remove", removed.name, removed.role_text)
    click.echo(f"已删除用户 {removed.name}")


@main.group(help="管理接口密钥（HTTP API）：read 只读（提问、检索、文件列表、导出），admin 管理（另可上传、删除、更正、停用文件）。")
def apikey() -> None:
    """policykb apikey group (kb/apikeys.py)."""


def _apikeys(kb: str | None):
    from kb.apikeys import ApiKeys
    from kb.audit import AuditLog

    path = open_library(kb, fill=False).kb_dir / "kb.sqlite"
    return ApiKeys(path), AuditLog(path)


@apikey.command(name="add", help="创建密钥；密钥只显示这一次（库中只保存其哈希），请立即妥善保存。")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "admin"]), default="read", show_default=True,
              help="权限范围：read 只读，admin 管理")
@click.option("--kb", default=None, help=KB_HELP)
def apikey_add(name: str, scope: str, kb: str | None) -> None:
    from kb.apikeys import ApiKeyError

    keys, audit = _apikeys(kb)
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
def apikey_list(kb: str | None, as_json: bool) -> None:
    keys, _ = _apikeys(kb)
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
def apikey_revoke(name: str, kb: str | None) -> None:
    from kb.apikeys import ApiKeyError

    keys, audit = _apikeys(kb)
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
def export_cmd(kind: str, text: str, fmt: str, output: str | None, top: int, kb: str | None) -> None:
    from kb import export
    from kb.feedback import FeedbackLog

    library = open_library(kb)
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


@main.command(name="eval", help="在已提交的金标问题集上评测，输出指标表并与基线比较。")
@click.option("--kb", default=None, help="评测用知识库目录（默认 eval/.cache/kb，按语料和代码变化自动重建）")
@click.option("--split", default="all", type=click.Choice(["dev", "test", "all"]), show_default=True, help="评测哪一部分问题：dev（调参用）、test（留出）或 all")
@click.option("--write", is_flag=True, help="把结果写入 eval/results/")
def eval_cmd(kb: str | None, split: str, write: bool) -> None:
    from eval.run_eval import main as run_eval

    sys.exit(run_eval(kb_dir=kb, split=split, write=write))


if __name__ == "__main__":
    main()
