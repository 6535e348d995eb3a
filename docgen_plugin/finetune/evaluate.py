"""`docgen eval`: the base model, the base model with house-style examples, and the base model
with a LoRA adapter, compared on one split of a corpus.

    test records -> prompts per system -> the drafting path (Generator, its decoding, the
    catalogue's token budgets, `tidy`, `verify_draft`) -> scores against the human text

What runs is planned in `eval_plan` (the systems, records and prompts); raw generations are
kept in `eval_cache`, so a rerun generates only what is missing. Here: generating what is not
cached, post-processing and verifying it as drafting does, and scoring it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError, SettingsError
from docgen_plugin.finetune.eval_cache import GENERATIONS, GenerationCache, generation_key
from docgen_plugin.finetune.eval_plan import (
    ADAPTER,
    EvalOptions,
    eval_records,
    few_shot_examples,
    prompt_for,
)
from docgen_plugin.finetune.metrics import ItemScore, Summary, aggregate_by_label, relative_gain
from docgen_plugin.finetune.metrics import score_item as _score
from docgen_plugin.finetune.records import CorpusRecord
from docgen_plugin.generate.generator import Decoding
from docgen_plugin.generate.messages import Message
from docgen_plugin.generate.prompt_fit import BudgetFitter
from docgen_plugin.generate.prompts import PROMPT_VERSION, messages_hash
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Output:
    """One system's answer to one record: raw and post-processed text, verdict, scores."""

    system: str
    record_id: str
    prompt_hash: str
    key: str
    raw: str
    text: str
    reasons: tuple[str, ...]
    score: ItemScore
    cached: bool = False

    @property
    def passed(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, kw_only=True)
class EvalResult:
    """Everything `docgen eval` measured; `eval_report` writes it out."""

    corpus: Path
    split: str
    systems: tuple[str, ...]
    records: tuple[CorpusRecord, ...]
    outputs: Mapping[str, tuple[Output, ...]]  # system -> one output per record, in order
    summaries: Mapping[str, Mapping[str, Summary]]  # system -> label (and `all`) -> scores
    shots: Mapping[str, tuple[str, ...]]  # label -> ids of the train records used as examples
    model: Mapping[str, Any]
    seconds: Mapping[str, float]  # generation wall time per system; `load` for model loads
    settings: Mapping[str, Any]

    @property
    def labels(self) -> list[str]:
        return sorted({r.label for r in self.records})

    def gains(self) -> dict[str, dict[str, float | None]]:
        """ROUGE-L gain of the adapter over each other system, in percent, per label."""
        if ADAPTER not in self.summaries:
            return {}
        adapter = self.summaries[ADAPTER]
        return {
            f"{ADAPTER} vs {other}": {
                label: relative_gain(adapter[label].rouge_l, scores[label].rouge_l)
                for label in adapter
            }
            for other, scores in self.summaries.items()
            if other != ADAPTER
        }


@dataclass
class _Pending:
    system: str
    index: int
    messages: list[Message]
    key: str
    budget: int


GeneratorFactory = Callable[[Settings], Any]  # settings -> a Generator


def _load_generator(settings: Settings, progress: bool) -> Any:
    from docgen_plugin.generate.generator import Generator
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model

    loaded = load_model(resolve_model(settings), progress=progress)
    return Generator(loaded, batch_size=settings.batch_size, progress=progress)


def _model_settings(settings: Settings, system: str) -> Settings:
    return settings if system == ADAPTER else replace(settings, adapter="none")


