"""Usage examples that run: each one executed in a subprocess before a page shows it.

This imports the user's code, so it runs only when asked (`--run-examples`,
`run_examples: true`). The example runs with the project on `sys.path`, in an empty
temporary folder (files it writes go there and are deleted), with a timeout, and with the
network switched off inside the process (a socket that connects is an error). Results are
cached by the example's text, the object's facts and the versions of what it imports, so a
warm build runs nothing.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from docgen_plugin.facts.examples import doctest_source, is_doctest
from docgen_plugin.files import atomic_open

logger = logging.getLogger(__name__)

TIMEOUT = 60.0  # seconds per example: building a small model and one forward pass
# Runs before the example, in the example's process: no network, no hub downloads.
_GUARD = """
import socket as _socket
def _no_network(*args, **kwargs):
    raise OSError("docgen runs examples without network access")
_socket.socket.connect = _no_network
_socket.socket.connect_ex = _no_network
_socket.create_connection = _no_network
_socket.getaddrinfo = _no_network
del _socket, _no_network
"""


@dataclass(frozen=True)
class RunResult:
    """How an example ran: `ok`, the last line of its error, the seconds it took."""

    ok: bool
    error: str = ""
    seconds: float = 0.0
    cached: bool = False


def python_code(code: str) -> str:
    """An example's Python: a doctest session's code lines, or the code itself."""
    return doctest_source(code)[0] if is_doctest(code) else code


def _versions(code: str) -> dict[str, str]:
    """Versions of the installed distributions an example imports (part of the cache key)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return {}
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    found = {}
    for root in sorted(roots):
        try:
            found[root] = importlib.metadata.version(root)
        except importlib.metadata.PackageNotFoundError:
            found[root] = "local"
    return found


def source_root(file: Path, module: str) -> Path:
    """The folder to put on `sys.path` so that `module`, read from `file`, imports."""
    depth = len(module.split("."))
    return file.parents[depth if file.name == "__init__.py" else depth - 1]


def run_example(code: str, root: Path, timeout: float = TIMEOUT) -> RunResult:
    """Run one example in a fresh interpreter, `root` first on `sys.path`; never raises for
    the example's own errors."""
    source = python_code(code)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="docgen-example-") as folder:
        try:
            done = subprocess.run([sys.executable, "-c", _GUARD + "\n" + source], cwd=folder,
                                  env=env, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            return RunResult(False, f"timed out after {timeout:.0f} s", timeout)
    seconds = time.perf_counter() - start
    if done.returncode == 0:
        return RunResult(True, "", seconds)
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return RunResult(False, lines[-1].strip() if lines else f"exit code {done.returncode}",
                     seconds)


class ExampleRuns:
    """Example results by (example, facts, versions), in `cache/examples/`."""

    def __init__(self, cache: Path, timeout: float = TIMEOUT) -> None:
        self.folder = cache / "examples"
        self.timeout = timeout

    def key(self, code: str, facts: str, root: Path) -> str:
        payload = json.dumps({"code": code, "facts": facts, "root": str(root),
                              "python": sys.version, "executable": sys.executable,
                              "versions": _versions(python_code(code))}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def run(self, code: str, facts: str, root: Path) -> RunResult:
        """The cached result, or the example run now with `root` on `sys.path` (and its
        result kept)."""
        path = self.folder / f"{self.key(code, facts, root)}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data.get("ok"), bool) and isinstance(data.get("error"), str):
                return RunResult(data["ok"], data["error"], float(data.get("seconds", 0)), True)
        except (OSError, ValueError, AttributeError):
            pass  # not run yet, or an unreadable entry: run it
        result = run_example(code, root, self.timeout)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_open(path) as out:
                out.write(json.dumps(asdict(result)))
        except OSError as error:
            logger.warning("docgen: could not keep the result of an example (%s)", error)
        return result
