"""Config files (YAML, JSON, TOML): keys, values and the line of each key, nested.

Each file is matched to the config class it belongs to: a mapping in settings, a `_target_`
key (Hydra), or the best match of its keys on the fields of the loaded config classes.
A file that does not parse is a DG004 diagnostic with its line, never a crash.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from typing import Any

import yaml

from docgen_plugin.facts.discover import CONFIG_SUFFIXES, SourceFile, unreadable_diagnostic
from docgen_plugin.facts.model import ConfigFileFacts, ConfigKey, Diagnostic, Facts, ObjectFacts
from docgen_plugin.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MIN_SCORE = 0.6
_TOML_LINE = re.compile(r"at line (\d+)")
IGNORED_KEYS = {"_target_", "defaults", "_partial_", "_recursive_", "_convert_"}


class ConfigFileError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_config_text(text: str, fmt: str) -> Any:
    """The file's data; ConfigFileError with the line for malformed input."""
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "toml":
            return tomllib.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise ConfigFileError(f"invalid JSON: {error.msg}", error.lineno) from error
    except tomllib.TOMLDecodeError as error:
        match = _TOML_LINE.search(str(error))
        raise ConfigFileError(f"invalid TOML: {error}", int(match.group(1)) if match else 1) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigFileError(f"invalid YAML: {problem}", (mark.line + 1) if mark else 1) from error
    except (RecursionError, ValueError) as error:
        raise ConfigFileError(f"cannot read {fmt.upper()}: {error}", 1) from error


MAX_KEYS = 20_000  # a YAML alias bomb expands exponentially; real configs are far smaller


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings as (dotted key, value) pairs, in document order.

    At most MAX_KEYS keys are read and a mapping that contains itself (a recursive YAML
    alias) is not entered again, so a hostile file cannot make this explode.
    """
    pairs: list[tuple[str, Any]] = []
    ancestors: set[int] = set()

    def walk(node: Any, head: str) -> None:
        if not isinstance(node, dict) or id(node) in ancestors:
            return
        ancestors.add(id(node))
        for key, value in node.items():
            if len(pairs) >= MAX_KEYS:
                break
            dotted = f"{head}{key}"
            pairs.append((dotted, value if not isinstance(value, dict) else None))
            walk(value, dotted + ".")
        ancestors.discard(id(node))

    walk(data, prefix)
    return pairs


def key_lines(text: str, keys: list[str], fmt: str) -> list[int]:
    """The line of each key, found in document order after the previous one."""
    lines = text.splitlines()
    position = 0
    result = []
    for dotted in keys:
        leaf = re.escape(dotted.rsplit(".", 1)[-1])
        if fmt == "json":
            pattern = re.compile(rf'"{leaf}"\s*:')
        elif fmt == "toml":
            pattern = re.compile(rf"^\s*(\[+\s*)?([\w.\"-]*\.)?[\"']?{leaf}[\"']?\s*(=|\]|\.)", re.M)
        else:
            pattern = re.compile(rf"^\s*(-\s+)?[\"']?{leaf}[\"']?\s*:", re.M)
        match = pattern.search(text, position) or pattern.search(text)
        if match:
            position = match.end()
            result.append(text.count("\n", 0, match.start()) + 1)
        else:
            result.append(1)
    return result if lines else [1] * len(keys)


def read_config_file(source: SourceFile) -> ConfigFileFacts:
    fmt = CONFIG_SUFFIXES[source.path.suffix]
    try:
        text = source.path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigFileError("not valid UTF-8; save the file as UTF-8", 1) from error
    data = parse_config_text(text, fmt)
    pairs = flatten(data)
    lines = key_lines(text, [k for k, _ in pairs], fmt)
    keys = tuple(ConfigKey(k, v, line) for (k, v), line in zip(pairs, lines))
    return ConfigFileFacts(file=source.display, format=fmt, keys=keys)  # type: ignore[arg-type]


def match_config_class(
    config: ConfigFileFacts, facts: Facts, settings: Settings
) -> ConfigFileFacts:
    """The config file with the class it belongs to filled in, when one is found."""
    from dataclasses import replace

    for pattern, class_path in settings.config_files.items():
        if fnmatch.fnmatch(config.file, pattern):
            return replace(config, config_class=class_path, match_reason="settings", match_score=1.0)
    target = next((k.value for k in config.keys if k.key == "_target_"), None)
    if isinstance(target, str):
        obj = facts.find(target)
        return replace(config, config_class=obj.path if obj else target, match_reason="_target_",
                       match_score=1.0)
    best: tuple[float, int, str, str] | None = None
    prefixes = [""] + [k.key + "." for k in config.keys if k.value is None]
    for prefix in prefixes:
        names = {k.key[len(prefix):] for k in config.keys
                 if k.key.startswith(prefix) and "." not in k.key[len(prefix):]} - IGNORED_KEYS
        if not names:
            continue
        for cls in facts.configs:
            score, hits = _score(names, cls)
            candidate = (score, hits, prefix.rstrip("."), cls.path)
            if score >= MIN_SCORE and (hits >= 2 or len(names) == 1) and (
                best is None or candidate[:2] > best[:2]
            ):
                best = candidate
    if best is None:
        return config
    return replace(config, config_class=best[3], match_reason="fields",
                   match_score=round(best[0], 3), prefix=best[2])


def _score(names: set[str], cls: ObjectFacts) -> tuple[float, int]:
    fields = {f.name for f in cls.fields}
    hits = len(names & fields)
    return hits / len(names), hits


def read_config_files(
    sources: list[SourceFile], facts: Facts, settings: Settings
) -> tuple[list[ConfigFileFacts], list[Diagnostic]]:
    out, diagnostics = [], []
    for source in sources:
        try:
            config = read_config_file(source)
        except ConfigFileError as error:
            diagnostics.append(Diagnostic("DG004", f"{error}; fix the file", source.display,
                                          error.line))
            continue
        except OSError as error:
            diagnostics.append(unreadable_diagnostic(source.path, source.display, error))
            continue
        out.append(match_config_class(config, facts, settings))
    return out, diagnostics
