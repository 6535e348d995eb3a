"""Tokenisation, masking, ordering and input errors of `docgen finetune` (no training)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from trainkit import make_record, write_corpus

from docgen_plugin.cli import main
from docgen_plugin.errors import SettingsError
from docgen_plugin.finetune.training_data import (
    IGNORE,
    Collator,
    ExampleDataset,
    encode_record,
    encode_records,
    grouped_order,
)
from docgen_plugin.finetune.training_options import TrainOptions, parse_sweep


@pytest.fixture(scope="module")
def loaded(tiny_model_dir: Path) -> object:
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.settings import Settings

    return load_model(resolve_model(Settings(model=str(tiny_model_dir))), dtype="float32", progress=False)


def test_mask_is_exact_and_prompt_matches_drafting(loaded: object) -> None:
    from docgen_plugin.generate.generator import Generator

    generator = Generator(loaded, progress=False)  # type: ignore[arg-type]
    tokenizer = generator.tokenizer
    record = make_record(3)
    example = encode_record(tokenizer, record, max_length=512)
    assert example is not None and not example.truncated
    # the prompt is token for token what drafting feeds the model
    assert list(example.prompt_ids) == generator.render([dict(m) for m in record.messages])
    labels = example.labels
    assert labels[: len(example.prompt_ids)] == [IGNORE] * len(example.prompt_ids)
    answer = [t for t in labels if t != IGNORE]
    assert len(answer) == len(labels) - len(example.prompt_ids)
    assert tokenizer.decode(answer) == record.completion + "<|im_end|>\n"
    assert example.input_ids[len(example.prompt_ids) :] == answer


def test_long_examples_are_cut_or_dropped_and_counted(loaded: object) -> None:
    tokenizer = loaded.tokenizer  # type: ignore[attr-defined]
    short, long = make_record(1, words=6), make_record(2, words=300)
    prompt_length = len(encode_record(tokenizer, short, 4096).prompt_ids)  # type: ignore[union-attr]
    encoded = encode_records(tokenizer, [short, long], max_length=prompt_length + 40)
    assert [e.record_id for e in encoded.examples] == [short.id, long.id]
    assert encoded.truncated == (long.id,) and encoded.dropped == ()
    assert all(len(e) <= prompt_length + 40 for e in encoded.examples)
    # no room for the answer after the prompt: dropped, and counted
    dropped = encode_records(tokenizer, [short, long], max_length=prompt_length + 2)
    assert dropped.examples == () and dropped.dropped == (short.id, long.id)
    assert dropped.summary()["dropped"] == 2


def test_collator_pads_right_and_masks_padding(loaded: object) -> None:
    tokenizer = loaded.tokenizer  # type: ignore[attr-defined]
    encoded = encode_records(tokenizer, [make_record(1, words=3), make_record(2, words=30)], 512)
    dataset = ExampleDataset(encoded.examples)
    batch = Collator(pad_token_id=0)([dataset[0], dataset[1]])
    short = len(encoded.examples[0])
    assert batch["input_ids"].shape[1] == max(len(e) for e in encoded.examples)
    assert batch["attention_mask"][0, short:].sum() == 0
    assert (batch["labels"][0, short:] == IGNORE).all()
    assert batch["index"].tolist() == [0, 1]
    rounded = Collator(pad_token_id=0, multiple=64)([dataset[0], dataset[1]])
    width = rounded["input_ids"].shape[1]
    assert width % 64 == 0 and 0 <= width - batch["input_ids"].shape[1] < 64
    assert rounded["attention_mask"].sum() == batch["attention_mask"].sum()
    assert (rounded["labels"][:, batch["input_ids"].shape[1]:] == IGNORE).all()


def test_grouped_order_is_a_seeded_length_grouped_permutation() -> None:
    lengths = [10, 300, 20, 290, 15, 310, 25, 280] * 4
    order = grouped_order(lengths, batch_size=4, seed=1, epoch=0)
    assert sorted(order) == list(range(len(lengths)))
    assert order == grouped_order(lengths, batch_size=4, seed=1, epoch=0)
    assert order != grouped_order(lengths, batch_size=4, seed=1, epoch=1)
    batches = [order[i : i + 4] for i in range(0, len(order), 4)]
    # each batch holds only short or only long rows: little padding
    assert all(len({lengths[i] > 100 for i in batch}) == 1 for batch in batches)


def test_sweep_grid_and_options() -> None:
    grid = parse_sweep(["lr=1e-4,3e-4", "rank=8,16"])
    assert len(grid) == 4 and {"learning_rate": 1e-4, "lora_rank": 8} in grid
    with pytest.raises(SettingsError, match="KEY=V1,V2"):
        parse_sweep(["nope=1"])
    with pytest.raises(SettingsError, match="learning-rate must be positive"):
        TrainOptions(learning_rate=0)


def test_missing_corpus_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finetune", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "nope" in error and "docgen corpus" in error


def test_empty_train_split_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", train=0)
    assert main(["finetune", str(corpus), "-o", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "train.jsonl" in error and "empty" in error


def test_missing_split_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "corpus").mkdir()
    assert main(["finetune", str(tmp_path / "corpus"), "-o", str(tmp_path / "out")]) == 2
    assert "train.jsonl: no such file" in capsys.readouterr().err


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\nfrom docgen_plugin.cli import main\n"
        "try:\n    main(['finetune', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--resume" in done.stdout and "--from-adapter" in done.stdout


def test_max_length_is_chosen_from_the_corpus_and_capped() -> None:
    from types import SimpleNamespace

    from docgen_plugin.finetune.max_length import MIN_LENGTH, choose_max_length, memory_cap

    lengths = [100 + i for i in range(19)] + [1000]  # one long outlier
    choice = choose_max_length(lengths, cap=4096)
    assert choice.max_length == 128 and choice.whole_share == 0.95  # 95 % whole, not the outlier
    assert "95%" in choice.reason
    capped = choose_max_length([300] * 10, cap=200)
    assert capped.max_length == 192 and capped.whole_length == 320 and "capped" in capped.reason
    assert capped.whole_share == 0.0
    assert choose_max_length([10, 20], cap=4096).max_length == MIN_LENGTH
    config = SimpleNamespace(hidden_size=576, num_hidden_layers=30)
    # linear in memory, inverse in batch and in the model's width times depth
    assert abs(memory_cap(config, 8, memory=16 * 10**9) - 2 * memory_cap(config, 8, memory=8 * 10**9)) <= 1
    wider = SimpleNamespace(hidden_size=1152, num_hidden_layers=30)
    assert memory_cap(wider, 8, memory=8 * 10**9) == memory_cap(config, 16, memory=8 * 10**9)
    assert memory_cap(config, 16, memory=8 * 10**9) < memory_cap(config, 8, memory=8 * 10**9)


def test_more_than_five_percent_dropped_is_an_error_naming_the_fix(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from docgen_plugin.finetune.records import write_split

    corpus = write_corpus(tmp_path / "corpus", train=16, validation=2)
    records = [make_record(i) for i in range(16)]
    # two prompts far over any budget (not a facts block: nothing to fit): 2 of 16 dropped
    long = {"role": "user", "content": "Describe it. " * 400}
    records[:2] = [replace(r, messages=(r.messages[0], long)) for r in records[:2]]
    write_split(corpus, "train", records)
    code = main(["finetune", str(corpus), "-o", str(tmp_path / "out"), "--model", str(tiny_model_dir),
                 "--max-length", "256", "--max-steps", "1", "--no-progress"])
    error = capsys.readouterr().err
    assert code != 0 and "train.jsonl: 2 of 16 examples do not fit max-length 256" in error
    assert "--max-length" in error and "corpus-max-chars" in error and "Traceback" not in error
