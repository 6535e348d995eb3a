"""Bad paths, permissions, encodings and corrupt files (issue 20), through the real CLI.

Every case runs `python -m docgen_plugin.cli` in a subprocess (umask 022) and asserts its exit
code, its stderr line by line (an error is one line, never a traceback) and, for every file of
the project, its bytes, mode, owner and symlink after the run: only the files a case names may
change. The cases that held before issue 20 are here too, so that they stay held.

Permission cases need a user that file modes bind: as root, the command runs with every
capability dropped (`setpriv`), so uid 0 obeys modes like anyone; they are skipped, with the
reason, where that is impossible.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED_ADAPTER = REPO / "docgen_plugin" / "adapters" / "default"
SKIPPED = {".cache", ".home", "site", "__pycache__"}  # docgen's own caches and build output
NEW_FILE_MODE = 0o644  # 0o666 under the umask 022 every case runs with

MODULE = '''
def scale(x: float, factor: float = 2.0) -> float:
    """Scale a value.

    Args:
        x (float): The value.
        factor (float): The factor. Defaults to 2.0.
    """
    return x * factor
'''
STALE = MODULE.replace("Defaults to 2.0", "Defaults to 3.0")  # one DG103 finding
PAGE = ("# Scale\n\nBy hand.\n\n<!-- docgen:begin object=pkg.ops.scale section=parameters -->\n"
        "<!-- docgen:end -->\n")


# --- running docgen ------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@cache
def unprivileged_prefix() -> tuple[str, ...] | None:
    """How to run a command that file modes bind: () for a user that is not root, `setpriv`
    without capabilities for root, None when neither works."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = (setpriv, "--bounding-set=-all", "--inh-caps=-all")
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    return prefix if probe.returncode == 0 else None


def docgen(root: Path, *args: str | Path, unprivileged: bool = False,
           env: dict[str, str] | None = None) -> Result:
    prefix: tuple[str, ...] = ()
    if unprivileged:
        found = unprivileged_prefix()
        assert found is not None  # the case was skipped otherwise
        prefix = found
    command = [*prefix, "sh", "-c", 'umask 022 && exec "$0" "$@"', sys.executable, "-m",
               "docgen_plugin.cli", *map(str, args)]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
                   "DOCGEN_HOME": str(root / ".home"), **(env or {})}
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=environment,
                          check=False, timeout=300)
    return Result(done.returncode, done.stdout, done.stderr)


# --- the project and what the run may change -------------------------------------------------


