"""The seeded sample of `docgen check` findings reviewed by hand in check_precision.md (issue 16).

    python benchmarks/numpy_review_sample.py 16 60 run1.json [run2.json ...]

Reads `--format json` reports, keeps DG101/DG103/DG104, sorts them by file, line, code and
message, and prints every finding (when at most N) or a `random.Random(SEED)` sample of N,
each with the source line it points at.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

RULES = ("DG101", "DG103", "DG104")


def findings(reports: list[str]) -> list[dict]:
    rows = [f for report in reports for f in json.loads(Path(report).read_text()) if f["code"] in RULES]
    return sorted(rows, key=lambda f: (f["file"], f["line"], f["code"], f["message"]))


def sample(rows: list[dict], n: int, seed: int) -> list[int]:
    if len(rows) <= n:
        return list(range(len(rows)))
    return sorted(random.Random(seed).sample(range(len(rows)), n))


def main(argv: list[str]) -> int:
    seed, n, reports = int(argv[0]), int(argv[1]), argv[2:]
    rows = findings(reports)
    picked = sample(rows, n, seed)
    for index in picked:
        f = rows[index]
        path = Path(f["file"])
        line = path.read_text().split("\n")[f["line"] - 1].strip() if path.is_file() else "?"
        print(f"#{index} {f['code']} {f['file']}:{f['line']} | {f['message']}\n    {line[:120]}")
    print(f"{len(rows)} findings, {len(picked)} reviewed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
