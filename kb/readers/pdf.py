"""PDF: text with coordinates from pypdf, page furniture removed, wrapped lines re-joined,
drawn tables rebuilt as rows.

pypdf gives hard-wrapped lines; policy clauses must come out one per line, so lines are joined
using punctuation, line length, indentation and numbering. Tables drawn as cell rectangles are
rebuilt from those rectangles (see pdf_tables).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass

from kb.errors import ReadError
from kb.readers.pdf_tables import Frag, TableState, build_tables, est_width
from kb.readers.result import ReadResult

_NUMBERED = re.compile(
    r"^[\s\u3000]*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[）)]|\d{1,3}[.．、](?!\d)"
    r"|[（(]\d{1,3}[）)]|第[一二三四五六七八九十百零〇\d]+[章节条款部分]|附件|附表|[①-⑳])"
)
_PAGE_FURNITURE = re.compile(
    r"^[\s\u3000]*(?:[—–\-－―~～]+\s*\d{1,4}\s*[—–\-－―~～]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|[—–\-－―]?\s*\d{1,4}\s*[—–\-－―]?)[\s\u3000]*$"
)
_DASHED_NUMBER = re.compile(
    r"^[\s\u3000]*(?:[—–\-－―~～]+\s*\d{1,4}\s*[—–\-－―~～]+|第\s*\d{1,4}\s*页.*共\s*\d{1,4}\s*页)[\s\u3000]*$"
)
_LABEL_ONLY = re.compile(
    r"^[\s\u3000]*(?:\d{1,3}[.．、]|[（(][一二三四五六七八九十百\d]+[）)]|[一二三四五六七八九十百]+、"
    r"|第[一二三四五六七八九十百零〇\d]+[章节条款])[\s\u3000]*$"
)
_CLOSING_START = set("，。、；：！？）》」』”’〕】,.;:!?)%")
_CONTINUING_END = set("，、,（(《“‘〔【—-/·")
_TERMINAL_END = set("。！？；：!?;:〕」』…")
_UNIT_START = set("年月日号亿万千百十元个家名项次件条位人户%倍期批座所")
_INDENT_CHARS = "\u3000 \xa0"

log = logging.getLogger(__name__)


@dataclass
class Line:
    """One visual text line of a page, outside any table."""

    page: int
    x0: float
    y: float
    size: float
    text: str
    right: float
    short: bool = False
    indented: bool = False
    centered: bool = False
    fill: float = 1.0  # share of the usual line width this line uses
    gapped: bool = False  # wide gaps inside: columns of an undrawn table, never joined


@dataclass
class Item:
    """What a page yields, in reading order: a text line, a table row, or a paragraph break."""

    kind: str  # "line" | "row" | "page" (end of a page)
    y: float
    line: Line | None = None
    row: str = ""


def read_pdf(data: bytes, name: str) -> ReadResult:
    """Read a PDF; raise ReadError for truncated, encrypted or scanned (text-less) files."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ReadError(name, "缺少 pypdf，无法读取 PDF") from exc
    if b"%%EOF" not in data[-2048:]:
        raise ReadError(name, "PDF 文件不完整（缺少结尾标记 %%EOF），可能下载中断或文件被截断")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise ReadError(name, f"PDF 文件已损坏或不完整，无法解析（{exc.__class__.__name__}）") from exc
    if encrypted:
        _decrypt(reader, name)
    try:
        page_count = len(reader.pages)
    except Exception as exc:  # pypdf raises many types on broken page trees
        raise ReadError(name, f"PDF 文件已损坏，无法读取页面（{exc.__class__.__name__}）") from exc
    if page_count == 0:
        raise ReadError(name, "PDF 中没有任何页面")

    warnings: list[str] = []
    items: list[Item] = []
    state = TableState()
    total_chars = 0
    empty_pages: list[int] = []
    for index in range(page_count):
        try:
            page = reader.pages[index]
            page_items, chars = _read_page(reader, page, index + 1, state)
        except ReadError:
            raise
        except Exception as exc:  # one bad page should not lose the document
            log.debug("page %s failed", index + 1, exc_info=True)
            warnings.append(f"第{index + 1}页无法解析（{exc.__class__.__name__}），已跳过")
            continue
        total_chars += chars
        if chars < 5:
            empty_pages.append(index + 1)
        items.extend(page_items)
        items.append(Item("page", 0.0))
    if total_chars < max(20, 20 * page_count) or len(empty_pages) == page_count:
        raise ReadError(
            name,
            f"这是扫描版 PDF（共{page_count}页，几乎没有文字层，只有图像），无法直接提取文字，需要先进行 OCR 文字识别",
        )
    for number in empty_pages:
        warnings.append(f"第{number}页无文字层（可能是扫描页或空白页），该页内容未读取")
    text = _assemble(items)
    return ReadResult(text=text, fmt="pdf", warnings=warnings, pages=page_count)


