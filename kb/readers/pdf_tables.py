"""Tables drawn in a PDF as cell rectangles, rebuilt as rows of cell texts.

Why rectangles: cell text wraps inside its cell, and pypdf's plain text interleaves the wrapped
pieces of neighbouring cells; the drawn cells tell exactly which piece belongs where.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from kb.readers.tables import row_line

_SERIAL = re.compile(r"^\s*\d{1,4}\s*$")
# cell rectangles on one page beyond which no table is rebuilt (the real maximum, Ganzhou PDF: 75)
MAX_RECTS = 3000


@dataclass
class Frag:
    """A piece of text as pypdf reports it, with its baseline origin in page space."""

    x: float
    y: float
    size: float
    text: str


@dataclass
class TableState:
    """Carried from page to page: a table continues on the next page with the same header."""

    header: str | None = None
    last_row: list[str] | None = None
    widest: int = -1


@dataclass
class _Rect:
    x0: float
    y0: float
    x1: float
    y1: float
    frags: list[Frag] = field(default_factory=list)

    def contains(self, x: float, y: float, tol: float = 1.0) -> bool:
        return self.x0 - tol <= x <= self.x1 + tol and self.y0 - tol <= y <= self.y1 + tol

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


def char_width(ch: str) -> float:
    """Approximate advance of a character in em: CJK is full width, Latin about half."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch == " ":
        return 0.3
    return 0.55


def est_width(text: str, size: float) -> float:
    return sum(char_width(ch) for ch in text) * size


def build_tables(
    reader, page, frags: list[Frag], state: TableState
) -> tuple[list[tuple[float, str]], list[Frag]]:
    """Return ((top y, row line) for each table row, fragments outside any table)."""
    rects = _cell_rects(reader, page)
    if len(rects) > MAX_RECTS:  # not a table anyone reads: the page is read as plain text
        state.last_row = None
        return [], frags
    if len(rects) < 4:
        state.last_row = None if not rects else state.last_row
        return [], frags
    width = float(page.mediabox.width)
    height = float(page.mediabox.height)
    rects = [r for r in rects if not (r.x1 - r.x0 > 0.9 * width and r.y1 - r.y0 > 0.8 * height)]
    rows: list[tuple[float, str]] = []
    used: set[int] = set()
    for cluster in _clusters(rects):
        # the page's first table may continue the one the page before ended with
        table_rows, inside = _table_rows(cluster, frags, state, continued=not rows)
        if table_rows is None:
            continue
        used.update(inside)
        rows.extend(table_rows)
    rest = [f for i, f in enumerate(frags) if i not in used]
    return rows, rest


def _cell_rects(reader, page) -> list[_Rect]:
    """Cell rectangles, with the current transformation applied: stroked ones (cell borders), and the
    clipping ones (`re W n`) some writers (WPS, Word) put around each cell's content while drawing the
    borders as separate rules; a lone clip (a page or a text box) makes no grid and is read as text."""
    from pypdf.generic import ContentStream

    contents = page.get_contents()
    if contents is None:
        return []
    ops = ContentStream(contents, reader).operations
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    pending: list[tuple[float, float, float, float]] = []
    clipping = False
    rects: list[_Rect] = []
    for operands, op in ops:
        if op == b"q":
            stack.append(ctm[:])
        elif op == b"Q":
            ctm = stack.pop() if stack else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif op == b"cm" and len(operands) == 6:
            a, b, c, d, e, f = (float(v) for v in operands)
            m = ctm
            ctm = [
                a * m[0] + b * m[2],
                a * m[1] + b * m[3],
                c * m[0] + d * m[2],
                c * m[1] + d * m[3],
                e * m[0] + f * m[2] + m[4],
                e * m[1] + f * m[3] + m[5],
            ]
        elif op == b"re" and len(operands) == 4:
            x, y, w, h = (float(v) for v in operands)
            pending.append((x, y, x + w, y + h))
        elif op in (b"S", b"s", b"B", b"B*", b"b", b"b*") or (op == b"n" and clipping):
            for x0, y0, x1, y1 in pending:
                px = [x0 * ctm[0] + y0 * ctm[2] + ctm[4], x1 * ctm[0] + y1 * ctm[2] + ctm[4]]
                py = [x0 * ctm[1] + y0 * ctm[3] + ctm[5], x1 * ctm[1] + y1 * ctm[3] + ctm[5]]
                r = _Rect(min(px), min(py), max(px), max(py))
                if r.x1 - r.x0 >= 4 and r.y1 - r.y0 >= 4:
                    rects.append(r)
            pending = []
            clipping = False
        elif op in (b"W", b"W*"):
            clipping = True
        elif op in (b"f", b"F", b"f*", b"n"):
            pending = []
            clipping = False
    unique: dict[tuple[int, int, int, int], _Rect] = {}
    for r in rects:
        unique.setdefault((round(r.x0), round(r.y0), round(r.x1), round(r.y1)), r)
    return list(unique.values())


