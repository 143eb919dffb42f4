"""policykb: an offline knowledge base for Chinese government policy documents."""

from __future__ import annotations

__version__ = "0.1.0"
