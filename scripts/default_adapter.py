"""`make default-adapter`: build the docs LoRA adapter that ships with docgen, from scratch.

Stages (each a docgen command, so the recipe is exactly what a user runs for a house style):

1. corpus   `docgen corpus` over the docstrings of permissively licensed packages (PACKAGES);
            the data card records each licence.
2. balance  a deterministic, label-balanced subset of the train split (the full corpus is
            ~70 % overviews) sized for the training budget, and small validation/test splits.
            Train texts must pass docgen's verifier against their own record's facts: about
            half the human docstrings name things the facts do not hold (other modules,
            numbers, exceptions raised elsewhere), and a model trained on them learns to name
            what it cannot know, which the verifier then rejects. Validation and test keep
            every text, so scores stay comparable.
3. train    `docgen finetune` with fixed seed and settings (FINETUNE).
4. ship     the adapter (stored as bf16), its data card and training record into
            `docgen_plugin/adapters/default/`, where `model: default` picks it up.
5. eval     `docgen eval` of the shipped adapter on the held-out test split (modules never
            trained on) and on corpora of packages it never saw (UNSEEN): base zero-shot,
            base 3-shot, base + adapter.

Run all: `python scripts/default_adapter.py`; one stage: `--only train`. Outputs go to
`build/default-adapter/` (`--build`). The source packages must be installed
(`pip install -e '.[adapter-recipe]'`; the Makefile target does it).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docgen_plugin.finetune.records import (  # noqa: E402
    DATACARD_JSON,
    DATACARD_MD,
    CorpusRecord,
    read_split,
    write_split,
)

PACKAGES = ("torch", "numpy", "scipy", "pandas", "transformers", "accelerate", "datasets", "peft")
UNSEEN = ("timm", "diffusers")  # model and config code, in neither list above
SEED = 0
# Only the sections the model drafts: usage, limitations, error handling and inputs are
# rendered from facts since prompt version 2. (The packages give no intended-use texts.)
TRAIN_CAPS = {"overview": 1500, "intended-use": 300}
VALIDATION_CAP = 30  # per label: validation loss runs every `save-steps`
TEST_CAP = 40  # per label: a balanced, bounded test split
UNSEEN_LIMIT = 60  # test items per unseen package
FINETUNE = (
    "--max-length", "512", "--batch-size", "8", "--learning-rate", "4e-4", "--epochs", "1",
    "--lora-rank", "16", "--lora-alpha", "32", "--lora-dropout", "0.05", "--save-steps", "60",
    "--patience", "3", "--seed", str(SEED),
)
SHIPPED = ROOT / "docgen_plugin" / "adapters" / "default"  # EMBEDDED.adapter
SHIP_FILES = ("adapter_config.json", "training_record.json", "training_record.md", "loss.png")


def repo_relative(path: Path) -> str:
    """A path as the records and reports will show it: relative to the repo where it is inside."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def docgen(*args: str | Path) -> None:
    shown = [repo_relative(a) if isinstance(a, Path) else a for a in args]
    print("$ docgen " + " ".join(shown), flush=True)
    subprocess.run([sys.executable, "-m", "docgen_plugin.cli", *shown], check=True, cwd=ROOT)


