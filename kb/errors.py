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


class KBCorruptError(PolicyKBError):
    """The KB file on disk is damaged (empty, not SQLite, or a malformed page); nothing was replaced."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"知识库文件已损坏：{path}（{detail}）。原有数据未被覆盖；请从备份恢复该文件，"
            f"或删除该文件后重新导入文件（policykb ingest），或使用 --kb 指定新的目录。"
        )


class ParseLimitError(ReadError):
    """A file's parse exceeded the worker's CPU-time or memory limit; the message names the file."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.reason = message
        PolicyKBError.__init__(self, message)
