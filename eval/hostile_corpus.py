"""A corpus of hostile files, generated: each case of issue 13 and more, for eval/bench_hostile.py and tests.

Every file is built here from code (nothing downloaded, nothing copied from the real corpus), so the
corpus is the same on every machine. `expect` says what the product must do with it: "refuse" (by
name, with a reason), "ingest" (within the parse budget), or "either" (a large but well-formed file:
ingested within the budget, or refused by name as too complex; never a hang, never a traceback).

    python -m eval.hostile_corpus [FOLDER]      # writes the files (default eval/.cache/hostile)
"""

from __future__ import annotations

import io
import os
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parent / ".cache" / "hostile"

# A paragraph in the shape of a policy clause (made up here, in the register of the real ones).
CLAUSE = "对首次认定的企业给予一次性奖励，所需资金由市财政统筹安排，由市工业和信息化局牵头负责"
DOC = (
    "关于支持企业高质量发展的若干措施\n"
    "一、总体要求\n为进一步优化营商环境，支持企业做大做强，结合本市实际，制定本措施。\n"
    "二、政策措施\n（一）对首次入规的工业企业，给予10万元奖励。（责任单位：市工业和信息化局）\n"
    "（二）对年营业收入首次突破1亿元的企业，给予20万元奖励。（责任单位：市商务局）\n"
    "三、附则\n本措施自印发之日起施行，有效期至2027年12月31日。\n"
)


@dataclass(frozen=True)
class Case:
    """One hostile file: how to make it and what the product must do with it."""

    name: str
    make: Callable[[Path], Path]
    expect: str  # "refuse" | "ingest" | "either"
    note: str


# ------------------------------------------------------------------------------------- PDF bytes