def evaluate(
    corpus: Path,
    settings: Settings,
    options: EvalOptions,
    *,
    make_generator: GeneratorFactory | None = None,
) -> EvalResult:
    """Generate (or read from the cache) every system's answer to every selected record,
    post-process and verify them as drafting does, and score them against the human text."""
    from docgen_plugin.generate.drafting import tidy
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.generate.sentences import verify_prose
    from docgen_plugin.generate.verify import verify_draft

    if ADAPTER in options.systems and not settings.adapter:
        raise SettingsError("the `adapter` system needs --adapter DIR (or `adapter` in "
                            "[tool.docgen]); or choose --systems base,base-3shot")
    records, specs = eval_records(corpus, settings, options)

    examples, shots = few_shot_examples(corpus, records, options, settings.seed)

    decoding = Decoding()
    resolved = {
        system: resolve_model(_model_settings(settings, system)) for system in options.systems
    }
    cache = GenerationCache(options.out / GENERATIONS)
    raws: dict[str, list[str | None]] = {s: [None] * len(records) for s in options.systems}
    cached: dict[str, set[int]] = {s: set() for s in options.systems}
    pending: dict[str, list[_Pending]] = {s: [] for s in options.systems}
    prompt_hashes: dict[str, list[str]] = {s: [] for s in options.systems}
    keys: dict[str, list[str]] = {s: [] for s in options.systems}
    fit = BudgetFitter(settings)  # the base model's tokenizer: the adapter does not change it
    for system in options.systems:
        model = resolved[system]
        for index, (record, spec) in enumerate(zip(records, specs)):
            messages = fit(prompt_for(system, record, examples.get(record.label, ())))
            budget = min(spec.max_new_tokens, settings.max_new_tokens)
            prompt_hash = messages_hash(messages)
            key = generation_key(
                system=system, record_id=record.id, prompt_hash=prompt_hash,
                model_hash=model.model_hash, adapter_hash=model.adapter_hash,
                max_new_tokens=budget, decoding=decoding,
            )
            prompt_hashes[system].append(prompt_hash)
            keys[system].append(key)
            hit = cache.get(key)
            if hit is not None:
                raws[system][index] = hit
                cached[system].add(index)
            else:
                pending[system].append(_Pending(system, index, messages, key, budget))

    seconds: dict[str, float] = {"load": 0.0}
    make = make_generator or (lambda s: _load_generator(s, options.progress))
    # base systems share one loaded model; the adapter system loads it again with the
    # adapter merged, exactly as drafting does
    for group in ([s for s in options.systems if s != ADAPTER], [ADAPTER]):
        todo = [s for s in group if s in options.systems and pending[s]]
        if not todo:
            continue
        start = time.perf_counter()
        generator = make(_model_settings(settings, todo[0]))
        seconds["load"] += time.perf_counter() - start
        for system in todo:
            jobs = pending[system]
            logger.info("docgen eval: %s: generating %d answer(s) (%d cached)", system,
                        len(jobs), len(cached[system]))

            def keep(position: int, raw: str, jobs: list[_Pending] = jobs) -> None:
                job = jobs[position]
                raws[job.system][job.index] = raw
                cache.put(job.key, raw, system=job.system, id=records[job.index].id)

            start = time.perf_counter()
            texts = generator.generate([j.messages for j in jobs], [j.budget for j in jobs],
                                       on_result=keep)
            seconds[system] = time.perf_counter() - start
            for position, text in enumerate(texts):  # generators that do not stream
                if raws[system][jobs[position].index] is None:
                    keep(position, text)
        del generator

    outputs: dict[str, tuple[Output, ...]] = {}
    for system in options.systems:
        scored: list[Output] = []
        for index, (record, spec) in enumerate(zip(records, specs)):
            raw = raws[system][index] or ""
            text = tidy(raw, spec)
            verdict = verify_draft(text, record.object_facts(), record.context(), section=spec)
            # what a page would show: the sentences the facts support (a code draft: all)
            check = None if spec.code else verify_prose(
                text, record.object_facts(), record.context(), section=spec)
            shown = text if check is None else check.text
            scored.append(Output(
                system=system, record_id=record.id, prompt_hash=prompt_hashes[system][index],
                key=keys[system][index], raw=raw, text=shown,
                reasons=tuple(map(str, verdict.reasons)),
                score=_score(shown, record.completion, passed=verdict.ok, label=record.label,
                             sentences=len(check.kept) + len(check.dropped) if check else 0,
                             kept=len(check.kept) if check else 0),
                cached=index in cached[system],
            ))
        outputs[system] = tuple(scored)
    summaries = {s: aggregate_by_label([o.score for o in outputs[s]]) for s in options.systems}
    any_model = resolved[options.systems[0]]
    adapter = resolved.get(ADAPTER)
    return EvalResult(
        corpus=corpus,
        split=options.split,
        systems=options.systems,
        records=tuple(records),
        outputs=outputs,
        summaries=summaries,
        shots=shots,
        model={
            "name": any_model.name,
            "model_hash": any_model.model_hash,
            "adapter": str(adapter.adapter) if adapter is not None else None,
            "adapter_hash": adapter.adapter_hash if adapter is not None else None,
            "decoding": decoding.as_dict(),
            "prompt_version": PROMPT_VERSION,
        },
        seconds=seconds,
        settings={
            "seed": settings.seed,
            "shots": options.shots,
            "limit": options.limit,
            "max_new_tokens": settings.max_new_tokens,
            "batch_size": settings.batch_size,
        },
    )


def check_adapter(settings: Settings) -> Path:
    """The adapter folder `settings` names, checked; a `ModelError` that says what to do."""
    value = (settings.adapter or "").strip()
    leave_out = "or leave --adapter out (--systems base,base-3shot) to evaluate the base model"
    if value.lower() in ("", "none"):
        raise ModelError(f"--adapter {value or '(empty)'}: give the folder `docgen finetune` "
                         f"wrote (it holds adapter_config.json), {leave_out}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else settings.root_path / path
    if not path.is_dir():
        raise ModelError(f"adapter folder {path} not found: train one with `docgen finetune "
                         f"CORPUS -o {path}` or fix --adapter, {leave_out}", str(path))
    if not (path / "adapter_config.json").is_file():
        raise ModelError(f"{path}: no adapter_config.json, so not a PEFT LoRA adapter folder; "
                         f"point --adapter at what `docgen finetune` wrote, {leave_out}", str(path))
    return path
