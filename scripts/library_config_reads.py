"""Write `docgen_plugin/checks/data/library_config_reads.json`: the config attributes that a
library's own generic code reads, for config classes whose base comes from that library.

DG108 reports a config field no loaded code reads; a field that the library reads for every
model (`PreTrainedModel` reads `initializer_range`, generation reads `use_cache`) is read,
although the library is not among the checked packages. The names come from docgen's own
extraction (the same config reads DG108 uses), run over the library without its `models/`:

    .venv/bin/python scripts/library_config_reads.py
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import tempfile
from pathlib import Path

from docgen_plugin.facts.loader import load_facts
from docgen_plugin.settings import Settings

# library -> (the config base classes it defines, folders of model-specific code left out)
LIBRARIES = {
    "transformers": (
        ["transformers.configuration_utils.PreTrainedConfig",
         "transformers.configuration_utils.PretrainedConfig",
         "transformers.PreTrainedConfig", "transformers.PretrainedConfig"],
        ["*/models/*"],
    ),
}
OUT = Path(__file__).resolve().parents[1] / "docgen_plugin" / "checks" / "data" / "library_config_reads.json"


def main() -> None:
    table = {}
    for library, (bases, exclude) in LIBRARIES.items():
        spec = importlib.util.find_spec(library)  # the top-level package is found, not run
        assert spec is not None and spec.origin is not None, f"{library} is not installed"
        with tempfile.TemporaryDirectory() as cache:
            settings = Settings(cache_dir=cache, exclude=tuple(exclude))
            facts = load_facts([Path(spec.origin).parent], settings)
        names = {r.name for o in facts.objects for r in o.config_reads}
        names |= {r.name for r in facts.config_reads}
        names.discard("*")  # a read of every field says nothing here; `output_*` prefixes do
        table[library] = {"version": importlib.metadata.version(library), "bases": bases,
                          "reads": sorted(names)}
        print(f"{library} {table[library]['version']}: {len(names)} attributes")
    OUT.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
