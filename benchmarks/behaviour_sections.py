"""Sections rendered from behaviour facts, side by side with the source lines they rest on.

For a review by a reader with the source open: for each model class, its Error handling,
Inputs and outputs and Usage sections as docgen renders them (no model involved), then the
source lines each statement comes from (every raise, return and the call site used).

    .venv/bin/python benchmarks/behaviour_sections.py ROOT PACKAGE_DIR pkg.Model ... -o review.md

ROOT is the project (its tests, examples and docs are searched for calls), PACKAGE_DIR the
code to load. Prints how many usage sections show a real call (no `...`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.generate.drafting import find_object
from docgen_plugin.sections import render_errors, render_inputs, render_usage
from docgen_plugin.sections.behaviour import lineage
from docgen_plugin.sections.usage import usage_sites
from docgen_plugin.settings import Settings


def source_line(root: Path, obj: ObjectFacts, line: int) -> str:
    path = Path(obj.file) if Path(obj.file).is_absolute() else root / obj.file
    try:
        return path.read_text(encoding="utf-8").split("\n")[line - 1].strip()
    except (OSError, IndexError):
        return "?"


def evidence(root: Path, obj: ObjectFacts, facts: Facts) -> list[str]:
    lines = []
    for method in ("__init__", "forward", "__call__"):
        for owner, _ in lineage(obj, facts, method):
            for item in owner.raises:
                if item.method == method:
                    lines.append(f"- raise `{owner.file}:{item.line}`: "
                                 f"`{source_line(root, owner, item.line)}`")
            for item in owner.returns:
                if item.method == method:
                    lines.append(f"- return `{owner.file}:{item.line}`: "
                                 f"`{source_line(root, owner, item.line)}`")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("package", type=Path)
    parser.add_argument("objects", nargs="+")
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    root = args.root.resolve()
    settings = Settings(root=str(root), cache_dir=str(root / ".cache" / "docgen"))
    facts = load_facts([args.package], settings)
    objects = [find_object(facts, name) for name in args.objects]
    sites = usage_sites(facts, root, objects)
    parts, real = [], 0
    for obj in objects:
        usage = render_usage(obj, facts, sites)
        block = re.search(r"```(?:python|pycon)\n(.*?)\n```", usage, re.DOTALL)
        is_real = block is not None and "..." not in block.group(1).replace(">>> ", "")
        real += is_real
        parts += [f"## `{obj.path}`", "", f"Source: `{obj.file}:{obj.line}`", "",
                  "### Error handling", "", render_errors(obj, facts), "",
                  "### Inputs and outputs", "", render_inputs(obj, facts), "",
                  "### Usage", "", usage, "", "### Source lines the sections rest on", "",
                  *evidence(root, obj, facts), ""]
    args.out.write_text("\n".join(parts), encoding="utf-8")
    print(f"{len(objects)} classes, {real} usage sections with a real call; review: {args.out}")


if __name__ == "__main__":
    main()
