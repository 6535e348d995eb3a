"""`docgen eval`: a hand-made corpus over examples/tinyformer, the tiny random model and a tiny
random LoRA adapter; one full run shared by the module, checked from its reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from docgen_plugin.cli import main
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import to_dict
from docgen_plugin.finetune import eval_cache, eval_plan
from docgen_plugin.finetune import evaluate as ev
from docgen_plugin.finetune.metrics import ALL, aggregate_by_label, bleu, rouge_l, token_f1
from docgen_plugin.finetune.records import CorpusRecord, read_split, record_id, write_split
from docgen_plugin.generate.prompts import PROMPT_VERSION, build_messages, context_objects
from docgen_plugin.sections.catalogue import build_catalogue
from docgen_plugin.settings import Settings, load_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LABELS = ("overview", "intended-use")
TEST_MODULES = ("tinyformer.classifier",)
MAX_NEW_TOKENS = 12


def _completion(obj, label: str) -> str:
    first = (obj.docstring.text.strip().splitlines() or [""])[0] if obj.docstring else ""
    if label == "overview":
        return f"`{obj.name}` is part of the module `{obj.module}`. {first}"
    return f"`{obj.name}` is used in `{obj.module}`. {first}"  # words every sentence check lets through


def build_corpus(corpus: Path, cache: Path) -> None:
    settings = Settings(root=str(EXAMPLES), cache_dir=str(cache))
    facts = load_facts([EXAMPLES / "tinyformer"], settings)
    catalogue = build_catalogue()
    splits: dict[str, list[CorpusRecord]] = {"train": [], "validation": [], "test": []}
    for obj in facts.objects:
        group = ".".join(obj.path.split(".")[:2])  # the source module
        split = "test" if group in TEST_MODULES else "train"
        for spec in catalogue.sections_for(obj):
            if spec.kind not in LABELS:
                continue
            completion = _completion(obj, spec.kind)
            splits[split].append(CorpusRecord(
                id=record_id(spec.kind, obj.path, completion), label=spec.kind, object=obj.path,
                group=group, source=f"{group.replace('.', '/')}.py", line=obj.line or 1,
                package="tinyformer", messages=tuple(build_messages(obj, spec, facts)),
                completion=completion,
                facts=tuple(to_dict(o) for o in context_objects(obj, facts)),
                prompt_version=PROMPT_VERSION,
            ))
    for split, records in splits.items():
        write_split(corpus, split, records)
    (corpus / "datacard.json").write_text(json.dumps({"splits": {
        s: len(r) for s, r in splits.items()}}), encoding="utf-8")


def build_adapter(model_dir: Path, out: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=[
        "q_proj", "v_proj", "o_proj", "down_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, weight in peft_model.named_parameters():
            if "lora_B" in name:  # zero at init: the adapter would change nothing
                weight.copy_(torch.randn_like(weight) * 0.5)
    peft_model.save_pretrained(out, safe_serialization=True)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("eval")
    build_corpus(root / "corpus", root / ".facts-cache")
    build_adapter(tiny_model_dir, root / "adapter")
    (root / "pyproject.toml").write_text(
        f'[tool.docgen]\nmodel = "{tiny_model_dir}"\nmax-new-tokens = {MAX_NEW_TOKENS}\n'
        'batch-size = 16\n', encoding="utf-8")
    return root


@pytest.fixture
def in_workspace(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(workspace)
    return workspace


@pytest.fixture(scope="module")
def full_run(workspace: Path) -> Iterator[dict]:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workspace)
        code = main(["eval", "corpus", "--adapter", "adapter", "--quiet"])
    assert code == 0
    yield json.loads((workspace / "corpus" / "eval-adapter" / "eval.json").read_text("utf-8"))


def test_reports_hold_every_system_and_kind(full_run, workspace, capsys):
    out = workspace / "corpus" / "eval-adapter"
    assert full_run["systems"] == ["base", "base-3shot", "adapter"]
    test = read_split(workspace / "corpus", "test")
    labels = sorted({r.label for r in test})
    assert labels == sorted(LABELS)
    for system in full_run["systems"]:
        assert list(full_run["summary"][system]) == [ALL, *labels]
        assert full_run["summary"][system][ALL]["count"] == len(test)
    assert set(full_run["gains_rouge_l_percent"]) == {"adapter vs base", "adapter vs base-3shot"}
    assert len(full_run["items"]) == len(test)
    markdown = (out / "eval.md").read_text("utf-8")
    for heading in ("## All sections", "## Per section kind", "## ROUGE-L gain", "worst cases",
                    *(f"### {label}" for label in labels)):
        assert heading in markdown
    assert (out / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / eval_cache.GENERATIONS).is_file()
    assert full_run["model"]["adapter_hash"] and full_run["model"]["adapter"].endswith("adapter")


def test_scores_agree_with_the_stored_generations(full_run):
    items = full_run["items"]
    for system in full_run["systems"]:
        texts = [i["systems"][system]["text"] for i in items]
        refs = [i["reference"] for i in items]
        for item, text in zip(items, texts):
            stored = item["systems"][system]
            assert stored["rouge_l"] == pytest.approx(rouge_l(text, item["reference"]))
            assert stored["token_f1"] == pytest.approx(token_f1(text, item["reference"]))
            assert stored["passed"] == (not stored["reasons"])
        summary = full_run["summary"][system][ALL]
        assert summary["bleu"] == pytest.approx(bleu(texts, refs))
        assert summary["rouge_l"] == pytest.approx(
            sum(i["systems"][system]["rouge_l"] for i in items) / len(items))
        assert summary["pass_rate"] == pytest.approx(
            100 * sum(i["systems"][system]["passed"] for i in items) / len(items))
    # a random model fails the verifier: the pass rate is measured, not assumed
    assert full_run["summary"]["base"][ALL]["pass_rate"] < 100


def test_three_shot_prompt_uses_train_completions_only(full_run, workspace):
    corpus = workspace / "corpus"
    train = {r.id: r for r in read_split(corpus, "train")}
    test = read_split(corpus, "test")
    test_completions = {r.completion for r in test}
    catalogue = build_catalogue()
    for record in test:
        ids = full_run["shots"][record.label]
        assert len(ids) == 3 and all(i in train for i in ids)
        assert len({train[i].group for i in ids}) == 3  # different groups while there are
        examples = eval_plan.as_examples([train[i] for i in ids])
        messages = eval_plan.few_shot_messages(record, examples)
        rebuilt = build_messages(record.object_facts(), catalogue.spec(record.label),
                                 record.context(), examples=examples)
        assert messages == rebuilt
        assistant = [m["content"] for m in messages if m["role"] == "assistant"]
        assert assistant == [train[i].completion for i in ids]
        text = json.dumps(messages)
        assert not any(json.dumps(c)[1:-1] in text for c in test_completions)
        item = next(i for i in full_run["items"] if i["id"] == record.id)
        assert item["systems"]["base-3shot"]["prompt_hash"] != item["systems"]["base"]["prompt_hash"]


def test_adapter_changes_the_output(full_run):
    raws = [(i["systems"]["base"]["raw"], i["systems"]["adapter"]["raw"]) for i in full_run["items"]]
    assert sum(base != adapter for base, adapter in raws) >= len(raws) // 2
    # same prompt, different model: the base system and the adapter share prompts
    assert all(i["systems"]["base"]["prompt_hash"] == i["systems"]["adapter"]["prompt_hash"]
               for i in full_run["items"])


def test_rerun_reads_every_generation_from_the_cache(full_run, workspace, monkeypatch):
    monkeypatch.chdir(workspace)

    def no_model(settings):
        raise AssertionError("a model was loaded although every answer is cached")

    settings = load_settings(workspace).merged(adapter=str(workspace / "adapter"))
    options = eval_plan.EvalOptions(out=workspace / "corpus" / "eval-adapter", progress=False)
    result = ev.evaluate(workspace / "corpus", settings, options, make_generator=no_model)
    assert all(o.cached for outputs in result.outputs.values() for o in outputs)
    for system, by_label in result.summaries.items():
        assert by_label[ALL].rouge_l == pytest.approx(full_run["summary"][system][ALL]["rouge_l"])


def test_another_dtype_misses_the_cache(full_run, workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("DOCGEN_DTYPE", "int8")  # int8 answers differ: never the cached ones

    def model_asked(settings):
        raise LookupError("a model was asked for")

    settings = load_settings(workspace).merged(adapter=str(workspace / "adapter"))
    options = eval_plan.EvalOptions(out=workspace / "corpus" / "eval-adapter", progress=False)
    with pytest.raises(LookupError, match="a model was asked for"):
        ev.evaluate(workspace / "corpus", settings, options, make_generator=model_asked)


def test_limit_and_base_systems_without_an_adapter(in_workspace, capsys):
    code = main(["eval", "corpus", "--limit", "2", "--systems", "base", "--quiet", "-o", "small"])
    assert code == 0
    report = json.loads((in_workspace / "small" / "eval.json").read_text("utf-8"))
    assert report["systems"] == ["base"] and len(report["items"]) == 2
    records = read_split(in_workspace / "corpus", "test")
    expected = [r.id for r in eval_plan.select_records(records, 2, seed=0)]
    assert [i["id"] for i in report["items"]] == expected
    printed = capsys.readouterr().out
    assert "ROUGE-L" in printed and "base" in printed


def test_limit_counts_generated_items_not_table_sections(in_workspace):
    # a test split where most records are of sections rendered from facts (never generated)
    from dataclasses import replace

    for split in ("train", "validation", "test"):
        records = read_split(in_workspace / "corpus", split)
        tables = [replace(r, id=f"{r.id}-{n}", label="parameters") for r in records for n in range(5)]
        write_split(in_workspace / "mixed", split, [*tables, *records])
    code = main(["eval", "mixed", "--limit", "2", "--systems", "base", "--quiet", "-o", "mixed-out"])
    assert code == 0
    report = json.loads((in_workspace / "mixed-out" / "eval.json").read_text("utf-8"))
    assert len(read_split(in_workspace / "corpus", "test")) >= 2
    assert len(report["items"]) == 2  # two generated items, as asked: not 2 of the 6x as many


def test_selection_and_shots_are_deterministic(workspace):
    records = read_split(workspace / "corpus", "train")
    first = eval_plan.select_records(records, 5, seed=0)
    assert [r.id for r in first] == [r.id for r in eval_plan.select_records(records[::-1], 5, seed=0)]
    assert [r.id for r in eval_plan.select_records(records, None, seed=0)][:5] == [r.id for r in first]
    overview = [r for r in records if r.label == "overview"]
    shots = eval_plan.choose_shots(overview, 3, seed=0)
    assert [r.id for r in shots] == [r.id for r in eval_plan.choose_shots(overview[::-1], 3, seed=0)]
    excluded = eval_plan.choose_shots(overview, 3, seed=0, exclude=frozenset({shots[0].completion}))
    assert shots[0] not in excluded and len(excluded) == 3
    assert len(eval_plan.choose_shots(overview[:2], 3, seed=0)) == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["eval", "nowhere"], "corpus folder nowhere not found"),
        (["eval", "corpus", "--adapter", "missing"], "adapter folder"),
        (["eval", "corpus", "--adapter", "none"], "--adapter none"),
        (["eval", "corpus", "--systems", "adapter"], "--adapter (empty)"),
        (["eval", "corpus", "--systems", "base,gpt"], "unknown system `gpt`"),
        (["eval", "corpus", "--adapter", "corpus"], "no adapter_config.json"),
    ],
)
def test_errors_are_one_line(in_workspace, capsys, arguments, message):
    assert main(arguments) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    if "missing" in arguments:
        assert str(in_workspace / "missing") in error and "docgen finetune" in error


class Scripted:
    """A generator that answers each test prompt from a script (no model)."""

    def __init__(self, answer):
        self.answer = answer
        self.budgets = []

    def generate(self, prompts, max_new_tokens, on_result=None):
        self.budgets.append(list(max_new_tokens))
        texts = [self.answer(messages) for messages in prompts]
        for index, text in enumerate(texts[:-1]):  # the last one as a non-streaming result
            on_result(index, text)
        return texts


def test_scores_and_gains_from_scripted_answers(workspace, tmp_path):
    corpus = workspace / "corpus"
    references = {r.user: r.completion for r in read_split(corpus, "test")}
    made = []

    def make(settings):
        adapter = settings.adapter not in (None, "none")  # base systems: the bare model
        made.append(adapter)

        def answer(messages):
            reference = references[messages[-1]["content"]]
            shots = sum(m["role"] == "assistant" for m in messages)
            if adapter:
                return reference
            return " ".join(reference.split()[: 9 if shots else 6])

        return Scripted(answer)

    settings = load_settings(workspace).merged(adapter=str(workspace / "adapter"))
    options = eval_plan.EvalOptions(out=tmp_path / "out", progress=False)
    result = ev.evaluate(corpus, settings, options, make_generator=make)
    assert made == [False, True]  # one base model for both base systems, then the adapter
    scores = {s: result.summaries[s][ALL] for s in result.systems}
    assert scores["adapter"].rouge_l == pytest.approx(100.0)
    assert scores["base"].rouge_l < scores["base-3shot"].rouge_l < scores["adapter"].rouge_l
    gains = result.gains()
    assert gains["adapter vs base"][ALL] == pytest.approx(
        100 * (100 - scores["base"].rouge_l) / scores["base"].rouge_l)
    assert result.summaries["adapter"] == aggregate_by_label([o.score for o in
                                                             result.outputs["adapter"]])
    assert {o.score.label for o in result.outputs["adapter"]} == set(LABELS)
