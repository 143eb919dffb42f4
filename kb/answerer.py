"""Kept for the faces and tests that import it: the answerer lives in kb.qa.answerer."""

from __future__ import annotations

from kb.qa.answerer import MAX_QUESTION_CHARS, Answerer, abbreviated_unit, timed_ask

__all__ = ["MAX_QUESTION_CHARS", "Answerer", "abbreviated_unit", "timed_ask"]
