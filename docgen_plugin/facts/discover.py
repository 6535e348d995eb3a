"""Which files to read: Python modules with their dotted names, and config files.

A path may be a package folder, a folder holding packages (`src/`, `examples/`), a single
module, or an importable name (found with `importlib.util.find_spec`, never imported).
"""

from __future__ import annotations

import fnmatch
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from docgen_plugin.errors import SourceError
from docgen_plugin.facts.model import Diagnostic
from docgen_plugin.files import os_error_message, os_error_reason

CONFIG_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
_SKIP_DIRS = {"__pycache__", "node_modules", "site", "_build", "build", "dist"}
_SKIP_CONFIG_NAMES = {"pyproject.toml", "package.json", "package-lock.json", "mkdocs.yml",
                      "mkdocs.yaml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml"}
MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class SourceFile:
    path: Path
    module: str  # dotted module name ("pkg.sub.mod"; "pkg.sub" for an __init__.py)
    display: str  # the path as findings show it


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def module_name(path: Path) -> str:
    """Dotted name: walk up through folders that are packages (hold an __init__.py)."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.parent.name


def _excluded(path: Path, root: Path, exclude: tuple[str, ...]) -> bool:
    rel = _display(path, root)
    return any(fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern)
               for pattern in exclude)


def resolve_target(target: str, root: Path) -> Path:
    """A path as given, else the folder of an importable package/module of that name."""
    path = Path(target)
    if not path.is_absolute():
        path = root / path if (root / path).exists() else path
    if path.exists():
        return path
    if target.replace(".", "").replace("_", "").isalnum():
        top = target.split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin not in (None, "built-in", "frozen"):
            base = Path(spec.origin)
            base = base.parent if base.name == "__init__.py" else base
            rest = target.split(".")[1:]
            candidate = base.joinpath(*rest)
            for option in (candidate, candidate.with_suffix(".py")):
                if option.exists():
                    return option
    raise SourceError(f"{target}: no such file, folder or importable package; check the path",
                      target)


def _walk(folder: Path, unreadable: list[tuple[Path, OSError]]) -> list[Path]:
    """Files under a folder; folders that cannot be listed go to `unreadable`."""
    try:
        children = sorted(folder.iterdir())
    except OSError as error:
        unreadable.append((folder, error))
        return []
    files: list[Path] = []
    for child in children:
        if child.name.startswith(".") or child.name in _SKIP_DIRS or child.name.endswith(".egg-info"):
            continue
        if child.is_dir() and not child.is_symlink():
            files.extend(_walk(child, unreadable))
        elif child.is_file():
            files.append(child)
    return files


def unreadable_diagnostic(path: Path, display: str, error: OSError) -> Diagnostic:
    """DG007 for a file or folder under a checked tree that cannot be read."""
    what = "folder" if path.is_dir() else "file"
    return Diagnostic("DG007", f"cannot read this {what} ({os_error_reason(error)}); "
                      f"{'its files are' if what == 'folder' else 'it is'} not checked", display)


def discover(
    targets: tuple[str, ...] | list[str], root: Path, exclude: tuple[str, ...] = ()
) -> tuple[list[SourceFile], list[SourceFile], list[Diagnostic]]:
    """Python sources and config files under the targets, each once, in a stable order, and a
    DG007 diagnostic for each folder under them that cannot be listed."""
    python: dict[Path, SourceFile] = {}
    configs: dict[Path, SourceFile] = {}
    unreadable: list[tuple[Path, OSError]] = []
    for target in targets:
        path = resolve_target(target, root)
        before = len(unreadable)
        files = _walk(path, unreadable) if path.is_dir() else [path]
        if unreadable[before:] and unreadable[before][0] == path:  # the folder the user named
            raise SourceError(f"cannot read {os_error_message(unreadable[before][1], target)}",
                              target)
        for file in files:
            if _excluded(file, root, exclude):
                continue
            key = file.resolve()
            if file.suffix == ".py":
                python.setdefault(key, SourceFile(file, module_name(file), _display(file, root)))
            elif (
                file.suffix in CONFIG_SUFFIXES
                and file.name not in _SKIP_CONFIG_NAMES
                and file.stat().st_size <= MAX_CONFIG_BYTES
            ):
                configs.setdefault(key, SourceFile(file, "", _display(file, root)))
    diagnostics = {_display(p, root): unreadable_diagnostic(p, _display(p, root), e)
                   for p, e in unreadable  # an excluded folder: one whose files are excluded
                   if not _excluded(p, root, exclude) and not _excluded(p / "x", root, exclude)}
    return list(python.values()), list(configs.values()), list(diagnostics.values())
