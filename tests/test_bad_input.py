"""Bad files and bad questions: each gets a clear error (or a valid answer) and the KB is unchanged.

Every bad file goes through both `Library.ingest` (report ok=False, error names the file and the
problem) and the CLI (`policykb ingest`: non-zero exit, message names the file); afterwards the KB has
the same documents, the same clause count and the same store generation.
"""

from __future__ import annotations

import io
import random
import shutil
import sqlite3
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.answerer import MAX_QUESTION_CHARS, Answerer
from kb.cli import main as cli
from kb.errors import QuestionError
from kb.library import Library
from kb.models import Answer, Citation
from kb.readers import DEFAULT_MAX_BYTES

REPO = Path(__file__).resolve().parents[1]
GANZHOU_TXT = REPO / "corpus" / "ganzhou_digital_economy_2022.txt"
GANZHOU_PDF = REPO / "corpus" / "ganzhou_digital_economy_2022.pdf"
GANZHOU_NUMBER = "赣市发〔2022〕5号"
GANZHOU_TITLE = "关于进一步做优做强数字经济的实施方案"


# ---------------------------------------------------------------------------------------------- KB
# Building a KB embeds every clause; the session builds one (conftest.py `built_kb_dir`), this module
# reads a copy of it, and tests that write copy that again.




@pytest.fixture(scope="module")
def shared_answerer(kb_template: Path) -> Answerer:
    """Read-only: questions never write to the KB."""
    return Answerer(Library(kb_template))


