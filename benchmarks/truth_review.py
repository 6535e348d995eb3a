"""Draft every section of some model classes of a package and write a sheet for a truth review.

    .venv/bin/python benchmarks/truth_review.py ROOT PACKAGE_DIR pkg.Model ... -o out/ \
        [--run-examples] [--model default] [--adapter PATH]

ROOT is the project (its tests, examples and docs are searched for calls), PACKAGE_DIR the
code to load. Writes `out/sheet.md` (each section as docgen writes it, its status, and for
each object its source file and lines) and `out/sentences.json` (every sentence of the
accepted prose drafts, numbered, for a reviewer to label true / false / vacuous), and prints
the counts: prose sections accepted or fallen back, usage sections with a real call and,
with `--run-examples`, how many of those ran.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path

from docgen_plugin.facts.loader import load_facts
from docgen_plugin.generate.drafting import DraftRequest, draft_sections, find_object
from docgen_plugin.generate.sentences import split_units
from docgen_plugin.sections.catalogue import build_catalogue
from docgen_plugin.settings import Settings

_BLOCK = re.compile(r"```(?:python|pycon)\n(.*?)\n```", re.DOTALL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("package", type=Path)
    parser.add_argument("objects", nargs="+")
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--run-examples", action="store_true")
    parser.add_argument("--model", default="default")
    parser.add_argument("--adapter", default=None)
    args = parser.parse_args()
    root = args.root.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings(root=str(root), cache_dir=str(args.out / "cache"), model=args.model,
                        adapter=args.adapter, run_examples=args.run_examples)
    facts = load_facts([args.package], settings)
    catalogue = build_catalogue()
    objects = [find_object(facts, name) for name in args.objects]
    requests = [DraftRequest(o.path, spec.kind) for o in objects for spec in catalogue.sections_for(o)]
    start = time.perf_counter()
    drafts = draft_sections(facts, requests, settings, explain=True)
    seconds = time.perf_counter() - start
    sheet: list[str] = [f"# Truth review sheet: {args.package.name}", "",
                        f"{platform.processor() or platform.machine()}; drafted in {seconds:.0f} s "
                        f"with model `{args.model}`, adapter `{args.adapter or 'shipped'}`.", ""]
    sentences = []
    counts = {"prose": 0, "accepted": 0, "fallback": 0, "usage": 0, "real": 0, "ran": 0}
    current = None
    for draft in drafts:
        obj = facts.get(draft.path)
        assert obj is not None
        if draft.path != current:
            current = draft.path
            sheet += [f"## `{obj.path}`", "", f"Source: `{obj.file}:{obj.line}-{obj.end_line}`", ""]
        spec = catalogue.spec(draft.section)
        sheet += [f"### {spec.title} ({draft.status})", "", draft.text.strip(), ""]
        if not spec.deterministic:
            counts["prose"] += 1
            counts["fallback" if draft.status == "fallback" else "accepted"] += 1
            if draft.status != "fallback":
                for unit in split_units(draft.text):
                    sentences.append({"id": len(sentences) + 1, "object": obj.path,
                                      "section": draft.section, "sentence": unit})
                    sheet.append(f"- sentence {len(sentences)}: {unit!r}")
                sheet.append("")
        if draft.section == "usage":
            counts["usage"] += 1
            block = _BLOCK.search(draft.text)
            counts["real"] += bool(block and "..." not in block.group(1).replace(">>> ", ""))
            counts["ran"] += "docgen ran this example" in draft.text
    (args.out / "sheet.md").write_text("\n".join(sheet), encoding="utf-8")
    (args.out / "sentences.json").write_text(json.dumps(sentences, indent=1), encoding="utf-8")
    print(json.dumps({"package": str(args.package), "objects": len(objects),
                      "sentences": len(sentences), "seconds": round(seconds), **counts}))


if __name__ == "__main__":
    main()