def write(root: Path, relative: str, content: str | bytes, mode: int | None = None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    if mode is not None:
        path.chmod(mode)
    return path


def package(root: Path, source: str = MODULE) -> None:
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/ops.py", source)


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every user file and folder: mode, owner, and its link target, bytes, or `dir`."""
    state: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if SKIPPED & set(relative.parts):
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            body: object = ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            body = "dir"
        else:
            body = path.read_bytes()
        state[relative.as_posix()] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, body)
    return state


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@dataclass
class Case:
    """One bad input: `setup` writes the project and returns the arguments."""

    setup: Callable[[Path], list[str | Path]]
    code: int
    stderr: tuple[str, ...] = ()  # a regex per stderr line, in order; () means none at all
    stdout: str | None = None  # a regex stdout must contain
    changes: tuple[str, ...] = ()  # files this run may change or create (checked by `after`)
    after: Callable[[Path, Result], None] | None = None
    unprivileged: bool = False  # a permission case: run where file modes bind
    root_only: bool = False  # needs root to set up (another owner)
    env: dict[str, str] = field(default_factory=dict)


# -- files under the checked tree

def unreadable_folder(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pkg/secret/inner.py", MODULE)
    (root / "pkg" / "secret").chmod(0)
    return ["check", "pkg"]


def unreadable_file(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pkg/hidden.py", MODULE, mode=0)
    return ["check", "pkg"]


def unreadable_config(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pkg/configs/train.yaml", "hidden: 8\n", mode=0)
    return ["check", "pkg"]


def unreadable_target(root: Path) -> list[str | Path]:
    package(root)
    (root / "pkg").chmod(0)
    return ["check", "pkg"]


def excluded_unreadable_folder(root: Path) -> list[str | Path]:
    unreadable_folder(root)
    return ["check", "pkg", "--exclude", "pkg/secret/*"]


# -- check's report and settings

def report_in_missing_folder(root: Path) -> list[str | Path]:
    package(root, STALE)
    return ["check", "pkg", "-o", "reports/ci/out.txt"]


def report_onto_a_folder(root: Path) -> list[str | Path]:
    package(root, STALE)
    (root / "reports").mkdir()
    return ["check", "pkg", "-o", "reports"]


def report_under_a_file(root: Path) -> list[str | Path]:
    package(root, STALE)
    write(root, "reports", "a file\n")
    return ["check", "pkg", "-o", "reports/out.txt"]


def report_to_stdout(root: Path) -> list[str | Path]:
    package(root, STALE)
    return ["check", "pkg", "-o", "/dev/stdout"]


def docgen_not_a_table(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pyproject.toml", "[tool]\ndocgen = 5\n")
    return ["check", "pkg"]


def tool_not_a_table(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pyproject.toml", "tool = 5\n")
    return ["check", "pkg"]


# -- draft --write

def page_project(root: Path, page_mode: int = 0o664) -> Path:
    package(root)
    return write(root, "docs/scale.md", PAGE, mode=page_mode)


def write_args(page: str = "docs/scale.md", *extra: str) -> list[str | Path]:
    return ["draft", "--source", "pkg", "--write", page, *extra]


def written(relative: str, page_mode: int) -> Callable[[Path, Result], None]:
    def check(root: Path, result: Result) -> None:
        page = root / relative
        text = page.read_text(encoding="utf-8")
        assert text.startswith("# Scale\n\nBy hand.\n") and "| `factor` | `float` | `2.0` |" in text
        assert mode(page) == page_mode
    return check


def write_keeps_mode(root: Path) -> list[str | Path]:
    page_project(root, 0o664)
    return write_args()


def write_read_only(root: Path) -> list[str | Path]:
    page_project(root, 0o444)
    return write_args()


def write_read_only_forced(root: Path) -> list[str | Path]:
    page_project(root, 0o444)
    return write_args("docs/scale.md", "--force")


def write_through_symlink(root: Path) -> list[str | Path]:
    page_project(root, 0o640)
    (root / "docs" / "link.md").symlink_to("scale.md")
    return write_args("docs/link.md")


def link_stays_a_link(root: Path, result: Result) -> None:
    link = root / "docs" / "link.md"
    assert link.is_symlink() and os.readlink(link) == "scale.md"
    written("docs/scale.md", 0o640)(root, result)


def write_keeps_owner(root: Path) -> list[str | Path]:
    page = page_project(root, 0o664)
    os.chown(page, 65534, 65534)
    return write_args()


def owner_kept(root: Path, result: Result) -> None:
    written("docs/scale.md", 0o664)(root, result)
    info = (root / "docs" / "scale.md").stat()
    assert (info.st_uid, info.st_gid) == (65534, 65534)


def write_unwritable_folder(root: Path) -> list[str | Path]:
    page_project(root, 0o664)
    (root / "docs").chmod(0o555)
    return write_args()


def write_latin1_page(root: Path) -> list[str | Path]:
    package(root)
    write(root, "docs/scale.md", PAGE.replace("By hand.", "Café au lait.").encode("latin-1"))
    return write_args()


def write_onto_a_folder(root: Path) -> list[str | Path]:
    page_project(root)
    return ["draft", "pkg.ops.scale", "--section", "parameters", "--source", "pkg", "--write",
            "docs"]


def new_files_get_the_umask(root: Path) -> list[str | Path]:
    package(root)
    return ["draft", "pkg.ops.scale", "--section", "parameters", "--source", "pkg", "--write",
            "docs/new.md"]


def umask_modes(root: Path, result: Result) -> None:
    assert mode(root / "docs" / "new.md") == NEW_FILE_MODE
    caches = [p for p in (root / ".cache").rglob("*") if p.is_file()]
    assert caches and {mode(p) for p in caches} == {NEW_FILE_MODE}, caches  # not 0600


# -- adapters

def adapter_with(root: Path, damage: Callable[[Path], None]) -> Path:
    folder = root / "adapter"
    folder.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(SHIPPED_ADAPTER / name, folder / name)
    damage(folder)
    return folder


def truncate(folder: Path) -> None:
    weights = folder / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def garbage(folder: Path) -> None:
    (folder / "adapter_model.safetensors").write_bytes(os.urandom(4096))


def other_rank(folder: Path) -> None:
    config = folder / "adapter_config.json"
    config.write_text(config.read_text(encoding="utf-8").replace('"r": 16', '"r": 8'),
                      encoding="utf-8")


def model_info_with(damage: Callable[[Path], None]) -> Callable[[Path], list[str | Path]]:
    def setup(root: Path) -> list[str | Path]:
        adapter_with(root, damage)
        return ["model", "info", "--adapter", "adapter"]
    return setup


def model_folder_with_truncated_weights(root: Path) -> list[str | Path]:
    write(root, "model/config.json", "{}\n")
    weights = SHIPPED_ADAPTER / "adapter_model.safetensors"
    write(root, "model/model.safetensors", weights.read_bytes()[: weights.stat().st_size - 100])
    return ["model", "info", "--model", "model"]


def draft_with_truncated_adapter(root: Path) -> list[str | Path]:
    package(root)
    adapter_with(root, truncate)
    return ["draft", "pkg.ops.scale", "--section", "overview", "--source", "pkg", "--adapter",
            "adapter"]


# -- corpus and finetune outputs

def corpus_onto_a_file(root: Path) -> list[str | Path]:
    package(root)
    write(root, "out", "mine\n")
    return ["corpus", "pkg", "-o", "out"]


def finetune_onto_a_file(root: Path) -> list[str | Path]:
    write(root, "out", "mine\n")
    (root / "corpus").mkdir()
    return ["finetune", "corpus", "-o", "out"]


def eval_onto_a_file(root: Path) -> list[str | Path]:
    write(root, "out", "mine\n")
    (root / "corpus").mkdir()
    return ["eval", "corpus", "-o", "out", "--systems", "base"]


def corpus_into_a_foreign_folder(root: Path) -> list[str | Path]:
    package(root)
    write(root, "out/notes.txt", "mine\n")
    return ["corpus", "pkg", "-o", "out"]


def corpus_of_a_folder_without_init(root: Path) -> list[str | Path]:
    write(root, "scripts/ops.py", MODULE)
    return ["corpus", "scripts", "-o", "out"]


# -- source encodings (PEP 263)

LATIN1_MODULE = ("# -*- coding: latin-1 -*-\n" + MODULE.replace("Scale a value.", "Scale a café.")
                 + "\n\ndef shift(x, by=1):\n    \"\"\"Shift.\n\n    Args:\n        x: The value.\n"
                 "    \"\"\"\n    return x + by\n").encode("latin-1")


def latin1_with_coding_line(root: Path) -> list[str | Path]:
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/ops.py", LATIN1_MODULE)
    return ["check", "pkg"]


def unknown_coding_line(root: Path) -> list[str | Path]:
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/ops.py", b"# -*- coding: klingon -*-\n" + MODULE.encode())
    return ["check", "pkg"]


# -- held before issue 20

def syntax_error(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pkg/broken.py", "def f(:\n")
    return ["check", "pkg"]


def latin1_without_coding_line(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pkg/legacy.py", "# caf\xe9\nx = 1\n".encode("latin-1"))
    return ["check", "pkg"]


def corrupt_facts_cache(root: Path) -> list[str | Path]:
    package(root, STALE)
    assert docgen(root, "check", "pkg").code == 1  # writes the cache
    for cache_file in (root / ".cache" / "docgen").glob("facts-*.json"):
        cache_file.write_bytes(b"\x00{not json")
    return ["check", "pkg"]


def malformed_toml(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pyproject.toml", "[tool.docgen\nselect = 1\n")
    return ["check", "pkg"]


def unknown_option(root: Path) -> list[str | Path]:
    package(root)
    write(root, "pyproject.toml", '[tool.docgen]\nselekt = ["DG1"]\n')
    return ["check", "pkg"]


def missing_path(root: Path) -> list[str | Path]:
    return ["check", "no/such/pkg"]


def corrupt_baseline(root: Path) -> list[str | Path]:
    package(root, STALE)
    write(root, "baseline.json", "[1, 2]\n")
    return ["check", "pkg", "--baseline", "baseline.json"]


def finetune_corpus_not_utf8(root: Path) -> list[str | Path]:
    for split in ("train", "validation", "test"):
        write(root, f"corpus/{split}.jsonl", b'{"id": "caf\xe9"}\n')
    return ["finetune", "corpus", "-o", "adapter"]


def finetune_missing_corpus(root: Path) -> list[str | Path]:
    return ["finetune", "no-corpus", "-o", "adapter"]


ONE_LINE_ERROR = r"docgen: error: .*"
CASES = {
    # under the checked tree: a DG007 finding each, and the rest is still checked
    "unreadable-folder": Case(unreadable_folder, 1, unprivileged=True,
                              stdout=r"pkg/secret:1: DG007 cannot read this folder \(permission "
                                     r"denied.*\n.*Found 1 finding"),
    "unreadable-file": Case(unreadable_file, 1, unprivileged=True,
                            stdout=r"pkg/hidden.py:1: DG007 cannot read this file"),
    "unreadable-config-file": Case(unreadable_config, 1, unprivileged=True,
                                   stdout=r"pkg/configs/train.yaml:1: DG007 cannot read this file"),
    "unreadable-target": Case(unreadable_target, 2, (r"docgen: error: cannot read pkg: "
                                                     r"permission denied; check .*",),
                              unprivileged=True),
    "excluded-unreadable-folder": Case(excluded_unreadable_folder, 0, unprivileged=True,
                                       stdout="no findings"),
    # check -o and settings
    "check-o-missing-folder": Case(report_in_missing_folder, 1, changes=("reports",
                                   "reports/ci", "reports/ci/out.txt"),
                                   after=lambda root, _: re.search(
                                       r"DG103 .*`3.0`", (root / "reports/ci/out.txt").read_text())
                                   is not None or pytest.fail("report not written")),
    "check-o-folder": Case(report_onto_a_folder, 2, (r"docgen: error: cannot write reports: it "
                                                     r"is a folder; give the path of a file",)),
    "check-o-under-a-file": Case(report_under_a_file, 2, (r"docgen: error: cannot write "
                                                          r"reports/out.txt: a part of the path "
                                                          r"is a file, not a folder",)),
    "check-o-dev-stdout": Case(report_to_stdout, 1, stdout=r"DG103"),
    "docgen-setting-not-a-table": Case(docgen_not_a_table, 2, (r"docgen: error: .*pyproject"
                                                               r".toml: \[tool.docgen\] must be "
                                                               r"a table of options.*not 5",)),
    "tool-not-a-table": Case(tool_not_a_table, 0, stdout="no findings"),
    # draft --write
    "write-keeps-mode": Case(write_keeps_mode, 0, (r"docs/scale.md: .* written .*",),
                             changes=("docs/scale.md",), after=written("docs/scale.md", 0o664)),
    "write-read-only-page": Case(write_read_only, 2, (r"docgen: error: docs/scale.md is "
                                                      r"read-only \(mode 0444\); make it writable"
                                                      r" \(chmod u\+w\) or give --force.*",)),
    "write-read-only-page-forced": Case(write_read_only_forced, 0,
                                        (r"docgen: docs/scale.md is read-only \(mode 0444\); "
                                         r"--force writes it anyway, and the mode stays",
                                         r"docs/scale.md: .* written .*"),
                                        changes=("docs/scale.md",),
                                        after=written("docs/scale.md", 0o444)),
    "write-through-symlink": Case(write_through_symlink, 0, (r"docs/link.md: .* written .*",),
                                  changes=("docs/scale.md",), after=link_stays_a_link),
    "write-keeps-owner": Case(write_keeps_owner, 0, (r"docs/scale.md: .* written .*",),
                              changes=("docs/scale.md",), after=owner_kept, root_only=True),
    "write-unwritable-folder": Case(write_unwritable_folder, 2,
                                    (r"docgen: error: cannot write docs/scale.md: its folder "
                                     r".*docs is not writable .*",), unprivileged=True),
    "write-latin1-page": Case(write_latin1_page, 2, (r"docgen: error: docs/scale.md:3: not "
                                                     r"UTF-8 text \(byte 0xe9\); .*save it as "
                                                     r"UTF-8 first",)),
    "write-onto-a-folder": Case(write_onto_a_folder, 2, (r"docgen: error: cannot write docs: it "
                                                         r"is a folder; give the path of a page",)),
    "new-files-and-caches-get-the-umask": Case(new_files_get_the_umask, 0,
                                               (r"docs/new.md: .* appended .*",),
                                               changes=("docs", "docs/new.md"), after=umask_modes),
    # adapters
    "model-info-truncated-adapter": Case(model_info_with(truncate), 2,
                                         (r"docgen: error: adapter: not a usable LoRA adapter: "
                                          r"adapter_model.safetensors is corrupt \(\d+ bytes of "
                                          r"tensor data where the header describes \d+ "
                                          r"\(truncated\?\)\); .*",)),
    "model-info-garbage-adapter": Case(model_info_with(garbage), 2,
                                       (r"docgen: error: adapter: not a usable LoRA adapter: "
                                        r"adapter_model.safetensors is corrupt .*",)),
    "model-info-adapter-of-another-rank": Case(model_info_with(other_rank), 2,
                                               (r"docgen: error: adapter: not a usable LoRA "
                                                r"adapter: tensor .*lora_A.weight has rank 16, "
                                                r"adapter_config.json says r = 8; .*",)),
    "model-info-truncated-model-weights": Case(model_folder_with_truncated_weights, 2,
                                               (r"docgen: error: model/model.safetensors: "
                                                r"corrupt safetensors file .*truncated.*",)),
    "draft-truncated-adapter": Case(draft_with_truncated_adapter, 2,
                                    (r"docgen: error: adapter: not a usable LoRA adapter: "
                                     r"adapter_model.safetensors is corrupt .*",)),
    # corpus / finetune
    "corpus-o-file": Case(corpus_onto_a_file, 2, (r"docgen: error: -o out: it is a file; give "
                                                  r"a folder for the corpus.*",)),
    "finetune-o-file": Case(finetune_onto_a_file, 2, (r"docgen: error: -o out: it is a file; "
                                                      r"give a folder for the adapter.*",)),
    "eval-o-file": Case(eval_onto_a_file, 2, (r"docgen: error: -o out: it is a file; give a "
                                              r"folder for the report",)),
    "finetune-corpus-not-utf8": Case(finetune_corpus_not_utf8, 2,
                                     (r"docgen: error: corpus/train.jsonl:1: not UTF-8 text; "
                                      r"rebuild the corpus with `docgen corpus`",)),
    "corpus-into-a-foreign-folder": Case(corpus_into_a_foreign_folder, 2,
                                         (r"docgen: error: -o out: the folder holds other files "
                                          r"\(notes.txt\) and no docgen corpus; .*--force.*",)),
    "corpus-of-a-folder-without-init": Case(corpus_of_a_folder_without_init, 2,
                                            (r"docgen: error: no docstrings or doc sections "
                                             r"found in scripts: scripts has Python files but no "
                                             r"__init__.py, so it was read as docs pages.*",)),
    # PEP 263
    "source-with-a-coding-line": Case(latin1_with_coding_line, 1,
                                      stdout=r"^pkg/ops.py:\d+: DG102 parameter `by` of `shift` "
                                             r"is not documented\nFound 1 finding"),
    "source-with-an-unknown-coding": Case(unknown_coding_line, 1,
                                          stdout=r"pkg/ops.py:1: DG002 unknown encoding"),
    # held before issue 20
    "syntax-error": Case(syntax_error, 1, stdout=r"pkg/broken.py:1: DG001 syntax error"),
    "source-not-utf8": Case(latin1_without_coding_line, 1,
                            stdout=r"pkg/legacy.py:1: DG002 not valid UTF-8 \(byte 0xe9\)"),
    "corrupt-facts-cache": Case(corrupt_facts_cache, 1, (r"WARNING: .*unreadable facts cache .*"
                                                         r"rebuilding it",), stdout=r"DG103"),
    "malformed-toml": Case(malformed_toml, 2, (r"docgen: error: .*pyproject.toml: not valid "
                                               r"TOML .*",)),
    "unknown-option": Case(unknown_option, 2, (r"docgen: error: .*unknown docgen option "
                                               r"`selekt`; did you mean `select`\?",)),
    "missing-path": Case(missing_path, 2, (r"docgen: error: no/such/pkg: no such file, folder "
                                           r"or importable package.*",)),
    "corrupt-baseline": Case(corrupt_baseline, 2, (r"docgen: error: baseline.json: not a docgen "
                                                   r"baseline .*",)),
    "finetune-missing-corpus": Case(finetune_missing_corpus, 2, (ONE_LINE_ERROR,)),
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A project folder any user may enter (pytest's own tmp folders are root's, 0700)."""
    root = tmp_path / "project"
    root.mkdir()
    for folder in (tmp_path, *tmp_path.parents):
        if folder.stat().st_mode & 0o001 == 0:
            folder.chmod(folder.stat().st_mode | 0o001)  # pytest's folders only: traversable
        if folder == Path(tmp_path.anchor) or folder.name.startswith("pytest-of-"):
            break
    yield root
    for path in [root, *root.rglob("*")]:  # let pytest clean up what a case locked
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, project: Path) -> None:
    case = CASES[name]
    if case.unprivileged and unprivileged_prefix() is None:
        pytest.skip("no way to run without root's capabilities here (setpriv missing or refused)")
    if case.root_only and os.geteuid() != 0:
        pytest.skip("giving the page another owner needs root")
    args = case.setup(project)
    before = snapshot(project)
    result = docgen(project, *args, unprivileged=case.unprivileged, env=case.env)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    assert result.code == case.code, (result.code, result.err, result.out)
    assert len(result.err_lines) == len(case.stderr), result.err
    for line, pattern in zip(result.err_lines, case.stderr):
        assert re.fullmatch(pattern, line), (line, pattern)
    if case.stdout is not None:
        assert re.search(case.stdout, result.out, re.MULTILINE), result.out
    after = snapshot(project)
    unchanged = {k: v for k, v in before.items() if k not in case.changes}
    assert {k: v for k, v in after.items() if k not in case.changes} == unchanged
    if case.after is not None:
        case.after(project, result)


