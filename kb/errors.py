"""Errors that reach users: each names the file or the problem, in Chinese."""

from __future__ import annotations


class PolicyKBError(Exception):
    """Base class; `str(error)` is a message fit to show a user."""


class ReadError(PolicyKBError):
    """A file could not be read as a policy document; nothing was stored."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"无法读取文件 {path}：{reason}")


class KBVersionError(PolicyKBError):
    """The KB on disk was written by another schema or model version."""


class QuestionError(PolicyKBError):
    """A question that cannot be answered as asked (empty, too long, ...)."""