_BUCKET = 24.0  # points: about one table row; rectangles are compared only within shared buckets


def _buckets(rects: list[_Rect], pad: float) -> dict[tuple[int, int], list[int]]:
    """Spatial hash: each rectangle (grown by `pad`) listed under every bucket it overlaps.

    Lets touching and containment be tested against near rectangles only, so a page of 60,000
    drawn rules costs time in proportion to its rules, not to their square.
    """
    grid: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(rects):
        bx0, bx1 = int((r.x0 - pad) // _BUCKET), int((r.x1 + pad) // _BUCKET)
        by0, by1 = int((r.y0 - pad) // _BUCKET), int((r.y1 + pad) // _BUCKET)
        for bx in range(bx0, bx1 + 1):
            for by in range(by0, by1 + 1):
                grid.setdefault((bx, by), []).append(i)
    return grid


def _clusters(rects: list[_Rect]) -> list[list[_Rect]]:
    """Rectangles that touch belong to one table."""
    parent = list(range(len(rects)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for members in _buckets(rects, 1.0).values():
        for k, i in enumerate(members):
            a = rects[i]
            for j in members[k + 1 :]:
                b = rects[j]
                if a.x0 <= b.x1 + 2 and b.x0 <= a.x1 + 2 and a.y0 <= b.y1 + 2 and b.y0 <= a.y1 + 2:
                    parent[find(i)] = find(j)
    groups: dict[int, list[_Rect]] = {}
    for i, r in enumerate(rects):
        groups.setdefault(find(i), []).append(r)
    return sorted(groups.values(), key=lambda g: -max(r.y1 for r in g))


def _cuts(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > 2.0:
            out.append(v)
    return out


def _table_rows(cluster: list[_Rect], frags: list[Frag], state: TableState, continued: bool = False):
    xs = _cuts([r.x0 for r in cluster] + [r.x1 for r in cluster])
    ys = _cuts([r.y0 for r in cluster] + [r.y1 for r in cluster])[::-1]  # top to bottom
    ncols, nrows = len(xs) - 1, len(ys) - 1
    if ncols < 2 or nrows < 2:
        return None, set()
    inside: set[int] = set()
    near = _buckets(cluster, 1.0)
    for i, frag in enumerate(frags):
        # the middle of the first glyph: a cell's text starts on its left border, which it shares with
        # the cell before (a merged column cell would otherwise take its neighbour's text)
        first = frag.text.lstrip()[:1] or " "
        px, py = frag.x + 0.5 * char_width(first) * frag.size, frag.y + frag.size * 0.3
        held = sorted(set(near.get((int(px // _BUCKET), int(py // _BUCKET)), ())))
        holders = [cluster[k] for k in held if cluster[k].contains(px, py)]
        if holders:
            min(holders, key=lambda r: r.area).frags.append(frag)
            inside.add(i)
    grid: list[list[_Rect | None]] = [[None] * ncols for _ in range(nrows)]
    row_mids = [-(ys[ri] + ys[ri + 1]) / 2 for ri in range(nrows)]  # ascending (ys runs top to bottom)
    col_mids = [(xs[ci] + xs[ci + 1]) / 2 for ci in range(ncols)]
    for r in sorted(cluster, key=lambda r: -r.area):  # smaller rects win
        rows = range(bisect_left(row_mids, -(r.y1 + 1)), bisect_right(row_mids, -(r.y0 - 1)))
        cols = range(bisect_left(col_mids, r.x0 - 1), bisect_right(col_mids, r.x1 + 1))
        for ri in rows:
            for ci in cols:
                grid[ri][ci] = r
    widths = [xs[i + 1] - xs[i] for i in range(ncols)]
    widest = widths.index(max(widths))
    texts = {id(r): _cell_text(r) for r in cluster}
    if continued and state.header is not None and state.last_row is not None and len(state.last_row) == ncols:
        _carry_over(grid, texts, state.last_row)
    out: list[tuple[float, str]] = []
    for ri in range(nrows):
        cells = [texts[id(r)] if r is not None else "" for r in grid[ri]]
        if not any(c.strip() for c in cells):
            continue
        owners = {id(r) for r in grid[ri] if r is not None}
        if len(owners) == 1 and ncols > 1:
            out.append((ys[ri], cells[0]))  # one cell across the table: a caption or section line
            state.last_row = None
            continue
        line = row_line(_one_per_cell(cells, grid[ri]))
        if out == [] and state.header == line:
            continue  # the header repeated on a continuation page
        if state.header is None or (not out and not _SERIAL.match(cells[0])):
            if not out and not _SERIAL.match(cells[0]) and sum(1 for c in cells if c) == ncols:
                state.header = line
                state.last_row = None
                state.widest = widest
                out.append((ys[ri], line))
                continue
        _fill_down(cells, widest, state)
        out.append((ys[ri], row_line(_one_per_cell(cells, grid[ri]))))
    return out, inside


def _carry_over(grid: list[list[_Rect | None]], texts: dict[int, str], previous: list[str]) -> None:
    """A table continued from the page before: the empty cells its top row starts with (grouping cells
    merged down across the page break, 三、本年度办理结果 / （四）无法提供) hold the text the last row
    before the break had in their columns, in every row they span. A writer may draw no cell at all
    for such a remainder: the column's undrawn run from the top is taken as the cell."""
    for ci, r in enumerate(grid[0]):
        if r is not None and texts[id(r)].strip():
            return
        if not previous[ci].strip():
            continue
        if r is None:
            r = _Rect(0.0, 0.0, 0.0, 0.0)
            for row in grid:
                if row[ci] is not None:
                    break
                row[ci] = r
        texts[id(r)] = previous[ci]


def _one_per_cell(cells: list[str], owners: list[_Rect | None]) -> list[str]:
    """A cell merged across columns is written once in its row (merged down, it is written in each row)."""
    return [c for ci, c in enumerate(cells) if ci == 0 or owners[ci] is None or owners[ci] is not owners[ci - 1]]


def _fill_down(cells: list[str], widest: int, state: TableState) -> None:
    """Merged grouping cells (工作任务) are often drawn per row but written once: repeat them.

    Only columns left of the widest (main-content) column are filled, and only when the cell is
    a gap between filled cells of a numbered row, so a genuinely empty last column stays empty.
    """
    filled = [i for i, c in enumerate(cells) if c.strip()]
    section = len(filled) == 1 and filled[0] == 0
    previous = state.last_row
    if section or not _SERIAL.match(cells[0]):
        state.last_row = None if section else cells[:]
        return
    if previous is not None and len(previous) == len(cells):
        for i in range(1, min(widest, len(cells))):
            if (
                not cells[i].strip()
                and previous[i].strip()
                and any(cells[j].strip() for j in range(i + 1, len(cells)))
            ):
                cells[i] = previous[i]
    state.last_row = cells[:]


def _cell_text(rect: _Rect) -> str:
    """Lines of one cell joined: a wrapped line joins directly, a deliberately short one with a space."""
    if not rect.frags:
        return ""
    frags = sorted(rect.frags, key=lambda f: -f.y)
    lines: list[list[Frag]] = []
    for f in frags:
        if lines and abs(lines[-1][0].y - f.y) <= 0.45 * f.size:
            lines[-1].append(f)
        else:
            lines.append([f])
    text = ""
    prev_full = True
    for group in lines:
        group.sort(key=lambda f: f.x)
        piece = ""
        cursor = group[0].x
        for f in group:
            start = max(f.x, cursor)
            if piece and f.x > cursor + f.size * 2.5:
                piece += " "
            piece += f.text
            cursor = start + est_width(f.text, f.size)
        piece = piece.strip()
        if not piece:
            continue
        if text:
            both_latin = (
                text[-1].isascii() and text[-1].isalnum() and piece[0].isascii() and piece[0].isalnum()
            )
            text += "" if prev_full and not both_latin else " "
        text += piece
        size = group[0].size
        prev_full = cursor + 1.2 * size >= rect.x1 - 1.0
    return text
