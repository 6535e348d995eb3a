"""Goal (issue 5): a warm `mkdocs build` of the example site (every draft cached) takes at most
1.3x the same build with docgen removed (the plugin and its griffe extension).

    .venv/bin/python benchmarks/build_speed.py [--runs 3]

Both builds run as subprocesses of the same interpreter, alternating, on the same machine;
the median of each is reported. The first build with the plugin fills the caches (with the
embedded default model when nothing is cached yet: that cold time is printed too).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GOAL = 1.3


def without_docgen(config: dict) -> dict:
    """The same site with docgen's plugin and griffe extension taken out."""
    plugins = []
    for plugin in config["plugins"]:
        name = plugin if isinstance(plugin, str) else next(iter(plugin))
        if name == "docgen":
            continue
        if name == "mkdocstrings":
            options = plugin["mkdocstrings"]["handlers"]["python"]["options"]
            options["extensions"] = [e for e in options.get("extensions", [])
                                     if "docgen_plugin" not in str(e)]
        plugins.append(plugin)
    return {**config, "plugins": plugins}


def build(config: Path) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config)],
                   cwd=EXAMPLES, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with_plugin = EXAMPLES / "mkdocs.yml"
    config = yaml.safe_load(with_plugin.read_text(encoding="utf-8"))
    plain = EXAMPLES / ".bench-without-docgen.yml"
    plain.write_text(yaml.safe_dump(without_docgen(config), sort_keys=False), encoding="utf-8")
    try:
        first = build(with_plugin)  # fills the draft and facts caches if they are empty
        timings: dict[str, list[float]] = {"with docgen (warm)": [], "without docgen": []}
        for _ in range(args.runs):
            timings["with docgen (warm)"].append(build(with_plugin))
            timings["without docgen"].append(build(plain))
    finally:
        plain.unlink(missing_ok=True)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    ratio = medians["with docgen (warm)"] / medians["without docgen"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"first build with docgen (fills caches): {first:.1f} s")
    for name, value in medians.items():
        runs = ", ".join(f"{v:.2f}" for v in timings[name])
        print(f"{name:22} median {value:6.2f} s   runs: {runs}")
    print(f"ratio: {ratio:.2f}x (goal <= {GOAL}x): {'met' if ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
