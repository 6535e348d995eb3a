"""One exception tree. Each carries a message for the user; the CLI prints it in one line, exit 2."""

from __future__ import annotations


class DocgenError(Exception):
    """Base of every error docgen raises on purpose."""


class SettingsError(DocgenError):
    """Invalid settings in `[tool.docgen]`, `mkdocs.yml`, `conf.py` or on the command line."""


class SourceError(DocgenError):
    """A path to check or document is missing or unreadable."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ModelError(DocgenError):
    """A model, adapter or model cache is missing, corrupt or not allowed (e.g. not safetensors)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class CacheError(DocgenError):
    """A cache that cannot be written (read errors are recovered from, never raised)."""


class CorpusError(DocgenError):
    """A corpus folder or one of its JSONL lines that cannot be read."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PathError(DocgenError):
    """A file or folder of the user's that cannot be read or written as asked: permissions,
    a folder where a file belongs, a file that is not UTF-8, a read-only page."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
