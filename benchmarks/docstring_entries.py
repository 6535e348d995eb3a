"""`docgen check` on a docstring with many parameter entries, and on one huge module (issue 20).

    python benchmarks/docstring_entries.py                    # 10,000 entries, three styles
    python benchmarks/docstring_entries.py --entries 40000 --big-module

One function with N parameters, each documented (Google, NumPy and Sphinx style), checked cold
(`--no-cache`) in a subprocess; wall seconds per style. Before issue 20 this grew with N^2
(a regex compiled and the docstring scanned per entry, and a linear lookup per entry in the
checks): 20-47 s for 10,000 entries. `--big-module` also checks a ~20 MB module of 100,000
small documented functions (wall seconds and the peak RSS of the check).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def entries_module(count: int, style: str) -> str:
    params = ", ".join(f"p{i}=0" for i in range(count))
    if style == "numpy":
        doc = "    Parameters\n    ----------\n" + "\n".join(
            f"    p{i} : int, default=0\n        Parameter {i}." for i in range(count))
    elif style == "sphinx":
        doc = "\n".join(f"    :param p{i}: Parameter {i}. Defaults to 0.\n    :type p{i}: int"
                        for i in range(count))
    else:
        doc = "    Args:\n" + "\n".join(f"        p{i} (int): Parameter {i}. Defaults to 0."
                                        for i in range(count))
    return f'def many({params}):\n    """Many parameters.\n\n{doc}\n    """\n'


def big_module(functions: int = 100_000) -> str:
    return "\n".join(f'''def f{i}(x: int = 1, y: float = 0.1):
    """Compute the value {i} of the layer.

    Args:
        x (int): Width. Defaults to 1.
        y (float): Rate. Defaults to 0.1.
    """
    return x
''' for i in range(functions))


def check_seconds(path: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "docgen_plugin.cli", "check", str(path),
                           "--no-cache"], capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"docgen check failed on {path}:\n{done.stderr}")
    return seconds


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--big-module", action="store_true")
    args = parser.parse_args()
    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        for style in ("google", "numpy", "sphinx"):
            path = Path(folder) / f"{style}_entries.py"
            path.write_text(entries_module(args.entries, style), encoding="utf-8")
            print(f"{args.entries} {style} entries: {check_seconds(path):.2f} s")
        if args.big_module:
            path = Path(folder) / "huge.py"
            path.write_text(big_module(), encoding="utf-8")
            seconds = check_seconds(path)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"{path.stat().st_size / 1e6:.1f} MB module, 100,000 functions: {seconds:.1f} s, "
                  f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