# --- the draft cache: a wrong type is a discarded entry, drafted again ---------------------------


class StubServer:
    """An OpenAI-compatible server that answers every chat with the same text, and counts."""

    def __init__(self, text: str) -> None:
        self.calls = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models
                self._send({"object": "list", "data": [{"id": "stub", "object": "model"}]})

            def do_POST(self) -> None:  # /v1/chat/completions
                self.rfile.read(int(self.headers["Content-Length"]))
                stub.calls += 1
                self._send({"object": "chat.completion", "choices": [{
                    "index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text}}]})

            def _send(self, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"openai://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    server = StubServer("`scale` multiplies `x` by `factor`.")
    yield server
    server.server.shutdown()


CORRUPTIONS = {
    "text-null": lambda entry: {**entry, "text": None},
    "status-number": lambda entry: {**entry, "status": 3},
    "reasons-not-strings": lambda entry: {**entry, "reasons": [None]},
    "not-json": None,
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_mistyped_draft_cache_entry_is_drafted_again(corruption, project, stub):
    package(project)
    args = ["draft", "pkg.ops.scale", "--section", "overview", "--source", "pkg", "--model",
            stub.url]
    first = docgen(project, *args)
    assert first.code == 0 and stub.calls > 0, first.err
    entries = list((project / ".cache" / "docgen" / "drafts").rglob("*.json"))
    assert entries
    for path in entries:
        change = CORRUPTIONS[corruption]
        path.write_text("{nope" if change is None else json.dumps(change(json.loads(
            path.read_text(encoding="utf-8")))), encoding="utf-8")
    calls = stub.calls
    again = docgen(project, *args)
    assert again.code == 0 and "Traceback" not in again.err
    assert again.out == first.out and "None" not in again.out  # never the word "None"
    assert stub.calls > calls  # drafted again, not read from the bad entry
    warnings = [line for line in again.err_lines if "discarding corrupt draft cache entry" in line]
    assert len(warnings) == len(entries), again.err  # once per entry
    calls = stub.calls
    assert docgen(project, *args).out == first.out and stub.calls == calls  # rewritten: a hit


# --- links in the built site ------------------------------------------------------------------


def test_no_javascript_link_from_a_docstring_reaches_the_mkdocs_site(project):
    source = MODULE.replace(
        "The factor.", "The factor; see [the guide](javascript:alert(1)), [data](data:text/html;"
        "base64,PHNjcmlwdD4=) and [the docs](https://example.com/scale) or [ops](ops.md).")
    package(project, source)
    write(project, "docs/index.md", "# Home\n")
    write(project, "docs/ops.md", PAGE)
    write(project, "mkdocs.yml", """
        site_name: test
        markdown_extensions: [tables]
        plugins:
          - docgen:
              packages: [pkg]
              sections: [parameters]
        """)
    before = snapshot(project)
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
           "DOCGEN_HOME": str(project / ".home"), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    html = (project / "site" / "ops" / "index.html").read_text(encoding="utf-8")
    assert "javascript:alert(1)" in html and "data:text/html" in html  # shown, as text
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:"))], hrefs
    assert 'href="https://example.com/scale"' in html and 'href="./"' in html  # ops.md
    assert snapshot(project) == before  # the source pages are not touched


def test_the_mkdocs_plugin_reports_a_bad_setting_in_one_line(project):
    package(project)
    write(project, "docs/index.md", "# Home\n")
    write(project, "pyproject.toml", "[tool]\ndocgen = 5\n")
    write(project, "mkdocs.yml", "site_name: test\nplugins:\n  - docgen:\n      packages: [pkg]\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "DOCGEN_HOME": str(project / ".home"),
           "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and "[tool.docgen] must be a table" in errors[0], done.stderr
