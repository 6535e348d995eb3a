"""Write `docgen_plugin/generate/data/vocabulary.txt`: the general words a draft may use.

The sentence checks keep a word of a draft when the object's facts use it or when it is a
general word: one that at least `MIN_DOCSTRINGS` docstrings of widely used ML libraries use.
Such a list is common English as technical writing uses it plus the everyday ML words
("tensor", "batch", "gradient"). Words that claim what a model is or does ("convolution",
"attention", "deterministic") are left out on purpose (`sentences.FACT_TERMS`): a draft may
say them only where the object's own facts do.

    .venv/bin/python scripts/build_vocabulary.py

Source: the docstrings of the installed torch, transformers, numpy, scipy, pandas, peft,
accelerate and datasets (read with `ast`, never imported); versions are written into the file.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from collections import Counter
from pathlib import Path

from docgen_plugin.generate.sentences import FACT_TERMS

LIBRARIES = ("torch", "transformers", "numpy", "scipy", "pandas", "peft", "accelerate", "datasets")
MIN_DOCSTRINGS = 4
OUT = Path(__file__).resolve().parents[1] / "docgen_plugin" / "generate" / "data" / "vocabulary.txt"
_WORD = re.compile(r"[a-z]{2,}")


def docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return []
    nodes = [tree, *(n for n in ast.walk(tree)
                     if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))]
    return [d for n in nodes if (d := ast.get_docstring(n))]


def main() -> None:
    counts: Counter[str] = Counter()
    versions = []
    for library in LIBRARIES:
        spec = importlib.util.find_spec(library)
        if spec is None or spec.origin is None:
            continue
        versions.append(f"{library} {importlib.metadata.version(library)}")
        for path in Path(spec.origin).parent.rglob("*.py"):
            for text in docstrings(path):
                # prose only: code spans, doctest lines and URLs name things, they are not words
                prose = re.sub(r"`[^`]*`|^\s*(>>>|\.\.\.).*$|https?://\S+", " ", text, flags=re.M)
                counts.update(set(_WORD.findall(prose.lower())))
    words = sorted(w for w, n in counts.items() if n >= MIN_DOCSTRINGS and w not in FACT_TERMS)
    header = (f"# docgen's general vocabulary: words in at least {MIN_DOCSTRINGS} docstrings of "
              f"{', '.join(versions)}; written by scripts/build_vocabulary.py")
    OUT.write_text(header + "\n" + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words, {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