def balanced(records: Sequence[CorpusRecord], caps: dict[str, int] | int, seed: int) -> list[CorpusRecord]:
    """At most `caps[label]` records per label, picked by a seeded shuffle; input order kept."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    taken: dict[str, int] = {}
    keep: set[int] = set()
    for index in order:
        label = records[index].label
        cap = caps if isinstance(caps, int) else caps.get(label, 0)
        if taken.get(label, 0) < cap:
            taken[label] = taken.get(label, 0) + 1
            keep.add(index)
    return [r for i, r in enumerate(records) if i in keep]


def verified(records: Sequence[CorpusRecord]) -> list[CorpusRecord]:
    """The records whose human text keeps every sentence under docgen's sentence checks
    against the record's own facts: a model trained on sentences the facts cannot support
    learns to write what the checks then drop."""
    from docgen_plugin.finetune.eval_plan import spec_for
    from docgen_plugin.generate.sentences import verify_prose
    from docgen_plugin.sections.catalogue import build_catalogue
    from docgen_plugin.settings import Settings

    catalogue = build_catalogue(Settings().section_synonyms)
    kept = []
    for record in records:
        if record.label not in TRAIN_CAPS:
            continue
        check = verify_prose(record.completion, record.object_facts(), record.context(),
                             section=spec_for(record, catalogue))
        if check.ok and not check.dropped:
            kept.append(record)
    return kept


def balance(full: Path, out: Path) -> None:
    caps = {"train": TRAIN_CAPS, "validation": VALIDATION_CAP, "test": TEST_CAP}
    counts = {}
    unverified = 0
    for split, cap in caps.items():
        records = read_split(full, split)
        if split == "train":
            kept = verified(records)
            unverified = len(records) - len(kept)
            records = kept
        chosen = balanced(records, cap, SEED)
        write_split(out, split, chosen)
        counts[split] = {label: sum(r.label == label for r in chosen) for label in sorted(TRAIN_CAPS)}
    card = json.loads((full / DATACARD_JSON).read_text())
    card["subset"] = {"of": repo_relative(full), "seed": SEED, "caps": caps, "counts": counts,
                      "train_unverified_removed": unverified}
    (out / DATACARD_JSON).write_text(json.dumps(card, indent=2, sort_keys=True))
    note = ("\n\n## Training subset\n\nLabel-balanced, seeded subset (scripts/default_adapter.py); "
            f"{unverified} train texts left out: of sections rendered from facts, or with a "
            "sentence the sentence checks drop against their own facts:\n\n")
    note += "\n".join(f"- {split}: {json.dumps(c)}" for split, c in counts.items())
    (out / DATACARD_MD).write_text((full / DATACARD_MD).read_text() + note + "\n")
    print(f"balanced subset in {out}: {json.dumps(counts)}")


def portable(path: Path) -> None:
    """No machine paths in shipped files: the repo and site-packages prefixes go, the user's
    docgen home is named as such, and the adapter names its base model instead of a cache
    folder."""
    from docgen_plugin.generate.default_model import EMBEDDED
    from docgen_plugin.generate.userdirs import docgen_home

    text = path.read_text(encoding="utf-8").replace(f"{ROOT}/", "")
    # the source packages' files by their import path (`torch/nn/init.py`), wherever the venv is
    text = text.replace(sysconfig.get_paths()["purelib"] + "/", "")
    text = text.replace(str(docgen_home()), "$DOCGEN_HOME")
    if path.name == "adapter_config.json":
        config = json.loads(text)
        config["base_model_name_or_path"] = EMBEDDED.name
        text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")


def ship(adapter: Path, corpus: Path) -> None:
    """Copy the adapter into the package, its weights as bf16 (half the size; merged in fp32)."""
    import torch
    from safetensors.torch import load_file, save_file

    SHIPPED.mkdir(parents=True, exist_ok=True)
    weights = load_file(adapter / "adapter_model.safetensors")
    save_file({k: v.to(torch.bfloat16) for k, v in weights.items()},
              SHIPPED / "adapter_model.safetensors", metadata={"format": "pt"})
    for name in SHIP_FILES:
        if (adapter / name).is_file():
            shutil.copy2(adapter / name, SHIPPED / name)
    for name in (DATACARD_JSON, DATACARD_MD):
        shutil.copy2(corpus / name, SHIPPED / name)
    for name in (*SHIP_FILES, DATACARD_JSON, DATACARD_MD):
        if name.endswith((".json", ".md")) and (SHIPPED / name).is_file():
            portable(SHIPPED / name)
    size = (SHIPPED / "adapter_model.safetensors").stat().st_size
    print(f"shipped {SHIPPED} ({size / 2**20:.1f} MiB of weights)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "default-adapter")
    parser.add_argument("--only", choices=("corpus", "balance", "train", "ship", "eval"))
    parser.add_argument("--resume", action="store_true", help="Resume an interrupted training.")
    args = parser.parse_args(argv)
    build: Path = args.build
    full, subset, adapter = build / "corpus-full", build / "corpus", build / "adapter"

    def wanted(stage: str) -> bool:
        return args.only in (None, stage)

    if wanted("corpus"):
        docgen("corpus", *PACKAGES, "-o", full, "--seed", str(SEED))
        for package in UNSEEN:  # half of each unseen package is its test split
            docgen("corpus", package, "-o", build / f"unseen-{package}", "--seed", str(SEED),
                   "--validation-share", "0", "--test-share", "0.5")
    if wanted("balance"):
        balance(full, subset)
    if wanted("train"):
        docgen("finetune", subset, "-o", adapter, *FINETUNE,
               *(["--resume"] if args.resume else []))
    if wanted("ship"):
        ship(adapter, subset)
    if wanted("eval"):  # the shipped (bf16) weights: what users get
        docgen("eval", subset, "--adapter", SHIPPED, "-o", build / "eval-heldout")
        for package in UNSEEN:
            docgen("eval", build / f"unseen-{package}", "--adapter", SHIPPED,
                   "--limit", str(UNSEEN_LIMIT), "-o", build / f"eval-unseen-{package}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