def pdf_bytes(pages: list[bytes], media_box: tuple[int, int] = (595, 842)) -> bytes:
    """A minimal valid PDF: one content stream per page, Helvetica (a standard font, not embedded)."""
    objects: list[bytes] = []
    kids = []
    n_pages = len(pages)
    # 1: catalog, 2: pages, 3: font, then (page, content) pairs
    for i, content in enumerate(pages):
        page_id, content_id = 4 + 2 * i, 5 + 2 * i
        kids.append(f"{page_id} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {media_box[0]} {media_box[1]}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {n_pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    return out.getvalue()


def _text_page(lines: list[str], size: int = 10) -> bytes:
    ops = [b"BT", b"/F1 %d Tf" % size, b"12 TL", b"50 800 Td"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + safe.encode("latin-1", "replace") + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


_LOREM = (
    "The council shall review the programme every year and report its findings to the board, "
    "which may adjust the support levels within the limits set out in this regulation"
).split()


def _latin_lines(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choice(_LOREM) for _ in range(14)) for _ in range(n)]


# --------------------------------------------------------------------------------------- makers


def giant_line(d: Path, chars: int = 240_000, name: str = "giant_line.txt") -> Path:
    """One line with no 。；or newline (the quadratic validity scan of issue 13: 240K chars took 46 s)."""
    p = d / name
    unit = CLAUSE + "，"
    p.write_text("关于支持企业发展的通知\n" + (unit * (chars // len(unit) + 1))[:chars], encoding="utf-8")
    return p


def giant_line_5mb(d: Path) -> Path:
    return giant_line(d, 5 * 1024 * 1024 // 3, "giant_line_5mb.txt")


def long_token(d: Path) -> Path:
    """A 4 MB run of digits with no space or punctuation at all."""
    p = d / "long_token.txt"
    p.write_text("关于支持企业发展的通知\n" + "1234567890" * 400_000, encoding="utf-8")
    return p


def many_lines(d: Path) -> Path:
    """400,000 numbered one-line clauses (16 MB): a deep, wide clause tree."""
    p = d / "many_lines.txt"
    with open(p, "w", encoding="utf-8") as fh:
        fh.write("关于支持企业发展的若干措施\n")
        for i in range(400_000):
            fh.write(f"（{i % 99 + 1}）对企业给予{i % 50 + 1}万元奖励。\n")
    return p


def deep_divs(d: Path, depth: int = 1000) -> Path:
    """1,000 nested <div> around the text (11 KB; the main-container walk was cubic: 101 s)."""
    p = d / "deep_divs.html"
    p.write_text(
        "<html><head><title>关于支持企业发展的通知</title></head><body>"
        + "<div>" * depth + DOC.replace("\n", "<br>") + "</div>" * depth + "</body></html>",
        encoding="utf-8",
    )
    return p


def nested_tables(d: Path, depth: int = 2000) -> Path:
    """2,000 nested <table> (66 KB): RecursionError in the HTML table reader."""
    p = d / "nested_tables.html"
    p.write_text(
        "<html><head><title>关于支持企业发展的通知</title></head><body><p>" + DOC.replace("\n", "</p><p>") + "</p>"
        + "<table><tr><td>" * depth + "内容" + "</td></tr></table>" * depth + "</body></html>",
        encoding="utf-8",
    )
    return p


def huge_table_html(d: Path, rows: int = 20_000) -> Path:
    """A 20,000-row task table (序号/工作任务/牵头单位/责任单位), 2.5 MB."""
    p = d / "huge_table.html"
    body = ["<html><head><title>重点任务清单</title></head><body><p>重点任务清单责任分工表</p><table>",
            "<tr><td>序号</td><td>工作任务</td><td>主要内容</td><td>牵头单位</td><td>责任单位</td></tr>"]
    for i in range(1, rows + 1):
        body.append(f"<tr><td>{i}</td><td>任务{i}</td><td>推进项目{i}建设</td><td>市发展改革委</td><td>各县（市、区）</td></tr>")
    body.append("</table></body></html>")
    p.write_text("".join(body), encoding="utf-8")
    return p


def span_bomb_html(d: Path) -> Path:
    """One cell with rowspan=65534 colspan=1000: 65 million cells once merged cells are filled in."""
    p = d / "span_bomb.html"
    p.write_text(
        "<html><body><p>关于支持企业发展的通知</p><table><tr><td rowspan='65534' colspan='1000'>x</td></tr>"
        + "<tr><td>y</td></tr>" * 50 + "</table></body></html>",
        encoding="utf-8",
    )
    return p


def latin_pdf(d: Path, pages: int = 50, name: str = "latin_50_pages.pdf") -> Path:
    """Latin-text pages: no 。 anywhere, so the pages join into one paragraph (50 pages took 70 s)."""
    rng = random.Random(pages)
    p = d / name
    p.write_bytes(pdf_bytes([_text_page(_latin_lines(rng, 60)) for _ in range(pages)]))
    return p


def many_pages_pdf(d: Path) -> Path:
    """3,000 pages of Latin text (still running at 300 s in issue 13)."""
    return latin_pdf(d, 3000, "latin_3000_pages.pdf")


def drawn_rules_pdf(d: Path, rules: int = 60_000) -> Path:
    """One huge page holding 60,000 small stroked rectangles (a grid), plus a line of text."""
    ops = [b"0.5 w"]
    side = int(rules**0.5) + 1
    for i in range(rules):
        x, y = 10 + (i % side) * 12, 10 + (i // side) * 12
        ops.append(b"%d %d 10 10 re S" % (x, y))
    ops.append(_text_page(["Notice on support measures"]))
    p = d / "drawn_rules.pdf"
    p.write_bytes(pdf_bytes([b"\n".join(ops)], media_box=(side * 12 + 20, side * 12 + 20)))
    return p


def garbage_text_pdf(d: Path) -> Path:
    """A text layer of random glyphs: random bytes (NUL and controls among them) shown in Helvetica."""
    rng = random.Random(13)
    pages = []
    for _ in range(3):
        ops = [b"BT", b"/F1 9 Tf", b"11 TL", b"40 800 Td"]
        for _ in range(60):
            ops.append(b"<" + rng.randbytes(70).hex().encode() + b"> Tj T*")
        ops.append(b"ET")
        pages.append(b"\n".join(ops))
    p = d / "garbage_text.pdf"
    p.write_bytes(pdf_bytes(pages))
    return p


def control_text_html(d: Path) -> Path:
    """An HTML page whose text is control characters and private-use glyphs."""
    rng = random.Random(7)
    junk = "".join(chr(rng.choice([rng.randrange(1, 32), rng.randrange(0xE000, 0xF8FF)])) for _ in range(6000))
    p = d / "control_text.html"
    p.write_text(f"<html><body><p>{junk}</p></body></html>", encoding="utf-8")
    return p


def glyph_text_docx(d: Path) -> Path:
    """A DOCX whose paragraphs are private-use glyphs and stray symbols (a font without a text map)."""
    rng = random.Random(11)
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paras = "".join(
        "<w:p><w:r><w:t>" + "".join(chr(rng.randrange(0xE000, 0xF8FF)) for _ in range(80)) + "</w:t></w:r></w:p>"
        for _ in range(60)
    )
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document {w}><w:body>{paras}</w:body></w:document>'
    return _write(d, "glyph_text.docx", _docx(xml.encode("utf-8")))


def _write(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


def one_byte(d: Path) -> Path:
    return _write(d, "one_byte.txt", b"a")


def few_words(d: Path) -> Path:
    return _write(d, "few_words.txt", "通知\n".encode())


def empty_file(d: Path) -> Path:
    return _write(d, "empty.txt", b"")


def random_bytes_txt(d: Path) -> Path:
    return _write(d, "random_bytes.txt", random.Random(1).randbytes(64 * 1024))


def oversize_sparse(d: Path) -> Path:
    """Just past the 50 MB upload limit (a sparse file: no disk used)."""
    p = d / "oversize.txt"
    with open(p, "wb") as fh:
        fh.truncate(50 * 1024 * 1024 + 1)
    return p


def fifo(d: Path) -> Path:
    """A named pipe with a document's name: reading it blocks forever."""
    p = d / "pipe.txt"
    if not p.exists():
        os.mkfifo(p)
    return p


def link_to_dev_zero(d: Path) -> Path:
    """A .txt symlink to /dev/zero: reads until memory runs out."""
    p = d / "zero_link.txt"
    if not p.is_symlink():
        p.symlink_to("/dev/zero")
    return p


def link_to_fifo(d: Path) -> Path:
    target = fifo(d)
    p = d / "pipe_link.html"
    if not p.is_symlink():
        p.symlink_to(target.name)
    return p


def dangling_link(d: Path) -> Path:
    p = d / "dangling.pdf"
    if not p.is_symlink():
        p.symlink_to(d / "no-such-file.pdf")
    return p


def _docx(document_xml: bytes) -> bytes:
    """A real DOCX package (python-docx's own template) with `document_xml` as its body."""
    import docx

    base = io.BytesIO()
    docx.Document().save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = document_xml if info.filename == "word/document.xml" else src.read(info.filename)
            dst.writestr(info.filename, data)
    return out.getvalue()


def zip_bomb_docx(d: Path) -> Path:
    """word/document.xml of 1 GB of spaces compressed to about 1 MB."""
    p = d / "zip_bomb.docx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b"<w:document>")
            block = b" " * (1 << 20)
            for _ in range(1024):
                fh.write(block)
            fh.write(b"</w:document>")
    p.write_bytes(buf.getvalue())
    return p


def billion_laughs_docx(d: Path) -> Path:
    """Nested XML entities in word/document.xml (10^9 'lol's when expanded)."""
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{"".join(ents)}]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
    p = d / "billion_laughs.docx"
    p.write_bytes(_docx(xml.encode()))
    return p


def billion_laughs_html(d: Path) -> Path:
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    p = d / "billion_laughs.html"
    p.write_text(f'<?xml version="1.0"?><!DOCTYPE html [{"".join(ents)}]><html><body><p>&lol9;</p></body></html>',
                 encoding="utf-8")
    return p


def huge_table_docx(d: Path, rows: int = 5000) -> Path:
    """A DOCX whose body is one 5,000-row table with a vertically merged column."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    cells = []
    for i in range(rows):
        merge = '<w:tcPr><w:vMerge w:val="restart"/></w:tcPr>' if i == 0 else "<w:tcPr><w:vMerge/></w:tcPr>"
        cells.append(
            f"<w:tr><w:tc><w:p><w:r><w:t>{i + 1}</w:t></w:r></w:p></w:tc>"
            f"<w:tc>{merge}<w:p><w:r><w:t>市发展改革委</w:t></w:r></w:p></w:tc>"
            f"<w:tc><w:p><w:r><w:t>推进项目{i}建设</w:t></w:r></w:p></w:tc></w:tr>"
        )
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><w:document {w}><w:body>'
           "<w:p><w:r><w:t>重点任务清单</w:t></w:r></w:p><w:tbl>" + "".join(cells) + "</w:tbl></w:body></w:document>")
    p = d / "huge_table.docx"
    p.write_bytes(_docx(xml.encode("utf-8")))
    return p


def good_document(d: Path) -> Path:
    """A small well-formed policy document: must always be ingested (the control)."""
    p = d / "good_document.txt"
    p.write_text(DOC, encoding="utf-8")
    return p


CASES: list[Case] = [
    Case("good_document.txt", good_document, "ingest", "control: a small well-formed policy document"),
    Case("giant_line.txt", giant_line, "either", "one 240K-character line without 。；or newline"),
    Case("giant_line_5mb.txt", giant_line_5mb, "either", "one 5 MB line without 。；or newline"),
    Case("long_token.txt", long_token, "refuse", "a 4 MB run of digits"),
    Case("many_lines.txt", many_lines, "either", "400,000 numbered one-line clauses (16 MB)"),
    Case("deep_divs.html", deep_divs, "either", "1,000 nested <div> (11 KB)"),
    Case("nested_tables.html", nested_tables, "either", "2,000 nested <table> (66 KB)"),
    Case("huge_table.html", huge_table_html, "either", "a 20,000-row task table"),
    Case("span_bomb.html", span_bomb_html, "refuse", "rowspan 65534 x colspan 1000"),
    Case("huge_table.docx", huge_table_docx, "either", "a 5,000-row DOCX table with a merged column"),
    Case("latin_50_pages.pdf", latin_pdf, "either", "50 pages of Latin text, no 。"),
    Case("latin_3000_pages.pdf", many_pages_pdf, "either", "3,000 pages of Latin text"),
    Case("drawn_rules.pdf", drawn_rules_pdf, "either", "one huge page of 60,000 drawn rectangles"),
    Case("garbage_text.pdf", garbage_text_pdf, "refuse", "a text layer of random glyphs, NUL and controls"),
    Case("control_text.html", control_text_html, "refuse", "text of control characters and private-use glyphs"),
    Case("glyph_text.docx", glyph_text_docx, "refuse", "paragraphs of private-use glyphs (no text map)"),
    Case("one_byte.txt", one_byte, "refuse", "a 1-byte file"),
    Case("few_words.txt", few_words, "refuse", "a file with one word"),
    Case("empty.txt", empty_file, "refuse", "a 0-byte file"),
    Case("random_bytes.txt", random_bytes_txt, "refuse", "64 KB of random bytes named .txt"),
    Case("oversize.txt", oversize_sparse, "refuse", "50 MB + 1 byte"),
    Case("pipe.txt", fifo, "refuse", "a FIFO named .txt"),
    Case("zero_link.txt", link_to_dev_zero, "refuse", "a .txt symlink to /dev/zero"),
    Case("pipe_link.html", link_to_fifo, "refuse", "a .html symlink to a FIFO"),
    Case("dangling.pdf", dangling_link, "refuse", "a symlink to nothing"),
    Case("zip_bomb.docx", zip_bomb_docx, "refuse", "1 GB document.xml compressed to ~1 MB"),
    Case("billion_laughs.docx", billion_laughs_docx, "refuse", "nested XML entities in a DOCX"),
    Case("billion_laughs.html", billion_laughs_html, "either", "nested XML entities in an HTML page"),
]


def case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def generate(folder: Path = DEFAULT_DIR, names: list[str] | None = None) -> list[tuple[Case, Path]]:
    """Write the hostile files (all, or those named) into `folder`; returns (case, path) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    return [(c, c.make(folder)) for c in CASES if names is None or c.name in names]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    for c, path in generate(target):
        kind = "link" if path.is_symlink() else ("fifo" if path.is_fifo() else f"{path.stat().st_size} bytes")
        print(f"{c.name:24s} {kind:>16s}  {c.expect:7s} {c.note}")
