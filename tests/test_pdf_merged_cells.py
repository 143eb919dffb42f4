"""PDF tables with merged cells (kb/readers/pdf_tables.py): a cell merged down is written in every row it
spans, a cell merged across is written once in its row, and a grouping cell merged across a page break
keeps its text on the next page. Cells are drawn the two ways real writers do: stroked rectangles, or
clipping rectangles around each cell's text with the borders drawn as separate rules (the 洪泽 report).
"""

from __future__ import annotations

import pytest

from eval.hostile_corpus import pdf_bytes
from kb.readers.pdf import read_pdf

COLS = (50.0, 170.0, 300.0, 400.0, 500.0)  # four columns
ROW = 20.0


def _cell(x0: float, y0: float, x1: float, y1: float, text: str, clip: bool) -> bytes:
    label = b"BT /F1 10 Tf %.1f %.1f Td (%s) Tj ET" % (x0 + 4, y0 + 6, text.encode("latin-1"))
    if not clip:
        return b"%.1f %.1f %.1f %.1f re S\n" % (x0, y0, x1 - x0, y1 - y0) + label
    rules = b"".join(b"%.1f %.1f m %.1f %.1f l S\n" % edge for edge in
                     ((x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)))
    return b"q %.1f %.1f %.1f %.1f re W n\n" % (x0, y0, x1 - x0, y1 - y0) + label + b"\nQ\n" + rules


def _page(cells: list[tuple[int, int, int, int, str]], top: float, clip: bool, title: str = "") -> bytes:
    """cells: (first row, rows spanned, first column, columns spanned, text); row 0 starts at `top`."""
    ops = [b"0.5 w"]
    if title:
        ops.append(b"BT /F1 12 Tf 50 780 Td (%s) Tj ET" % title.encode("latin-1"))
    for row, rows, col, cols, text in cells:
        y1 = top - row * ROW
        ops.append(_cell(COLS[col], y1 - rows * ROW, COLS[col + cols], y1, text, clip))
    return b"\n".join(ops)


HEADER = [(0, 1, 0, 1, "Part"), (0, 1, 1, 1, "Item"), (0, 1, 2, 1, "Count"), (0, 1, 3, 1, "Total")]
BODY = [
    (1, 3, 0, 1, "Results"),  # merged down over three rows
    (1, 1, 1, 1, "Opened"), (1, 1, 2, 1, "4"), (1, 1, 3, 1, "9"),
    (2, 1, 1, 1, "Refused"), (2, 1, 2, 1, "1"), (2, 1, 3, 1, "2"),
    (3, 1, 1, 1, "Withheld"), (3, 1, 2, 1, "0"), (3, 1, 3, 1, "5"),
    (4, 1, 0, 2, "Carried over"), (4, 1, 2, 1, "7"), (4, 1, 3, 1, "8"),  # merged across two columns
]


def _rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if "\t" in line]


@pytest.mark.parametrize("clip", [False, True], ids=["stroked", "clipped"])
def test_cell_merged_down_is_written_in_every_row(clip: bool) -> None:
    data = pdf_bytes([_page(HEADER + BODY, 700.0, clip, "Annual report on open government information")])
    rows = _rows(read_pdf(data, "merged.pdf").text)
    assert rows[0] == ["Part", "Item", "Count", "Total"]
    assert rows[1:4] == [["Results", "Opened", "4", "9"], ["Results", "Refused", "1", "2"],
                         ["Results", "Withheld", "0", "5"]]
    assert rows[4] == ["Carried over", "7", "8"]  # merged across: once, not once per column


def test_grouping_cell_merged_across_a_page_break_keeps_its_text() -> None:
    # the writer draws the merged cell's remainder on the next page as no cell at all (as the 洪泽 report does)
    first = _page(HEADER + [(1, 2, 0, 1, "Results")] + BODY[1:7], 700.0, clip=True, title="Annual report")
    rest = [(0, 1, 1, 1, "Withheld"), (0, 1, 2, 1, "0"), (0, 1, 3, 1, "5"),
            (1, 1, 1, 1, "Delayed"), (1, 1, 2, 1, "3"), (1, 1, 3, 1, "6"),
            (2, 1, 0, 1, "Next year"), (2, 1, 1, 1, "Pending"), (2, 1, 2, 1, "2"), (2, 1, 3, 1, "2")]
    second = _page(rest, 760.0, clip=True)
    rows = _rows(read_pdf(pdf_bytes([first, second]), "continued.pdf").text)
    assert ["Results", "Withheld", "0", "5"] in rows and ["Results", "Delayed", "3", "6"] in rows
    assert ["Next year", "Pending", "2", "2"] in rows  # a cell of its own ends the carried one


def test_lone_clipping_box_is_read_as_text() -> None:
    box = b"q 40 40 515 760 re W n\nBT /F1 10 Tf 50 700 Td (The council shall review the programme every year.) Tj ET\nQ"
    text = read_pdf(pdf_bytes([box]), "box.pdf").text
    assert "The council shall review the programme every year." in text and "\t" not in text
