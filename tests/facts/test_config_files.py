"""Config files: keys with lines, nested; matched to their config class; bad files reported."""

from __future__ import annotations

from pkgtools import facts_of

CONFIG = '''
from dataclasses import dataclass


@dataclass
class TrainConfig:
    """Training."""

    lr: float = 3e-4
    epochs: int = 3
    warmup: int = 0


@dataclass
class ModelConfig:
    """Model."""

    hidden: int = 64
    layers: int = 2
'''


def test_yaml_keys_lines_and_best_match(tmp_path):
    facts = facts_of(tmp_path, {
        "config.py": CONFIG,
        "configs/train.yaml": "# training\nlr: 0.001\nepochs: 5\nwarmup: 10\n",
        "configs/model.json": '{\n  "model": {\n    "hidden": 32,\n    "layers": 4\n  }\n}\n',
        "configs/run.toml": '[train]\nlr = 0.1\nepochs = 2\n\n[other]\nname = "x"\n',
    })
    files = {c.file.rsplit("/", 1)[-1]: c for c in facts.config_files}
    train = files["train.yaml"]
    assert [(k.key, k.value, k.line) for k in train.keys] == [
        ("lr", 0.001, 2), ("epochs", 5, 3), ("warmup", 10, 4),
    ]
    assert (train.config_class, train.match_reason, train.match_score) == (
        "pkg.config.TrainConfig", "fields", 1.0)
    model = files["model.json"]
    assert [(k.key, k.line) for k in model.keys] == [("model", 2), ("model.hidden", 3),
                                                     ("model.layers", 4)]
    assert (model.config_class, model.prefix) == ("pkg.config.ModelConfig", "model")
    run = files["run.toml"]
    assert ("train.epochs", 2, 3) in [(k.key, k.value, k.line) for k in run.keys]
    assert run.config_class == "pkg.config.TrainConfig" and run.prefix == "train"


def test_target_key_and_settings_mapping(tmp_path):
    facts = facts_of(tmp_path, {
        "config.py": CONFIG,
        "configs/a.yaml": "_target_: pkg.config.ModelConfig\nwidth: 3\n",
        "configs/b.yaml": "something: 1\n",
    }, config_files={"*b.yaml": "pkg.config.TrainConfig"})
    files = {c.file.rsplit("/", 1)[-1]: c for c in facts.config_files}
    assert (files["a.yaml"].config_class, files["a.yaml"].match_reason) == (
        "pkg.config.ModelConfig", "_target_")
    assert (files["b.yaml"].config_class, files["b.yaml"].match_reason) == (
        "pkg.config.TrainConfig", "settings")


def test_no_match_below_threshold(tmp_path):
    facts = facts_of(tmp_path, {"config.py": CONFIG, "configs/x.yaml": "lr: 1\nfoo: 2\nbar: 3\n"})
    assert facts.config_files[0].config_class is None


def test_malformed_files_are_diagnostics_with_lines(tmp_path):
    facts = facts_of(tmp_path, {
        "config.py": CONFIG,
        "configs/bad.yaml": "model:\n  hidden: 64\n dropout: 0.1\n",
        "configs/bad.json": '{\n  "a": 1,\n  "b": \n}\n',
        "configs/bad.toml": "a = 1\nb = = 2\n",
        "configs/good.yaml": "lr: 1\nepochs: 2\n",
    })
    diagnostics = {d.file.rsplit("/", 1)[-1]: d for d in facts.diagnostics}
    assert diagnostics["bad.yaml"].code == "DG004" and diagnostics["bad.yaml"].line == 3
    assert diagnostics["bad.json"].line == 4 and "JSON" in diagnostics["bad.json"].message
    assert diagnostics["bad.toml"].line == 2
    assert [c.file.rsplit("/", 1)[-1] for c in facts.config_files] == ["good.yaml"]


def test_yaml_alias_bomb_and_recursive_alias_stay_bounded():
    from docgen_plugin.facts.config_files import MAX_KEYS, flatten, parse_config_text

    levels = ["a: &a {x: 1, y: 2}"]
    for i in range(1, 12):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} {{p: *{prev}, q: *{prev}, r: *{prev}}}")
    pairs = flatten(parse_config_text("\n".join(levels) + "\n", "yaml"))
    assert len(pairs) == MAX_KEYS  # 3**11 leaves cut at the cap, not expanded (no timed assert)
    shared = flatten(parse_config_text("base: &b {lr: 1}\ntrain: *b\neval: *b\n", "yaml"))
    assert ("eval.lr", 1) in shared  # an alias used twice is read twice
    loop = parse_config_text("a: &a\n  b: *a\n", "yaml")
    assert flatten(loop) == [("a", None), ("a.b", None)]
