"""`docgen check` cold and warm against pydoclint, on the same real tree, in one run.

    python benchmarks/check_speed.py                  # transformers/models, median of 3
    python benchmarks/check_speed.py --tree PATH --runs 5

The tree is copied into a temporary folder with an empty `[tool.docgen]` pyproject, so docgen's
facts cache lives there: "cold" deletes it before the run (parse everything, write the cache),
"warm" is the next run over the unchanged tree (read the cache, link, check). pydoclint has no
cache; it runs without a baseline, with the Google style, checking arguments against the
docstring (names, order, defaults) and with its checks of other things switched off. Every tool
runs as a subprocess with its output discarded; runs are interleaved so that load from other
processes spreads over all three. Goals: cold <= 1.0x pydoclint, warm <= 0.2x.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# Only what DG101-DG106 check: arguments against the docstring (names, order, defaults).
PYDOCLINT_OPTIONS = [
    "--style=google", "--quiet", "--exclude=",
    "--check-arg-order=True", "--check-arg-defaults=True",
    "--arg-type-hints-in-docstring=False", "--arg-type-hints-in-signature=False",
    "--skip-checking-raises=True", "--check-return-types=False", "--check-yield-types=False",
    "--require-return-section-when-returning-nothing=False", "--check-class-attributes=False",
    "--check-style-mismatch=False", "--should-document-star-arguments=False",
]


def default_tree() -> Path:
    spec = importlib.util.find_spec("transformers")
    if spec is None or spec.origin is None:
        raise SystemExit("transformers is not installed; pass --tree PATH")
    return Path(spec.origin).parent / "models"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):  # 1: findings / violations, as expected on real code
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=None, help="Python tree to check.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per tool and mode (median).")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    tree = (options.tree or default_tree()).resolve()

    with tempfile.TemporaryDirectory(prefix="docgen-speed-") as tmp:
        work = Path(tmp)
        copy = work / tree.name
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "pyproject.toml").write_text("[tool.docgen]\n", encoding="utf-8")
        cache = work / ".cache" / "docgen"
        files = sum(1 for _ in copy.rglob("*.py"))
        report = {"cold": work / "cold.json", "warm": work / "warm.json"}
        docgen = [str(BIN / "docgen"), "check", copy.name, "--format", "json", "-o"]
        pydoclint = [str(BIN / "pydoclint"), *PYDOCLINT_OPTIONS, copy.name]

        times: dict[str, list[float]] = {"pydoclint": [], "docgen cold": [], "docgen warm": []}
        for run in range(options.runs):
            times["pydoclint"].append(timed(pydoclint, work))
            shutil.rmtree(cache, ignore_errors=True)
            times["docgen cold"].append(timed([*docgen, str(report["cold"])], work))
            times["docgen warm"].append(timed([*docgen, str(report["warm"])], work))
            print(f"run {run + 1}/{options.runs}: " + ", ".join(
                f"{name} {values[-1]:.2f}s" for name, values in times.items()), file=sys.stderr)
        cold_findings = json.loads(report["cold"].read_text(encoding="utf-8"))
        warm_findings = json.loads(report["warm"].read_text(encoding="utf-8"))
        cache_bytes = sum(f.stat().st_size for f in cache.glob("facts-*.json"))

    base = statistics.median(times["pydoclint"])
    goals = {"pydoclint": None, "docgen cold": 1.0, "docgen warm": 0.2}
    print(f"\n{tree} — {files} Python files; median of {options.runs} runs")
    print(f"{datetime.date.today()}, {cpu_name()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, docgen-plugin {version('docgen-plugin')}, "
          f"pydoclint {version('pydoclint')}, griffe {version('griffe')}\n")
    print(f"| {'tool':<12} | {'median s':>8} | {'min s':>6} | {'x pydoclint':>11} | goal   |")
    print(f"|{'-' * 14}|{'-' * 10}:|{'-' * 7}:|{'-' * 12}:|--------|")
    figures = {}
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        goal = goals[name]
        verdict = "" if goal is None else f"{'met' if ratio <= goal else 'MISSED'} <={goal}"
        print(f"| {name:<12} | {median:8.2f} | {min(values):6.2f} | {ratio:11.2f} | {verdict:<6} |")
        figures[name] = {"runs": values, "median": median, "ratio": ratio}
    same = len(cold_findings) == len(warm_findings)
    print(f"\ndocgen findings: {len(cold_findings)} cold, {len(warm_findings)} warm"
          f"{'' if same else ' (DIFFERENT)'}; facts cache {cache_bytes / 1e6:.1f} MB")
    if options.json:
        options.json.write_text(json.dumps({
            "tree": str(tree), "files": files, "runs": options.runs, "cpu": cpu_name(),
            "cpus": os.cpu_count(), "date": str(datetime.date.today()), "figures": figures,
            "findings": {"cold": len(cold_findings), "warm": len(warm_findings)},
        }, indent=2), encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
