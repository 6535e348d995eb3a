"""`docgen check` -> `docgen check --fix` -> `docgen check` on a copy of a real package.

    .venv/bin/python benchmarks/fix_real.py [PACKAGE_DIR] [--work DIR] [--draft] [--sample 40]

PACKAGE_DIR defaults to the installed peft. The package is copied to DIR (a fresh temporary
folder by default) and fixed there; the script prints the findings of the fixed rules before
and after, whether `python -m compileall -q` still passes, whether any token outside a
docstring changed (tokenize streams compared with docstring literals masked), `git diff
--stat`-like counts, and where each inserted entry's description came from. With --sample,
it writes a seeded sample of inserted entries (to review by hand) to DIR/inserted_sample.json.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import tokenize
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXED = ("DG101", "DG102", "DG103", "DG104", "DG106")


def _docgen(work: Path, package: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "docgen_plugin.cli", "check", package, "--no-cache", *args],
                          cwd=work, env=env, capture_output=True, text=True, check=False)


def _findings(work: Path, package: str) -> Counter[str]:
    out = work / "findings.json"
    _docgen(work, package, "--format", "json", "-o", str(out))
    return Counter(f["code"] for f in json.loads(out.read_text()))


def masked_tokens(text: str) -> list[tuple[int, str]]:
    """The token stream with every docstring literal replaced by one placeholder."""
    tree = ast.parse(text)
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                starts.add(first.lineno)
    out = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING and token.start[0] in starts:
            out.append((token.type, "<docstring>"))
        elif token.type not in (tokenize.NL, tokenize.NEWLINE):
            out.append((token.type, token.string))
        else:
            out.append((token.type, ""))
    return out


def compare(original: Path, fixed: Path) -> tuple[list[str], int, int, int]:
    """(files whose non-docstring tokens differ, files changed, lines added, lines removed)."""
    differ, changed, added, removed = [], 0, 0, 0
    for path in sorted(original.rglob("*.py")):
        after_path = fixed / path.relative_to(original)
        before, after = path.read_bytes(), after_path.read_bytes()
        if before == after:
            continue
        changed += 1
        a, b = before.decode("utf-8"), after.decode("utf-8")
        if masked_tokens(a) != masked_tokens(b):
            differ.append(str(path.relative_to(original)))
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0):
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
    return differ, changed, added, removed


def _inserted(work: Path, package: str, draft: bool) -> list[dict[str, str]]:
    """Each inserted entry: object, parameter, where the description came from, the text."""
    sys.path.insert(0, str(REPO))
    os.chdir(work)
    from docgen_plugin.checks.fix.apply import plan_fixes
    from docgen_plugin.checks.run import run_checks
    from docgen_plugin.facts.loader import load_facts
    from docgen_plugin.settings import load_settings

    settings = load_settings(work)
    facts = load_facts([package], settings, use_cache=False)
    drafter = None
    if draft:
        from docgen_plugin.generate.param_phrases import param_drafter

        drafter = param_drafter(settings)
    files = plan_fixes(facts, run_checks(facts, settings), settings, [package], drafter)
    return [{"file": f.file, "line": str(f.line), "object": f.obj, "param": f.subject,
             "source": d.source, "origin": d.origin, "text": d.text}
            for fix in files for f, d in fix.descriptions]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_dir", nargs="?", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--draft", action="store_true")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=17)
    options = parser.parse_args()
    source = options.package_dir
    if source is None:
        import peft

        source = Path(peft.__file__).parent
    source = source.resolve()
    work = (options.work or Path(tempfile.mkdtemp(prefix="docgen-fix-"))).resolve()
    package = source.name
    shutil.rmtree(work / package, ignore_errors=True)
    shutil.rmtree(work / "original", ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source, work / package, ignore=ignore)
    shutil.copytree(source, work / "original" / package, ignore=ignore)
    before = _findings(work, package)
    inserted = _inserted(work, package, options.draft)
    fix = _docgen(work, package, "--fix", *(["--draft"] if options.draft else []))
    (work / "fix_report.txt").write_text(fix.stderr)
    after = _findings(work, package)
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", package], cwd=work,
                              capture_output=True, check=False).returncode
    differ, changed, added, removed = compare(work / "original" / package, work / package)
    print(f"package: {source} (copied to {work / package})")
    print("| rule | before | after |\n|---|---:|---:|")
    for code in FIXED:
        print(f"| {code} | {before[code]} | {after[code]} |")
    print(f"| all findings | {sum(before.values())} | {sum(after.values())} |")
    print(f"fix summary: {fix.stderr.strip().splitlines()[-1] if fix.stderr.strip() else '(none)'}")
    print(f"compileall -q: {'ok' if compiled == 0 else f'FAILED ({compiled})'}")
    print(f"tokens outside docstrings changed: {len(differ)} files {differ[:5]}")
    print(f"diff --stat: {changed} files changed, {added} insertions(+), {removed} deletions(-)")
    sources = Counter(entry["source"] for entry in inserted)
    print(f"inserted entries: {len(inserted)} ({', '.join(f'{k} {v}' for k, v in sorted(sources.items()))})")
    if options.sample:
        chosen = random.Random(options.seed).sample(inserted, min(options.sample, len(inserted)))
        (work / "inserted_sample.json").write_text(json.dumps(chosen, indent=1))
        print(f"sample of {len(chosen)} (seed {options.seed}): {work / 'inserted_sample.json'}")
    return 0 if compiled == 0 and not differ else 1


if __name__ == "__main__":
    sys.exit(main())