def _decrypt(reader, name: str) -> None:
    """Encrypted PDFs often have an empty user password (only printing/copying is restricted)."""
    from pypdf import PasswordType

    try:
        result = reader.decrypt("")
    except Exception as exc:  # DependencyError (AES without cryptography), NotImplementedError ...
        raise ReadError(
            name, f"PDF 已加密，无法解密（{exc.__class__.__name__}），请提供未加密的文件"
        ) from exc
    if result == PasswordType.NOT_DECRYPTED:
        raise ReadError(name, "PDF 已加密，需要密码才能打开，请提供未加密的文件")


def _read_page(reader, page, number: int, state: TableState) -> tuple[list[Item], int]:
    frags: list[Frag] = []

    def visit(text: str, cm, tm, font_dict, font_size) -> None:
        if not text or not text.strip("\n"):
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]) or 1.0
        size = abs(float(font_size or 0) * scale) or 12.0
        if size > 200 or size < 2:
            size = 12.0
        for k, piece in enumerate(text.split("\n")):
            if piece:
                frags.append(Frag(x, y - k * size * 1.2, size, piece))

    page.extract_text(visitor_text=visit)
    chars = sum(len(f.text.strip(_INDENT_CHARS)) for f in frags)
    rows, rest = build_tables(reader, page, frags, state)
    lines = _group_lines(rest, number)
    lines = _drop_furniture(lines, float(page.mediabox.height))
    _measure(lines)
    items = [Item("line", ln.y, line=ln) for ln in lines] + [Item("row", y, row=text) for y, text in rows]
    items.sort(key=lambda it: -it.y)  # stable: rows of one table keep their order
    return items, chars


def _group_lines(frags: list[Frag], page: int) -> list[Line]:
    """Fragments on the same baseline form a line; lines top to bottom, fragments left to right."""
    ordered = sorted(frags, key=lambda f: -f.y)
    groups: list[list[Frag]] = []
    for frag in ordered:
        if groups and abs(groups[-1][0].y - frag.y) <= 0.45 * max(frag.size, groups[-1][0].size):
            groups[-1].append(frag)
        else:
            groups.append([frag])
    lines = []
    for group in groups:
        group.sort(key=lambda f: f.x)  # stable: same-x fragments keep stream order
        cursor = group[0].x
        text = ""
        gapped = False
        for frag in group:
            start = max(frag.x, cursor)
            if text and frag.x > cursor + frag.size * 2.5:
                gapped = True
                if not text.endswith(" "):
                    text += " "  # visible gap between pieces of one line
            text += frag.text
            cursor = start + est_width(frag.text, frag.size)
        size = Counter(round(f.size, 1) for f in group).most_common(1)[0][0]
        lines.append(Line(page, group[0].x, group[0].y, size, text, cursor, gapped=gapped))
    return lines


def _drop_furniture(lines: list[Line], height: float) -> list[Line]:
    """Page numbers ("— 3 —", "- 3 -", "第3页", a lone number at top or bottom) are not content."""
    content = [i for i, ln in enumerate(lines) if ln.text.strip(_INDENT_CHARS)]
    edge = set(content[:1] + content[-1:])
    kept = []
    for i, ln in enumerate(lines):
        text = ln.text.strip()
        if _DASHED_NUMBER.match(text):
            continue
        near_edge = ln.y > height * 0.85 or ln.y < height * 0.15
        if i in edge and near_edge and _PAGE_FURNITURE.match(text):
            continue
        kept.append(ln)
    return kept