@pytest.fixture
def kb_dir(kb_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(kb_template, target)
    return target


def snapshot(kb: Path | Library) -> dict:
    """What must not move when a bad file is offered."""
    library = kb if isinstance(kb, Library) else Library(kb)
    store = library.store
    snap = {
        "documents": sorted((d.doc_id, d.sha256) for d in store.documents()),
        "clauses": len(store.clauses()),
        "task_rows": len(store.task_rows()),
        "generation": store.generation(),
    }
    if not isinstance(kb, Library):
        store.close()
    return snap


def run_cli(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# ----------------------------------------------------------------------------------- bad files


def _pdf_bytes(writer) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_empty(d: Path) -> Path:
    p = d / "empty.txt"
    p.write_bytes(b"")
    return p


def make_blank(d: Path) -> Path:
    p = d / "blank.txt"
    p.write_bytes(b" \r\n\t\n\xe3\x80\x80\n" * 50)  # spaces, newlines and ideographic spaces
    return p


def make_truncated_pdf(d: Path) -> Path:
    data = GANZHOU_PDF.read_bytes()
    p = d / "truncated.pdf"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_truncated_pdf_with_eof(d: Path) -> Path:
    """Cut in half, then an end marker glued on: the xref table points into nowhere."""
    data = GANZHOU_PDF.read_bytes()
    p = d / "corrupt_eof.pdf"
    p.write_bytes(data[: len(data) // 2] + b"\n%%EOF\n")
    return p


def make_garbage_pdf(d: Path) -> Path:
    p = d / "garbage.pdf"
    p.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(8000) + b"\n%%EOF\n")
    return p


def make_encrypted_pdf(d: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(GANZHOU_PDF))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    p = d / "encrypted.pdf"
    p.write_bytes(_pdf_bytes(writer))
    return p


def make_scanned_pdf(d: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    p = d / "scanned.pdf"
    p.write_bytes(_pdf_bytes(writer))
    return p


def _docx_zip(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_zip_bomb_docx(d: Path) -> Path:
    """150 MB of one repeated byte inside word/document.xml: ~150 KB on disk."""
    p = d / "bomb.docx"
    p.write_bytes(_docx_zip(b"<w:document>" + b"A" * (150 * 1024 * 1024) + b"</w:document>"))
    return p


def make_ratio_bomb_docx(d: Path) -> Path:
    """Under the per-member size cap, but compressed about 1000:1."""
    p = d / "ratio_bomb.docx"
    p.write_bytes(_docx_zip(b"<w:document>" + b"\0" * (20 * 1024 * 1024) + b"</w:document>"))
    return p


def make_lying_bomb_docx(d: Path) -> Path:
    """The zip directory declares 1000 bytes for word/document.xml; the stream inflates to 30 MB."""
    data = bytearray(_docx_zip(b"<w:document>" + b"B" * (30 * 1024 * 1024) + b"</w:document>"))
    name = b"word/document.xml"
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        offset = zf.getinfo(name.decode()).header_offset
    struct.pack_into("<I", data, offset + 22, 1000)  # local header: uncompressed size
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:  # central directory entries
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", data, pos + 24, 1000)
        pos += 4
    p = d / "lying_bomb.docx"
    p.write_bytes(bytes(data))
    return p


def make_many_members_docx(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
        for i in range(5001):
            zf.writestr(f"word/media/{i}.bin", b"")
    p = d / "many_members.docx"
    p.write_bytes(buf.getvalue())
    return p


def make_not_zip_docx(d: Path) -> Path:
    p = d / "not_a_zip.docx"
    p.write_bytes("这不是一个 Word 文档，只是改了扩展名的文本。\n".encode() * 20)
    return p


def make_broken_zip_docx(d: Path) -> Path:
    data = _docx_zip(b"<w:document>" + "正文".encode() * 1000 + b"</w:document>")
    p = d / "broken_zip.docx"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_nav_only_html(d: Path) -> Path:
    html = (
        "<!DOCTYPE html><html><head><title>赣州市人民政府</title>"
        "<script>var notice='一、总体要求 二、重点任务';</script><style>body{color:red}</style></head>"
        "<body><nav><a href='/'>首页</a> | <a href='/zwgk'>政务公开</a> | <a href='/hd'>互动交流</a></nav>"
        "<script>document.write('（一）加快数字基础设施建设');</script></body></html>"
    )
    p = d / "nav_only.html"
    p.write_bytes(html.encode("utf-8"))
    return p


def make_empty_body_html(d: Path) -> Path:
    p = d / "empty_body.html"
    p.write_bytes(b"<html><head><title>x</title></head><body>   </body></html>")
    return p


def make_binary_txt(d: Path) -> Path:
    p = d / "binary.txt"
    p.write_bytes(random.Random(1).randbytes(8192))
    return p


def make_high_bytes_txt(d: Path) -> Path:
    """Random bytes without NUL (0x80-0xff): decodes as 'something' in GB18030, but is noise."""
    rng = random.Random(2)
    p = d / "high_bytes.txt"
    p.write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(8192)))
    return p


def make_png_txt(d: Path) -> Path:
    p = d / "scan.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(2000))
    return p


def make_old_doc(d: Path) -> Path:
    p = d / "old_word.doc"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(4).randbytes(4000))
    return p


BAD_FILES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    # case: (maker, words of which at least one must be in the error message: the problem, named)
    "empty": (make_empty, ("为空",)),
    "blank": (make_blank, ("为空", "空白")),
    "truncated_pdf": (make_truncated_pdf, ("不完整", "截断", "损坏")),
    "truncated_pdf_with_eof": (make_truncated_pdf_with_eof, ("不完整", "损坏")),
    "garbage_pdf": (make_garbage_pdf, ("损坏", "不完整")),
    "encrypted_pdf": (make_encrypted_pdf, ("加密",)),
    "scanned_pdf": (make_scanned_pdf, ("扫描", "OCR")),
    "zip_bomb_docx": (make_zip_bomb_docx, ("压缩炸弹",)),
    "ratio_bomb_docx": (make_ratio_bomb_docx, ("压缩炸弹",)),
    "lying_bomb_docx": (make_lying_bomb_docx, ("损坏", "压缩炸弹")),
    "many_members_docx": (make_many_members_docx, ("压缩炸弹", "过多")),
    "not_zip_docx": (make_not_zip_docx, ("zip", "损坏")),
    "broken_zip_docx": (make_broken_zip_docx, ("zip", "损坏")),
    "nav_only_html": (make_nav_only_html, ("没有正文",)),
    "empty_body_html": (make_empty_body_html, ("没有正文", "为空", "没有任何文字")),
    "binary_txt": (make_binary_txt, ("不是文本", "二进制")),
    "high_bytes_txt": (make_high_bytes_txt, ("编码", "不是文本", "乱码")),
    "png_named_txt": (make_png_txt, ("图片", "OCR")),
    "old_word_doc": (make_old_doc, (".doc", "旧版")),
}


def assert_clear_error(error: str, path: Path, words: tuple[str, ...]) -> None:
    assert str(path) in error or path.name in error, f"error does not name the file: {error!r}"
    assert any(w in error for w in words), f"error does not name the problem {words}: {error!r}"
    assert "Traceback" not in error


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_library(case: str, kb_dir: Path, tmp_path: Path) -> None:
    maker, words = BAD_FILES[case]
    path = maker(tmp_path)
    library = Library(kb_dir)
    before = snapshot(library)
    reports = library.ingest([path])
    assert len(reports) == 1
    report = reports[0]
    assert report.ok is False
    assert_clear_error(report.error, path, words)
    assert report.clauses == 0 and report.doc_id == ""
    assert snapshot(library) == before
    assert snapshot(kb_dir) == before  # and so for a fresh connection


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_cli(case: str, kb_dir: Path, tmp_path: Path) -> None:
    maker, words = BAD_FILES[case]
    path = maker(tmp_path)
    before = snapshot(kb_dir)
    result = run_cli("ingest", str(path), "--kb", str(kb_dir))
    assert result.exit_code != 0
    assert_clear_error(result.stderr, path, words)
    assert snapshot(kb_dir) == before


def test_bad_file_cli_subprocess(kb_dir: Path, tmp_path: Path) -> None:
    """The real entry point: exit status and stderr as a shell user sees them."""
    import subprocess

    path = make_encrypted_pdf(tmp_path)
    before = snapshot(kb_dir)
    proc = subprocess.run(
        ["policykb", "ingest", str(path), "--kb", str(kb_dir)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode != 0
    assert str(path) in proc.stderr and "加密" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(kb_dir) == before


def test_bad_file_among_good_ones_changes_nothing_but_the_good(kb_dir: Path, tmp_path: Path) -> None:
    """One bad file in a batch: the others are stored, the bad one is reported, exit is non-zero."""
    bad = make_truncated_pdf(tmp_path)
    library = Library(kb_dir)
    before = snapshot(library)
    reports = library.ingest([bad, GANZHOU_TXT])
    assert [r.ok for r in reports] == [False, True]
    assert reports[1].replaced is True
    after = snapshot(library)
    assert after["documents"] == before["documents"] and after["clauses"] == before["clauses"]


# ----------------------------------------------------------------------------------- size limit


def test_over_size_limit_library(kb_dir: Path) -> None:
    library = Library(kb_dir, max_bytes=10_000)
    before = snapshot(library)
    for path in (GANZHOU_TXT, GANZHOU_PDF):
        [report] = library.ingest([path])
        assert report.ok is False
        assert_clear_error(report.error, path, ("文件过大",))
        assert "10000" in report.error.replace(",", "") or "9.8 KB" in report.error  # the limit is stated
    assert snapshot(library) == before


def test_over_size_limit_cli_default(kb_dir: Path, tmp_path: Path) -> None:
    """The CLI has the default limit; a sparse file one byte over it is refused before it is read."""
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(DEFAULT_MAX_BYTES + 1)
    before = snapshot(kb_dir)
    result = run_cli("ingest", str(path), "--kb", str(kb_dir))
    assert result.exit_code != 0
    assert_clear_error(result.stderr, path, ("文件过大",))
    assert snapshot(kb_dir) == before


# ----------------------------------------------------------------------------------- encodings


def _clauses(library: Library) -> list[tuple]:
    return [(c.clause_id, c.label, c.kind, c.text, c.start, c.end) for c in library.store.clauses()]


def _mixed_bytes(text: str) -> bytes:
    lines = text.split("\n")
    half = len(lines) // 2
    return "\n".join(lines[:half]).encode("utf-8") + b"\n" + "\n".join(lines[half:]).encode("gb18030")


ENCODED = {
    "gbk": lambda t: t.encode("gbk"),
    "gb18030": lambda t: t.encode("gb18030"),
    "utf-16": lambda t: t.encode("utf-16"),  # with BOM
    "utf-16-le-no-bom": lambda t: t.encode("utf-16-le"),
    "utf-16-be-no-bom": lambda t: t.encode("utf-16-be"),
    "utf-8-bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_other_encodings_give_same_clauses(encoding: str, kb_dir: Path, tmp_path: Path) -> None:
    text = GANZHOU_TXT.read_text(encoding="utf-8")
    path = tmp_path / f"ganzhou_{encoding}.txt"
    path.write_bytes(ENCODED[encoding](text))
    library = Library(kb_dir)
    expected = _clauses(library)
    docs_before = [d.doc_id for d in library.store.documents()]
    [report] = library.ingest([path])
    assert report.ok, report.error
    assert report.replaced is True  # same document (same 文号), replaced in place
    assert [d.doc_id for d in library.store.documents()] == docs_before
    assert _clauses(library) == expected


def test_mixed_encodings_ingest_with_warning(kb_dir: Path, tmp_path: Path) -> None:
    text = GANZHOU_TXT.read_text(encoding="utf-8")
    path = tmp_path / "mixed.txt"
    path.write_bytes(_mixed_bytes(text))
    library = Library(kb_dir)
    expected = _clauses(library)
    [report] = library.ingest([path])
    assert report.ok, report.error
    assert any("编码" in w and "混" in w for w in report.warnings), report.warnings
    assert _clauses(library) == expected
    doc = library.store.documents()[0]
    assert any("编码" in w for w in doc.warnings)  # the warning is kept with the document


def test_mixed_encodings_cli_prints_warning(kb_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(_mixed_bytes(GANZHOU_TXT.read_text(encoding="utf-8")))
    result = run_cli("ingest", str(path), "--kb", str(kb_dir))
    assert result.exit_code == 0, result.output
    assert "警告" in result.stdout and "编码" in result.stdout


# ----------------------------------------------------------------------------------- names


def test_path_with_dotdot_reads_the_file_it_names(kb_dir: Path, tmp_path: Path) -> None:
    """`../` in a path is resolved by the OS like any path; nothing is written outside the KB."""
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    bad = make_empty(tmp_path / "a")
    dotted = sub / ".." / bad.name  # a/b/../empty.txt
    listing_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "kb" not in p.parts)
    library = Library(kb_dir)
    before = snapshot(library)
    [report] = library.ingest([dotted])
    assert report.ok is False and "为空" in report.error and str(dotted) in report.error
    missing = sub / ".." / ".." / ".." / "no_such_policy.txt"
    [report] = library.ingest([missing])
    assert report.ok is False and "不存在" in report.error and str(missing) in report.error
    result = run_cli("ingest", str(missing), "--kb", str(kb_dir))
    assert result.exit_code != 0 and "不存在" in result.stderr
    assert snapshot(library) == before
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "kb" not in p.parts) == listing_before


def test_path_with_dotdot_good_document(kb_dir: Path, tmp_path: Path) -> None:
    sub = tmp_path / "x"
    sub.mkdir()
    shutil.copy(GANZHOU_TXT, tmp_path / "plan.txt")
    library = Library(kb_dir)
    [report] = library.ingest([sub / ".." / "plan.txt"])
    assert report.ok and report.replaced
    assert len(library.store.documents()) == 1


def test_nul_in_file_name_is_refused_by_the_os(tmp_path: Path) -> None:
    """NUL cannot reach a real `policykb` process: the OS interface refuses the argument."""
    import subprocess

    with pytest.raises(ValueError):
        subprocess.run(["policykb", "ingest", str(tmp_path / "a\x00b.txt")], check=False)
    with pytest.raises(ValueError):
        (tmp_path / "a\x00b.txt").write_bytes(b"x")


def test_nul_in_file_name_library_and_cli(kb_dir: Path) -> None:
    """In process (Python API, CliRunner) a NUL name must give an error report, never an exception."""
    name = "policy\x00.txt"
    library = Library(kb_dir)
    before = snapshot(library)
    [report] = library.ingest([name])
    assert report.ok is False and report.error
    result = CliRunner().invoke(cli, ["ingest", name, "--kb", str(kb_dir)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "policy" in result.stderr
    assert snapshot(library) == before


def test_nul_in_file_name_message_names_the_problem(kb_dir: Path) -> None:
    [report] = Library(kb_dir).ingest(["policy\x00.txt"])
    assert "\x00" not in report.error
    assert any(w in report.error for w in ("非法字符", "NUL", "空字符", "文件名"))


def _ui_service():
    try:
        from ui import service
    except ImportError:
        pytest.skip("ui.service not available")
    return service


@pytest.mark.parametrize(
    "raw",
    ["../../etc/passwd.txt", "..\\..\\win.ini.txt", "a\x00b.txt", "/abs/path/x.pdf", "..", "", "\x00", "a/b/../..",
     ".hidden.txt", "政策\x07文件.docx", "dir/子目录/政策.docx"],
)
def test_upload_name_sanitizer(raw: str) -> None:
    """Client-supplied upload names lose directories, NUL and control characters, and leading dots."""
    service = _ui_service()
    for out in (service.display_name(raw), service.safe_stem(raw)):
        assert "/" not in out and "\\" not in out, (raw, out)
        assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in out), (raw, out)
        assert out not in ("", ".", "..") and not out.startswith("."), (raw, out)


@pytest.mark.parametrize("raw", ["../../../escaped.txt", "..\\..\\escaped.txt", "/etc/escaped.txt", "esc\x00aped.txt"])
def test_upload_stays_inside_the_kb(raw: str, kb_dir: Path, tmp_path: Path) -> None:
    """An upload named with `../`, an absolute path or NUL is stored under <kb>/uploads and nowhere else."""
    service = _ui_service()
    src = tmp_path / "incoming.bin"
    shutil.copy(GANZHOU_TXT, src)
    ui = service.UIService(Library(kb_dir))
    dest, name = ui.store_upload(src, raw)
    assert (kb_dir / "uploads").resolve() in dest.resolve().parents
    assert dest.read_bytes() == GANZHOU_TXT.read_bytes()
    assert "/" not in name and "\x00" not in name
    assert not (tmp_path.parent / "escaped.txt").exists() and not (kb_dir.parent / "escaped.txt").exists()


def test_upload_of_bad_file_with_hostile_name(kb_dir: Path, tmp_path: Path) -> None:
    """The UI path end to end: a bad file under a hostile name gives a report naming the (cleaned) file and
    the problem, the stored copy is removed and the KB is unchanged."""
    service = _ui_service()
    src = make_encrypted_pdf(tmp_path)
    library = Library(kb_dir)
    before = snapshot(library)
    ui = service.UIService(library)
    [report] = ui.ingest_uploads([(src, "../../\x00加密文件.pdf")])
    assert report["ok"] is False
    assert report["name"] == "加密文件.pdf"
    assert "加密文件.pdf" in report["error"] and "加密" in report["error"]
    assert str(kb_dir) not in report["error"]  # the server's folder layout is not shown to the user
    assert snapshot(library) == before
    uploads = kb_dir / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


@pytest.mark.parametrize("suffix", [".exe", ".doc", "", ".pdf.exe"])
def test_upload_of_unsupported_type(suffix: str, kb_dir: Path, tmp_path: Path) -> None:
    service = _ui_service()
    src = tmp_path / "x.bin"
    src.write_bytes(b"MZ" + b"\0" * 100)
    library = Library(kb_dir)
    before = snapshot(library)
    [report] = service.UIService(library).ingest_uploads([(src, f"程序{suffix}")])
    assert report["ok"] is False and "不支持" in report["error"]
    assert snapshot(library) == before


def test_upload_with_long_name_keeps_its_extension(kb_dir: Path, tmp_path: Path) -> None:
    service = _ui_service()
    src = tmp_path / "plan.txt"
    shutil.copy(GANZHOU_TXT, src)
    long_name = "关于进一步做优做强数字经济的实施方案" * 7 + ".txt"  # 133 characters
    [report] = service.UIService(Library(kb_dir)).ingest_uploads([(src, long_name)])
    assert report["ok"] is True, report


# ----------------------------------------------------------------------------------- amplification
# Small files whose structure asks for huge work: they must be refused or read in bounded time and memory.
# Each runs in a child process with an address-space limit and a timeout, so a failure cannot hurt the host.

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
from kb.library import Library
library = Library(sys.argv[1])
try:
    [report] = library.ingest([sys.argv[2]])
except MemoryError:
    print(json.dumps({"crash": "MemoryError"}))
    sys.exit(3)
text = library.store.document(report.doc_id).text if report.ok else ""
print(json.dumps({"ok": report.ok, "error": report.error, "chars": len(text)}, ensure_ascii=False))
"""


def ingest_bounded(kb: Path, path: Path, seconds: float = 10.0) -> dict:
    import json
    import subprocess
    import sys

    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(kb), str(path)], capture_output=True, text=True,
                              timeout=seconds)
    except subprocess.TimeoutExpired:
        return {"crash": f"still running after {seconds:.0f} s (killed)"}
    if proc.returncode != 0:
        return {"crash": f"exit {proc.returncode}: {proc.stdout.strip()} {proc.stderr.strip()[-300:]}"}
    return json.loads(proc.stdout)


def assert_bounded(result: dict, path: Path) -> None:
    assert "crash" not in result, result
    if result["ok"]:
        assert result["chars"] < 50 * path.stat().st_size + 100_000, result
    else:
        assert path.name in result["error"], result


def _docx_with_cell_props(tc_pr: str, tr_pr: str = "") -> bytes:
    """A real DOCX package (python-docx's template) whose body is a heading and a three-row table."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    row = f"<w:tr>{tr_pr}<w:tc>{tc_pr}<w:p><w:r><w:t>市工信局</w:t></w:r></w:p></w:tc></w:tr>"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>'
           "<w:p><w:r><w:t>一、总体要求</w:t></w:r></w:p><w:tbl>" + row * 3 + "</w:tbl></w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = xml.encode("utf-8") if info.filename == "word/document.xml" else zin.read(info.filename)
            zout.writestr(info.filename, data)
    return out.getvalue()


def test_docx_ordinary_table_reads(kb_dir: Path, tmp_path: Path) -> None:
    """Control for the amplification cases below: the same file with gridSpan=2 reads fine."""
    path = tmp_path / "table.docx"
    path.write_bytes(_docx_with_cell_props('<w:tcPr><w:gridSpan w:val="2"/></w:tcPr>'))
    result = ingest_bounded(kb_dir, path)
    assert result.get("ok") is True, result
    assert_bounded(result, path)


@pytest.mark.parametrize(
    "tc_pr,tr_pr",
    [('<w:tcPr><w:gridSpan w:val="2147483647"/></w:tcPr>', ""),
     ("", '<w:trPr><w:gridBefore w:val="2147483647"/></w:trPr>')],
    ids=["gridSpan", "gridBefore"],
)
def test_docx_huge_grid_span_is_bounded(tc_pr: str, tr_pr: str, kb_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "span_bomb.docx"
    path.write_bytes(_docx_with_cell_props(tc_pr, tr_pr))
    before = snapshot(kb_dir)
    result = ingest_bounded(kb_dir, path)
    assert_bounded(result, path)
    if not result.get("ok"):
        assert snapshot(kb_dir) == before


def test_html_span_amplification_is_bounded(kb_dir: Path, tmp_path: Path) -> None:
    cells = "<td rowspan=500 colspan=50>市工信局</td>" * 2000
    html = ("<html><body><h1>关于某某工作的通知</h1><p>一、总体要求，为做好工作，制定本通知。</p>"
            f"<table><tr>{cells}</tr><tr><td>1</td><td>任务</td></tr></table></body></html>")
    path = tmp_path / "span_bomb.html"
    path.write_bytes(html.encode("utf-8"))
    result = ingest_bounded(kb_dir, path)
    assert_bounded(result, path)


def test_docx_entity_expansion_is_refused(kb_dir: Path, tmp_path: Path) -> None:
    """'Billion laughs' in word/document.xml: refused quickly, not expanded."""
    entities = '<!ENTITY a "一二三四五六七八九十">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document {ns}><w:body>'
           "<w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>")
    path = tmp_path / "laughs.docx"
    path.write_bytes(_docx_zip(xml.encode("utf-8")))
    before = snapshot(kb_dir)
    result = ingest_bounded(kb_dir, path)
    assert_bounded(result, path)
    assert result["ok"] is False
    assert snapshot(kb_dir) == before


# ----------------------------------------------------------------------------------- duplicates


def test_same_document_twice_library(kb_dir: Path) -> None:
    library = Library(kb_dir)
    before = snapshot(library)
    reports = library.ingest([GANZHOU_TXT, GANZHOU_TXT])
    assert [r.ok for r in reports] == [True, True]
    assert [r.replaced for r in reports] == [True, True]  # the KB already held it
    assert len({r.doc_id for r in reports}) == 1
    after = snapshot(library)
    assert after["documents"] == before["documents"]
    assert after["clauses"] == before["clauses"] and after["task_rows"] == before["task_rows"]


def test_same_document_as_pdf_is_one_document(kb_dir: Path) -> None:
    """The TXT and the PDF of one plan share the 文号: one document, the second replaces the first."""
    library = Library(kb_dir)
    txt_id = library.store.documents()[0].doc_id
    [report] = library.ingest([GANZHOU_PDF])
    assert report.ok, report.error
    assert report.replaced is True and report.doc_id == txt_id and report.number == GANZHOU_NUMBER
    assert [d.doc_id for d in library.store.documents()] == [txt_id]
    assert library.store.documents()[0].source_format == "pdf"


def test_same_document_twice_fresh_kb(tmp_path: Path) -> None:
    library = Library(tmp_path / "fresh")
    first, second = library.ingest([GANZHOU_TXT, GANZHOU_TXT])
    assert first.ok and not first.replaced
    assert second.ok and second.replaced
    assert len(library.store.documents()) == 1
    assert len(library.store.clauses()) == first.clauses == second.clauses


def test_same_document_twice_cli(kb_dir: Path) -> None:
    result = run_cli("ingest", str(GANZHOU_TXT), "--kb", str(kb_dir))
    assert result.exit_code == 0, result.output
    assert "已替换" in result.stdout
    assert len(Library(kb_dir).store.documents()) == 1


# ----------------------------------------------------------------------------------- questions


def assert_valid_answer(answer: Answer, question: str) -> None:
    assert isinstance(answer, Answer)
    assert isinstance(answer.found, bool)
    assert isinstance(answer.answer, str) and answer.answer.strip()
    assert isinstance(answer.intent, str)
    assert isinstance(answer.citations, list) and all(isinstance(c, Citation) for c in answer.citations)
    assert isinstance(answer.warnings, list) and all(isinstance(w, str) for w in answer.warnings)
    for c in answer.citations:
        assert c.text and c.end > c.start
    data = answer.to_dict()
    assert set(data) >= {"question", "found", "intent", "answer", "citations", "warnings"}


QUESTIONS_REJECTED = {
    "empty": "",
    "spaces": "   ",
    "whitespace_mix": " \t\n\r\u3000 ",
    "too_long_10000": "赣州" * 5000,
    "one_over_limit": "数" * (MAX_QUESTION_CHARS + 1),
}


@pytest.mark.parametrize("case", list(QUESTIONS_REJECTED))
def test_rejected_questions_raise_question_error(case: str, shared_answerer: Answerer) -> None:
    before = snapshot(shared_answerer.library)
    question = QUESTIONS_REJECTED[case]
    with pytest.raises(QuestionError) as info:
        shared_answerer.ask(question)
    message = str(info.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    if case.startswith(("too_long", "one_over")):
        assert str(len(question)) in message and str(MAX_QUESTION_CHARS) in message, message
    else:
        assert "为空" in message
    assert snapshot(shared_answerer.library) == before


QUESTIONS_ANSWERED = {
    "punctuation_only": "？？！。，、……——“”《》",
    "ascii_punctuation": "?!.,;:'\"()[]{}",
    "emoji": "😀🎉🚀👍",
    "control_chars": "\x00\x01\x07\x1b[31m\x7f",
    "emoji_and_controls_around_question": "\x07😀谁牵头探索建设赣南大数据交易中心？\x00🎉",
    "zero_width": "\u200b\u200c\ufeff",
    "english": "Who is responsible for the big data exchange center in Ganzhou?",
    "sql": "'; DROP TABLE clauses; --",
    "sql_union": "1' OR '1'='1' UNION SELECT * FROM documents --",
    "html_script": "<script>alert('x')</script>",
    "html_fragment_with_question": "<b>赣南大数据交易中心</b>由谁牵头？<br/>",
    "rtl_override": "\u202e谁牵头\u202c",
    "exactly_at_limit": "数" * MAX_QUESTION_CHARS,
    "digits_only": "2022",
}


@pytest.mark.parametrize("case", list(QUESTIONS_ANSWERED))
def test_odd_questions_give_valid_answers(case: str, shared_answerer: Answerer) -> None:
    library = shared_answerer.library
    before = snapshot(library)
    question = QUESTIONS_ANSWERED[case]
    try:
        answer = shared_answerer.ask(question)
    except QuestionError as exc:  # allowed, if it says why in Chinese
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
    else:
        assert_valid_answer(answer, question)
        if case in ("punctuation_only", "emoji", "control_chars", "zero_width", "sql", "html_script"):
            assert answer.found is False, answer.answer
        if case == "emoji_and_controls_around_question":
            assert answer.found is True and "市行政审批局" in answer.answer
        if case == "html_script":
            assert "<script>" not in "".join(c.text for c in answer.citations)
    assert snapshot(library) == before
    with sqlite3.connect(library.store.path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "clauses", "task_rows", "meta"} <= tables


@pytest.mark.parametrize("question", ["\ud800大数据", "谁牵头\udfff探索建设赣南大数据交易中心？"])
def test_lone_surrogate_question(question: str, shared_answerer: Answerer) -> None:
    try:
        answer = shared_answerer.ask(question)
    except QuestionError:
        return
    assert_valid_answer(answer, question)


def test_markup_around_a_question_does_not_change_the_answer(shared_answerer: Answerer) -> None:
    plain = shared_answerer.ask("赣南大数据交易中心由谁牵头？")
    assert plain.found is True and "市行政审批局" in plain.answer
    marked = shared_answerer.ask("<p><b>赣南大数据交易中心</b>由谁牵头？<br/></p>")
    assert marked.found is True and marked.answer == plain.answer


def test_wenhao_alone_names_the_document(shared_answerer: Answerer) -> None:
    answer = shared_answerer.ask(GANZHOU_NUMBER)
    assert_valid_answer(answer, GANZHOU_NUMBER)
    assert answer.found is True
    assert GANZHOU_TITLE in answer.answer
    assert answer.citations and answer.citations[0].doc_number == GANZHOU_NUMBER


def test_unknown_wenhao_is_not_found(shared_answerer: Answerer) -> None:
    answer = shared_answerer.ask("赣市发〔2099〕99号")
    assert_valid_answer(answer, "")
    assert answer.found is False and "赣市发〔2099〕99号" in answer.answer


@pytest.mark.parametrize("number", ["赣市发【2022】5号", "赣市发[2022]5号", "赣市发（2022）5号"])
def test_wenhao_with_other_brackets_names_the_document(number: str, shared_answerer: Answerer) -> None:
    answer = shared_answerer.ask(number)
    assert answer.found is True
    assert GANZHOU_TITLE in answer.answer


def test_cli_ask_empty_question(kb_template: Path) -> None:
    for question in ("", "   "):
        result = run_cli("ask", question, "--kb", str(kb_template))
        assert result.exit_code != 0
        assert "为空" in result.stderr


def test_cli_ask_too_long_question(kb_template: Path) -> None:
    result = run_cli("ask", "问" * 10_000, "--kb", str(kb_template))
    assert result.exit_code != 0
    assert "10000" in result.stderr and "过长" in result.stderr


def test_cli_ask_sql_leaves_kb_alone(kb_dir: Path) -> None:
    before = snapshot(kb_dir)
    result = run_cli("ask", "'; DROP TABLE clauses; --", "--kb", str(kb_dir), "--json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["found"] is False and isinstance(data["citations"], list)
    assert snapshot(kb_dir) == before
