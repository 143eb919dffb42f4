"""Turning table cells into the one-line-per-row convention shared by every reader."""

from __future__ import annotations

import re

_INNER_WS = re.compile(r"[\t\r\n\v\f]+")


def clean_cell(text: str) -> str:
    """A cell must not contain a tab or newline, or it would break the row convention."""
    return _INNER_WS.sub(" ", text).strip()


def row_line(cells: list[str]) -> str:
    """One table row as one line; an empty cell stays an empty string between tabs."""
    return "\t".join(clean_cell(c) for c in cells)


MAX_COLUMNS = 64
MAX_CELLS = 200_000


class TableTooLargeError(ValueError):
    """A table whose merged cells would expand past MAX_CELLS: malformed or hostile."""


def fill_grid(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Expand (text, rowspan, colspan) cells into a full grid, copying merged values.

    Why: downstream code reads a task row on its own, so a merged 工作任务 or 牵头单位
    cell must be repeated in every row it covers.
    """
    grid: dict[tuple[int, int], str] = {}
    width = 0
    n_rows = len(rows)
    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while (r, c) in grid:
                c += 1
            # a span never reaches past the table's own rows, nor wider than any real table
            down = min(max(rowspan, 1), n_rows - r)
            across = min(max(colspan, 1), MAX_COLUMNS)
            for dr in range(down):
                for dc in range(across):
                    grid.setdefault((r + dr, c + dc), text)
            c += across
            width = max(width, c)
            if len(grid) > MAX_CELLS:
                raise TableTooLargeError(f"more than {MAX_CELLS} cells")
    return [[grid.get((r, c), "") for c in range(width)] for r in range(n_rows)]
