"""Names a package re-exports, loaded on first use: the package's `__getattr__` and `__dir__`.

Shared by `docgen_plugin` and `docgen_plugin.generate`, so that importing either costs nothing
until a name is used (no griffe, no torch at import time).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str], public: Iterable[str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` importing `exports[name]` (a module path) on first use, and `__dir__`."""
    names = list(public)

    def getattr_(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        return names

    return getattr_, dir_