def _measure(lines: list[Line]) -> None:
    """Mark lines that end well before the page's usual right edge, and indented lines."""
    long = [ln for ln in lines if len(ln.text.strip(_INDENT_CHARS)) >= 8]
    if not long:
        long = lines
    if not long:
        return
    rights = sorted(ln.right for ln in long)
    full_right = rights[int(0.8 * (len(rights) - 1))]
    margin = Counter(round(ln.x0) for ln in long).most_common(1)[0][0]
    margin = min(margin, min(ln.x0 for ln in long) + 2) if len(long) < 4 else margin
    for ln in lines:
        ln.short = ln.right < full_right - 1.5 * ln.size
        lead = len(ln.text) - len(ln.text.lstrip(_INDENT_CHARS))
        ln.indented = ln.x0 > margin + 1.2 * ln.size or lead >= 1
        ln.centered = (
            ln.x0 > margin + 2.5 * ln.size and abs((ln.x0 - margin) - (full_right - ln.right)) < 3 * ln.size
        )
        ln.fill = (ln.right - margin) / max(full_right - margin, 1.0)


def _continues(prev: Line, line: Line, para: str = "") -> bool:
    """Whether `line` is the wrapped continuation of the paragraph (`para`, ending with `prev`)."""
    p = prev.text.rstrip(_INDENT_CHARS)
    t = line.text.strip(_INDENT_CHARS)
    if not p or not t or prev.gapped or line.gapped:
        return False
    if t[0] in _CLOSING_START:
        return True
    if _LABEL_ONLY.match(p):
        return True  # "1." or "（一）" alone on a line: the clause text follows
    if _NUMBERED.match(t):
        return False
    if p[-1] in _CONTINUING_END:
        return True
    if _ends_paragraph(p):
        return not (prev.short or line.indented)
    if _title_pair(prev, line):
        return True
    if line.indented:
        return False
    if prev.short:
        if p[-1] == "%" or (p[-1].isascii() and p[-1].isalnum()):
            # "到 2025" + "年，……": the generator pushed the word after a number to the next line.
            return t[0] in _UNIT_START or prev.fill >= 0.5 or any(ch in (para or p) for ch in "。，；、")
        return _has_sentence(p)
    return True


def _spurious_break(prev: Line, line: Line) -> bool:
    """A blank line inside a sentence (the line stops mid-word) is a layout artefact."""
    p = prev.text.rstrip(_INDENT_CHARS)
    return bool(p) and not line.indented and not _ends_paragraph(p) and (not prev.short or _has_sentence(p))


def _has_sentence(text: str) -> bool:
    """Body text carries sentence punctuation; headings and titles usually do not."""
    return any(ch in text for ch in "。，；")


def _title_pair(prev: Line, line: Line) -> bool:
    """A centred title broken over two lines of the same size."""
    return (
        prev.centered and line.centered and abs(prev.size - line.size) < 0.5 and not _has_sentence(prev.text)
    )


def _ends_paragraph(text: str) -> bool:
    last = text[-1]
    if last in _TERMINAL_END:
        return True
    if last in "”’）)" and len(text) >= 2 and text[-2] in _TERMINAL_END | {"。"}:
        return True
    return False


def _assemble(items: list[Item]) -> str:
    """Join wrapped lines (also across page breaks) into one line per paragraph."""
    out: list[str] = []
    current = ""
    prev: Line | None = None
    sep = False

    def flush() -> None:
        nonlocal current
        if current.strip(_INDENT_CHARS):
            out.append(current.strip(_INDENT_CHARS))
        current = ""

    for item in items:
        if item.kind == "page":
            continue
        if item.kind == "row":
            flush()
            out.append(item.row)
            prev, sep = None, False
            continue
        line = item.line
        assert line is not None
        if not line.text.strip(_INDENT_CHARS):
            sep = True
            continue
        if prev is not None and _continues(prev, line, current) and (not sep or _spurious_break(prev, line)):
            current = _join(current, line.text.strip(_INDENT_CHARS))
        else:
            flush()
            current = line.text.strip(_INDENT_CHARS)
        prev, sep = line, False
    flush()
    return "\n".join(out) + "\n"


def _join(left: str, right: str) -> str:
    """Chinese wraps join with nothing between; a Latin word or number wrap keeps one space."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalnum()
        and right[0].isascii()
        and right[0].isalnum()
    ):
        return left + " " + right
    return left + right
