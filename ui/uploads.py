"""Upload intake: only files that arrived through this server's own upload route are ever read.

Gradio turns every ``{"path": ..., "meta": {"_type": "gradio.FileData"}}`` in an event payload into a
file in its cache before the handler runs: a local path is copied, a URL fetched. Mounted on FastAPI
(``gr.mount_gradio_app``), its own "was this uploaded?" check is skipped, so a client could name
``/etc/passwd`` or ``https://…`` and have it ingested. :func:`upload_only` makes a file component refuse, on the server,
anything that is not a regular file already inside the private upload folder this process created;
:func:`checked_upload_path` applies the same rule again in the handler.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import gradio as gr
from gradio_client import utils as client_utils

_UPLOAD_DIR: Path | None = None


def private_upload_dir() -> Path:
    """The folder Gradio writes uploads to: one per process, mode 0700, set before any Block exists."""
    global _UPLOAD_DIR
    if _UPLOAD_DIR is None:
        _UPLOAD_DIR = Path(tempfile.mkdtemp(prefix="policykb-uploads-")).resolve()
        os.environ["GRADIO_TEMP_DIR"] = str(_UPLOAD_DIR)
    return _UPLOAD_DIR


class UploadRefused(gr.Error):
    """A file reference that did not come from this server's upload route."""


def checked_upload_path(path: str | os.PathLike[str]) -> Path:
    """``path`` resolved, if it is a regular file (not a link) inside the private upload folder; else raise."""
    raw = os.fspath(path)
    if client_utils.is_http_url_like(raw) or "://" in raw:
        raise UploadRefused("只接受通过本页面上传的文件，不接受网址")
    root = private_upload_dir()
    candidate = Path(os.path.abspath(raw))
    try:
        info = os.lstat(candidate)
        resolved = candidate.resolve(strict=True)
    except OSError:
        raise UploadRefused("只接受通过本页面上传的文件：所指文件不存在") from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise UploadRefused("只接受通过本页面上传的普通文件")
    if not resolved.is_relative_to(root) or resolved == root:
        raise UploadRefused("只接受通过本页面上传的文件，不能读取服务器上的其他文件")
    return resolved


def upload_only(component: gr.File) -> gr.File:
    """Make ``component`` accept only files uploaded to this server, checked before Gradio copies them.

    Bound on the instance rather than by subclassing: a Gradio component subclass makes Gradio write a
    ``.pyi`` stub next to this module on every import.
    """

    async def async_move(url_or_file_path: str | Path | None) -> str | None:
        return None if url_or_file_path is None else str(checked_upload_path(url_or_file_path))

    def move(url_or_file_path: str | Path | None) -> str | None:
        return None if url_or_file_path is None else str(checked_upload_path(url_or_file_path))

    component.async_move_resource_to_block_cache = async_move  # type: ignore[method-assign]
    component.move_resource_to_block_cache = move  # type: ignore[method-assign]
    return component
