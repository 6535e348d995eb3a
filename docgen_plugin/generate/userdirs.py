"""Where docgen keeps per-user files (the converted default model), outside any project."""

from __future__ import annotations

import os
from pathlib import Path


def docgen_home() -> Path:
    """`$DOCGEN_HOME`, else `$XDG_CACHE_HOME/docgen`, else `~/.cache/docgen` (not created)."""
    explicit = os.environ.get("DOCGEN_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "docgen"


def models_dir() -> Path:
    """The folder holding converted models, one sub-folder per model and source hash."""
    return docgen_home() / "models"
