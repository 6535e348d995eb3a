"""`docgen check --changed-since` against a full `docgen check`, one file changed, on a real tree.

    python benchmarks/changed_since.py                  # transformers/models, median of 3
    python benchmarks/changed_since.py --tree PATH --file REL/PATH.py --runs 5

The tree is copied into a temporary git repository with an empty `[tool.docgen]` pyproject and
committed. One full run warms the facts cache; then one file gets a real edit (the first
"defaults to N" under a docstring's `Args:` becomes N+1: a stale doc, a DG103 finding), one
more full run puts that file in the cache, and full and `--changed-since HEAD` runs alternate,
both on the warm cache.
Findings must agree: those of the changed-since run are exactly the full run's findings on the
files, objects and pages it checks (`Affected.covers`), and the same on the changed file.
Both runs load the facts of the whole tree (inheritance and page links need them): what
`--changed-since` saves is the rules' time on everything the change does not touch.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_speed import cpu_name, default_tree, version

BIN = Path(sys.executable).parent
_DEFAULT = re.compile(r"(defaults to `?)(\d+)")
_ARGS = re.compile(r"^\s+Args:$", re.M)


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run; the CPU time is the steadier figure on a
    shared machine."""
    before = os.times()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    elapsed = time.perf_counter() - start
    after = os.times()
    if result.returncode not in (0, 1):  # 1: findings, as expected on real code
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return elapsed, cpu


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def documented_default(text: str) -> re.Match[str] | None:
    """The first "defaults to N" in the first `Args:` section that states one."""
    for args in _ARGS.finditer(text):
        match = _DEFAULT.search(text, args.end(), args.end() + 3000)
        if match is not None:
            return match
    return None


def pick_file(tree: Path) -> Path:
    """The first file (in a stable order) with a docstring that documents an integer default."""
    for path in sorted(tree.rglob("*.py")):
        if documented_default(path.read_text(encoding="utf-8")):
            return path
    raise SystemExit(f"no file under {tree} documents `defaults to N` under `Args:`; pass --file")


def edit(path: Path) -> str:
    """Change the first documented integer default; returns what changed."""
    text = path.read_text(encoding="utf-8")
    match = documented_default(text)
    if match is None:
        raise SystemExit(f"{path}: no `defaults to N` under `Args:` to change")
    new = str(int(match.group(2)) + 1)
    path.write_text(text[: match.start(2)] + new + text[match.end(2):], encoding="utf-8")
    line = text.count("\n", 0, match.start()) + 1
    return f"line {line}: defaults to {match.group(2)} -> {new}"


