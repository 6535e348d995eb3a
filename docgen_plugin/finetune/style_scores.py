"""Style scores: how much the house adapter helps to predict a written section (DG401).

A section is scored as the answer to its section's draft prompt, tokenised exactly as training
tokenises it (`training_data.encode_record`): the mean loss of its answer tokens under the
adapter minus the same under the base model, in nats per token. Text in the house's voice
gets much easier with the adapter (a low score); text in another voice gains little; text
that is merely hard is hard for both and cancels out.

One load serves both: the adapter is applied unmerged and switched off for the base pass.
Scores are cached by everything that changes them, so a warm run imports no torch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from docgen_plugin.finetune.records import CorpusRecord
from docgen_plugin.settings import Settings
from docgen_plugin.store import JsonStore

STYLE_VERSION = "1"  # bump when the score's definition changes: old cache entries miss
# tokens of prompt + answer: the prompt is fitted (as drafting fits it) to what the answer
# leaves, at least half. Unfitted, the prompt is ~85 % of a section's tokens (455 of 531 on
# torch's validation split), so of the forward passes' cost: this keeps a check of 1,000
# sections within minutes on 2 cores (RESULTS.md, DG401)
MAX_LENGTH = 320
BATCH_TOKENS = 6144  # rows x padded width of one forward pass
MAX_ROWS = 16


@dataclass(frozen=True)
class SectionScore:
    """The answer's mean token loss under the adapter and under the base model."""

    adapter_loss: float
    base_loss: float
    tokens: int

    @property
    def score(self) -> float:
        return self.adapter_loss - self.base_loss


def resolve_scored(settings: Settings) -> Any:
    """The resolved model and the adapter scores are taken under (a `SettingsError` without one)."""
    from docgen_plugin.errors import SettingsError
    from docgen_plugin.generate.model_resolve import resolve_model

    resolved = resolve_model(settings)
    if resolved.adapter is None:
        raise SettingsError("DG401 scores sections against a house adapter: set `adapter` to "
                            "one `docgen finetune` trained (it is `none` now)")
    return resolved


class StyleScorer:
    """The base model with an adapter applied unmerged: one forward pass per section each way."""

    def __init__(self, settings: Settings, *, progress: bool = True) -> None:
        from docgen_plugin.finetune.training_loop import install_head_hook
        from docgen_plugin.generate.hardware import choose_device, choose_dtype
        from docgen_plugin.generate.model_load import apply_adapter, load_model
        from docgen_plugin.generate.quantize import INT8

        resolved = resolve_scored(settings)
        device = choose_device()
        dtype = choose_dtype(device)
        loaded = load_model(replace(resolved, adapter=None, adapter_hash=None),
                            dtype="float32" if dtype == INT8 else dtype, device=device,
                            progress=progress)
        self.model = apply_adapter(loaded.model, resolved.adapter, merge=False).eval()
        self.tokenizer = loaded.tokenizer
        self.device = loaded.device
        self.positions = install_head_hook(self.model)
        pad = self.tokenizer.pad_token_id
        self.pad = int(pad if pad is not None else self.tokenizer.eos_token_id)

    def scores(self, records: Sequence[CorpusRecord], *, progress: bool = True
               ) -> list[SectionScore | None]:
        """One score per record; None for one whose answer does not fit `MAX_LENGTH`."""
        from docgen_plugin.finetune.training_data import encode_record

        examples = [encode_record(self.tokenizer, r, MAX_LENGTH) for r in records]
        order = sorted((i for i, e in enumerate(examples) if e is not None),
                       key=lambda i: len(examples[i]))  # type: ignore[arg-type]
        batches: list[list[int]] = []
        for index in order:  # ascending lengths: the last row is the widest
            batch = batches[-1] if batches else None
            width = len(examples[index])  # type: ignore[arg-type]
            if batch is None or len(batch) == MAX_ROWS or (len(batch) + 1) * width > BATCH_TOKENS:
                batches.append([index])
            else:
                batch.append(index)
        out: list[SectionScore | None] = [None] * len(records)
        bar = _progress(len(batches), progress)
        for batch in batches:
            rows = [examples[i] for i in batch]
            for index, score in zip(batch, self._batch(rows)):
                out[index] = score
            bar.update(1)
        bar.close()
        return out

    def _batch(self, examples: list[Any]) -> list[SectionScore]:
        import torch

        from docgen_plugin.finetune.training_data import IGNORE, Collator, next_token_targets

        inputs = Collator(pad_token_id=self.pad, multiple=16)(
            [{"input_ids": e.input_ids, "labels": e.labels, "index": n} for n, e in enumerate(examples)])
        targets = next_token_targets(inputs["labels"])
        mask = targets != IGNORE
        rows = mask.nonzero()[:, 0]
        counts = torch.bincount(rows, minlength=len(examples)).clamp(min=1)
        ids = inputs["input_ids"].to(self.device)

        def mean_losses() -> list[float]:
            # right padding under a causal mask: no real token sees a pad, so no padding mask
            self.positions.mask = mask.to(self.device)
            try:
                logits = self.model(input_ids=ids, use_cache=False).logits[0].float().cpu()
            finally:
                self.positions.mask = None
            losses = torch.nn.functional.cross_entropy(logits, targets[mask], reduction="none")
            sums = torch.zeros(len(examples)).index_add_(0, rows, losses)
            return (sums / counts).tolist()  # type: ignore[no-any-return]

        with torch.inference_mode():
            adapted = mean_losses()
            with self.model.disable_adapter():
                base = mean_losses()
        return [SectionScore(a, b, int(c)) for a, b, c in zip(adapted, base, counts.tolist())]


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="docgen: style scores", unit="batch",
                disable=not enabled or total < 2, leave=False)


def score_key(record: CorpusRecord, identity: tuple[str, str | None, dict[str, Any]]) -> str:
    """What changes a score: the prompt and text, the model, adapter and numerics, the length."""
    payload = [STYLE_VERSION, record.prompt_version, *identity[:2], identity[2], MAX_LENGTH,
               list(record.messages), record.completion]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _entry_problem(data: dict[str, Any]) -> str | None:
    fields = ("adapter_loss", "base_loss", "tokens")
    if not all(isinstance(data.get(f), (int, float)) for f in fields):
        return "a style score entry needs adapter_loss, base_loss and tokens"
    return None


def cached_scores(records: Sequence[CorpusRecord], settings: Settings, *, progress: bool = True
                  ) -> list[SectionScore | None]:
    """Each record's score: from the cache, else computed (the model loads only then)."""
    from docgen_plugin.generate.drafting import model_identity

    store = JsonStore(settings.cache_path / "style", "style score")
    identity = model_identity(settings)
    keys = [score_key(r, identity) for r in records]
    out: list[SectionScore | None] = []
    missing: list[int] = []
    for index, key in enumerate(keys):
        data = store.read(key, _entry_problem)
        if data is None:
            missing.append(index)
            out.append(None)
        elif data["tokens"] > 0:
            out.append(SectionScore(data["adapter_loss"], data["base_loss"], data["tokens"]))
        else:
            out.append(None)  # scored before: it did not fit
    if missing:
        scorer = StyleScorer(settings, progress=progress)
        fresh = scorer.scores([records[i] for i in missing], progress=progress)
        for index, score in zip(missing, fresh):
            out[index] = score
            entry = SectionScore(0.0, 0.0, 0) if score is None else score
            store.write(keys[index], {"adapter_loss": entry.adapter_loss,
                                      "base_loss": entry.base_loss, "tokens": entry.tokens})
    return out
