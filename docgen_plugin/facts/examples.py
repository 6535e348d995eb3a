"""Python examples in docstrings and pages: doctest sessions, fenced and directive blocks.

Plain text functions, shared by the checks (DG204 parses the examples, never runs them) and
the usage sections (an object's own example is the best one to show).
"""

from __future__ import annotations

import re
import textwrap

PYTHON_INFOS = frozenset({"python", "py", "python3", "py3", "pycon", "ipython", "pyi"})


def is_doctest(code: str) -> bool:
    return any(line.lstrip().startswith(">>>") for line in code.splitlines())


def doctest_source(code: str) -> tuple[str, list[int]]:
    """The code of a doctest block and, per code line, its line in the block (1-based)."""
    lines: list[str] = []
    origin: list[int] = []
    indent = 0
    for number, raw in enumerate(code.splitlines(), start=1):
        stripped = raw.lstrip()
        if stripped.startswith(">>>"):
            indent = len(raw) - len(stripped)
            lines.append(stripped[4:] if stripped.startswith(">>> ") else stripped[3:])
            origin.append(number)
        elif stripped.startswith("...") and lines and raw[indent:].startswith("..."):
            rest = raw[indent:]
            lines.append(rest[4:] if rest.startswith("... ") else rest[3:])
            origin.append(number)
        # anything else is expected output
    return "\n".join(lines), origin


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_CODE_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:code-block|code|sourcecode)::\s*(\w*)")


def example_blocks(text: str) -> list[tuple[str, int, str]]:
    """Python examples of a docstring: (code, its first line in the text, language).

    A doctest session is one namespace, so all its `>>>` lines form one block; fenced and
    `.. code-block::` blocks without prompts are blocks of their own."""
    blocks: list[tuple[str, int, str]] = []
    if is_doctest(text):  # a `>>>` at a line start, not one named in prose
        blocks.append((text, 1, "pycon"))
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence, directive = _FENCE.match(lines[i]), _CODE_DIRECTIVE.match(lines[i])
        if fence:
            language = fence.group(3).lower()
            end = next((j for j in range(i + 1, len(lines))
                        if lines[j].strip().startswith(fence.group(2))), len(lines))
            body = "\n".join(lines[i + 1:end])
            if (not language or language in PYTHON_INFOS) and ">>>" not in body:
                blocks.append((textwrap.dedent(body), i + 2, language))
            i = end + 1
            continue
        if directive and (directive.group(2) or "python").lower() in PYTHON_INFOS:
            indent = len(directive.group(1))
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or
                                      len(lines[j]) - len(lines[j].lstrip()) > indent):
                j += 1
            body = "\n".join(lines[i + 1:j])
            if ">>>" not in body and body.strip():
                first = next(k for k in range(i + 1, j) if lines[k].strip())
                blocks.append((textwrap.dedent("\n".join(lines[first:j])), first + 1,
                               directive.group(2) or "python"))
            i = j
            continue
        i += 1
    return blocks


def doctest_sessions(text: str) -> list[str]:
    """The `>>>` sessions of a text, each with its output lines, dedented; prose left out."""
    sessions: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.lstrip().startswith(">>>") or (current and line.strip()):
            current.append(line)
        elif current:
            sessions.append(textwrap.dedent("\n".join(current)))
            current = []
    if current:
        sessions.append(textwrap.dedent("\n".join(current)))
    return sessions
