"""DOCX: body paragraphs and tables in document order, merged table cells filled in."""

from __future__ import annotations

import io

from kb.errors import ReadError
from kb.readers.result import ReadResult
from kb.readers.safezip import open_checked_zip
from kb.readers.tables import fill_grid, row_line

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, name: str) -> ReadResult:
    """Read a DOCX after the zip-bomb checks; headers and footers (page furniture) are left out."""
    with open_checked_zip(data, name) as zf:
        if "word/document.xml" not in zf.namelist():
            raise ReadError(name, "压缩包中没有 word/document.xml，不是 Word（DOCX）文档")
    try:
        import docx  # python-docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ReadError(name, "缺少 python-docx，无法读取 DOCX") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
    except (PackageNotFoundError, KeyError, ValueError, AttributeError) as exc:
        raise ReadError(name, f"DOCX 文件已损坏，无法解析（{exc.__class__.__name__}）") from exc
    except Exception as exc:  # lxml.etree.XMLSyntaxError and friends
        raise ReadError(name, f"DOCX 文件已损坏，XML 无法解析（{exc.__class__.__name__}）") from exc
    warnings: list[str] = []
    lines: list[str] = []
    _walk_block(body, lines, warnings)
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        raise ReadError(name, "DOCX 文档中没有任何文字内容（可能只有图片，需要先进行 OCR 文字识别）")
    return ReadResult(text=text + "\n", fmt="docx", warnings=warnings)


def _walk_block(parent, lines: list[str], warnings: list[str]) -> None:
    """Body, cell or content-control children: paragraphs and tables, in order."""
    for child in parent.iterchildren():
        tag = child.tag
        if tag == _W + "p":
            lines.append(paragraph_text(child).replace("\t", " "))
        elif tag == _W + "tbl":
            lines.extend(_table_lines(child))
        elif tag in (_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "ins", _W + "smartTag"):
            inner = child.find(_W + "sdtContent") if tag == _W + "sdt" else child
            if inner is not None:
                _walk_block(inner, lines, warnings)


def paragraph_text(p) -> str:
    """Text of one w:p: runs, tabs and breaks, including hyperlinks and tracked insertions."""
    parts: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == _W + "t" and el.text:
            parts.append(el.text)
        elif tag == _W + "tab" and el.getparent().tag == _W + "r":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "delText":
            continue
    return "".join(parts)


def _cell_text(tc) -> str:
    """A cell's paragraphs (and nested tables) joined by spaces, so the row stays one line."""
    lines: list[str] = []
    _walk_block(tc, lines, [])
    return " ".join(s.strip() for s in " ".join(lines).split("\n") if s.strip())


# no policy table is wider than this; a larger gridSpan is a malformed or hostile file
MAX_COLUMNS = 64


def _table_lines(tbl) -> list[str]:
    """One line per w:tr; gridSpan repeats a cell across columns, vMerge repeats it downwards."""
    rows: list[list[tuple[str, int, int]]] = []
    vmerge: list[list[str | None]] = []  # per row, per grid column: "restart" / "continue" / None
    for tr in tbl.iterchildren(_W + "tr"):
        cells: list[tuple[str, int, int]] = []
        marks: list[str | None] = []
        trpr = tr.find(_W + "trPr")
        before = min(_int_val(trpr.find(_W + "gridBefore")), MAX_COLUMNS) if trpr is not None else 0
        for _ in range(before):
            cells.append(("", 1, 1))
            marks.append(None)
        for tc in tr.iterchildren(_W + "tc", _W + "sdt"):
            if tc.tag == _W + "sdt":
                content = tc.find(_W + "sdtContent")
                inner = list(content.iterchildren(_W + "tc")) if content is not None else []
            else:
                inner = [tc]
            for cell in inner:
                tcpr = cell.find(_W + "tcPr")
                span = 1
                mark = None
                if tcpr is not None:
                    span = min(max(1, _int_val(tcpr.find(_W + "gridSpan")) or 1), MAX_COLUMNS)
                    vm = tcpr.find(_W + "vMerge")
                    if vm is not None:
                        mark = vm.get(_W + "val") or "continue"
                cells.append((_cell_text(cell), 1, span))
                marks.extend([mark] * span)
        rows.append(cells)
        vmerge.append(marks)
    grid = fill_grid(rows)
    for r in range(1, len(grid)):
        for c, mark in enumerate(vmerge[r]):
            if mark == "continue" and c < len(grid[r]) and not grid[r][c].strip():
                grid[r][c] = grid[r - 1][c]
    return [row_line(row) for row in grid if any(cell.strip() for cell in row)]


def _int_val(el) -> int:
    if el is None:
        return 0
    try:
        return int(el.get(_W + "val", "0"))
    except ValueError:
        return 0
