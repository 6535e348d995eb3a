"""The CLI under random option values and paths: never a traceback, exit codes only 0/1/2, and
the checked sources never change (issue 20).

In-process `main()` (a subprocess per example would cost 0.2 s); `draft` asks only for the
deterministic parameter table and `finetune` is left out, so no example loads a model.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docgen_plugin.cli import main

MODULE = '''
def scale(x: float, factor: float = 2.0) -> float:
    """Scale a value.

    Args:
        x (float): The value.
        factor (float): The factor. Defaults to 3.0.
    """
    return x * factor
'''
PATHS = ["pkg", "pkg/ops.py", "pkg/configs/train.yaml", "docs", "docs/page.md", "latin1.md",
         "file.txt", "file.txt/below", "missing", "missing/deeper/out.txt", "new-folder",
         "dangling", "", ".", "..", "-", "--", "é ü/ß", "a b.md", "x" * 300, "pkg/../pkg",
         "corpus-out", "pyproject.toml"]
path = st.sampled_from(PATHS) | st.text(alphabet="ab./-_ é", max_size=12)
# where a command writes: anywhere but the package (asked to, `--write pkg/ops.py` would write it)
output = path.filter(lambda p: not p.lstrip("./").startswith("pkg"))
codes = st.text(alphabet="DG0123456789,. x", max_size=12)


def write_project(root: Path) -> None:
    (root / "pkg" / "configs").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "ops.py").write_text(MODULE.lstrip(), encoding="utf-8")
    (root / "pkg" / "configs" / "train.yaml").write_text("hidden: 8\n", encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "page.md").write_text("# Ops\n\n`pkg.ops.scale` scales.\n", encoding="utf-8")
    (root / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    (root / "file.txt").write_text("mine\n", encoding="utf-8")
    (root / "dangling").symlink_to("nowhere/at/all")


def sources(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "pkg").rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def check_args() -> st.SearchStrategy[list[str]]:
    options = st.fixed_dictionaries({}, optional={
        "--format": st.sampled_from(["text", "json", "github", "sarif", "xml", ""]),
        "--select": codes, "--ignore": codes,
        "--docstring-style": st.sampled_from(["auto", "google", "numpy", "sphinx", "rst"]),
        "--exclude": st.text(alphabet="*?[]ab/.", max_size=8),
        "--baseline": output, "-o": output,
        "--changed-since": st.sampled_from(["HEAD", "origin/main", "nope", "-x", ""]),
    })
    flags = st.lists(st.sampled_from(["--no-cache", "--update-baseline"]), unique=True)
    return st.tuples(st.lists(path, max_size=3), options, flags).map(
        lambda t: ["check", *t[0], *[x for kv in t[1].items() for x in kv], *t[2]])


def draft_args() -> st.SearchStrategy[list[str]]:
    return st.tuples(
        st.lists(st.sampled_from(["pkg.ops.scale", "pkg.ops", "scale", "pkg.nope", "", "-"]),
                 max_size=2),
        st.lists(path, max_size=2),
        st.none() | output,
        st.lists(st.sampled_from(["--force", "--update", "--refresh", "--explain"]), unique=True),
    ).map(lambda t: ["draft", *t[0], *[x for s in t[1] for x in ("--source", s)],
                     "--section", "parameters", *(["--write", t[2]] if t[2] is not None else []),
                     *t[3]])


def other_args() -> st.SearchStrategy[list[str]]:
    rule = st.tuples(st.just("rule"), st.none() | codes).map(
        lambda t: ["rule"] + ([t[1]] if t[1] is not None else []))
    corpus = st.tuples(st.lists(path, min_size=1, max_size=2), output, st.booleans()).map(
        lambda t: ["corpus", *t[0], "-o", t[1], *(["--force"] if t[2] else [])])
    model = st.tuples(st.none() | path, st.none() | path).map(
        lambda t: ["model", "info", *(["--model", t[0]] if t[0] is not None else []),
                   *(["--adapter", t[1]] if t[1] is not None else [])])
    return rule | corpus | model


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=check_args() | draft_args() | other_args(), verbose=st.booleans())
def test_random_options_and_paths_never_crash(project: Path, args: list[str], verbose: bool) -> None:
    before = sources(project)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main((["-v"] if verbose else []) + args)
        except SystemExit as exit_:  # argparse: usage errors and --help
            code = exit_.code if isinstance(exit_.code, int) else 2
    text = err.getvalue()
    assert code in (0, 1, 2), (args, code, text)
    if not verbose:
        assert "Traceback" not in text, (args, text)
    assert "internal error" not in text, (args, text)
    if code == 2:
        last = text.strip().splitlines()[-1] if text.strip() else ""
        assert re.match(r"docgen( \w+)*: error: ", last), (args, text)
    assert sources(project) == before, args  # the checked code is never written
    for leftover in project.rglob(".*.tmp"):  # an atomic write that did not clean up
        pytest.fail(f"temporary file left: {leftover} after {args}")
    os.chdir(project)  # a command must not move the working folder either