def covered(work: Path, full: list[dict]) -> list[dict]:
    """The full run's findings that `--changed-since HEAD` checks (computed in this process)."""
    from docgen_plugin.checks.changed import affected_since
    from docgen_plugin.checks.finding import Finding
    from docgen_plugin.checks.pages import discover_pages
    from docgen_plugin.facts.loader import load_facts
    from docgen_plugin.settings import load_settings

    settings = load_settings(work)
    targets = [p.name for p in work.iterdir() if p.is_dir() and not p.name.startswith(".")]
    facts = load_facts([work / t for t in targets], settings)
    affected = affected_since("HEAD", facts, discover_pages(targets, settings), settings)
    if affected is None:
        return full
    print(f"affected: {len(affected.objects)} objects in {len(affected.sources)} files, "
          f"{len(affected.pages)} pages, {len(affected.config_files)} config files", file=sys.stderr)
    return [d for d in full if affected.covers(Finding(d["code"], d["message"], d["file"], d["line"],
                                                       d["object"]))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=None, help="Python tree to check.")
    parser.add_argument("--file", type=Path, default=None,
                        help="File to change, relative to the tree (default: the first file "
                             "whose docstring documents `defaults to N` under `Args:`).")
    parser.add_argument("--runs", type=int, default=3, help="Runs per mode (median).")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    options = parser.parse_args()
    tree = (options.tree or default_tree()).resolve()

    with tempfile.TemporaryDirectory(prefix="docgen-changed-") as tmp:
        work = Path(tmp)
        copy = work / tree.name
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "pyproject.toml").write_text("[tool.docgen]\n", encoding="utf-8")
        (work / ".gitignore").write_text(".cache/\n*.json\n", encoding="utf-8")
        files = sum(1 for _ in copy.rglob("*.py"))
        git(work, "init", "-q")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "tree")
        report = {"full": work / "full.json", "changed": work / "changed.json"}
        docgen = [str(BIN / "docgen"), "check", copy.name, "--format", "json", "-o"]
        changed_since = ["--changed-since", "HEAD"]

        timed([*docgen, str(report["full"])], work)  # cold: fills the facts cache
        target = copy / options.file if options.file else pick_file(copy)
        what = edit(target)
        changed_name = target.relative_to(work).as_posix()
        print(f"changed {changed_name} ({what})", file=sys.stderr)
        timed([*docgen, str(report["full"])], work)  # the changed file into the cache

        times: dict[str, list[float]] = {"full": [], "changed-since": []}
        cpu: dict[str, list[float]] = {"full": [], "changed-since": []}
        commands = {"full": [*docgen, str(report["full"])],
                    "changed-since": [*docgen, str(report["changed"]), *changed_since]}
        for run in range(options.runs):
            for name, command in commands.items():
                wall, used = timed(command, work)
                times[name].append(wall)
                cpu[name].append(used)
            print(f"run {run + 1}/{options.runs}: " + ", ".join(
                f"{name} {values[-1]:.2f}s" for name, values in times.items()), file=sys.stderr)
        full = json.loads(report["full"].read_text(encoding="utf-8"))
        changed = json.loads(report["changed"].read_text(encoding="utf-8"))
        expected = covered(work, full)

    on_file = [d for d in full if d["file"] == changed_name]
    same_file = on_file == [d for d in changed if d["file"] == changed_name]
    same_scope = expected == changed
    base = statistics.median(times["full"])
    print(f"\n{tree} — {files} Python files; {changed_name} changed ({what}); warm facts cache; "
          f"median of {options.runs} runs")
    print(f"{datetime.date.today()}, {cpu_name()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, docgen-plugin {version('docgen-plugin')}, "
          f"griffe {version('griffe')}\n")
    cpu_base = statistics.median(cpu["full"])
    print(f"| {'mode':<13} | {'median s':>8} | {'min s':>6} | {'x full':>6} | {'CPU s':>5} | "
          f"{'CPU x':>6} | {'findings':>8} |")
    print(f"|{'-' * 15}|{'-' * 10}:|{'-' * 7}:|{'-' * 7}:|{'-' * 6}:|{'-' * 7}:|{'-' * 9}:|")
    figures = {}
    for name, values in times.items():
        median = statistics.median(values)
        used = statistics.median(cpu[name])
        count = len(full if name == "full" else changed)
        print(f"| {name:<13} | {median:8.2f} | {min(values):6.2f} | {median / base:6.2f} | {used:5.2f} | "
              f"{used / cpu_base:6.2f} | {count:8} |")
        figures[name] = {"runs": values, "median": median, "ratio": median / base,
                         "cpu_runs": cpu[name], "cpu_median": used, "findings": count}
    print(f"\nfindings on {changed_name}: {len(on_file)} in both runs" if same_file else
          f"\nfindings on {changed_name} DIFFER: full {len(on_file)}, changed-since "
          f"{sum(d['file'] == changed_name for d in changed)}")
    print(f"changed-since == full run restricted to what it checks ({len(expected)} findings): "
          f"{'yes' if same_scope else 'NO'}")
    if options.json:
        options.json.write_text(json.dumps({
            "tree": str(tree), "files": files, "changed": changed_name, "edit": what,
            "runs": options.runs, "cpu": cpu_name(), "cpus": os.cpu_count(),
            "date": str(datetime.date.today()), "figures": figures,
            "agree": {"changed_file": same_file, "affected": same_scope},
        }, indent=2), encoding="utf-8")
    return 0 if same_file and same_scope else 1


if __name__ == "__main__":
    sys.exit(main())
