"""The value every reader returns, kept apart so format modules need not import the package."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass
class ReadResult:
    """Plain text of one file: a paragraph per line, a table row per line (cells joined by tabs)."""

    text: str
    fmt: str  # "txt" | "pdf" | "docx" | "html"
    warnings: list[str] = field(default_factory=list)  # Chinese, user-facing
    pages: int | None = None
