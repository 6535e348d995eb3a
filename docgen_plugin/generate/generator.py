"""Batched, deterministic generation from chat prompts, and clean-up of the model's prose.

`Generator` owns one loaded model. Prompts are rendered with the tokenizer's chat template,
sorted by token budget and length, and generated `batch_size` at a time with left padding;
results come back in input order. A decoding step for 32 prompts costs a few times one for a
single prompt (small matrix products are far from the CPU's peak; bf16 doubles it where the
CPU has AMX/AVX512-BF16), hence the batching: ~10x the tokens/s of one prompt at a time
(benchmarks/RESULTS.md).

Greedy decoding of a 135M model loops (one sentence over and over); a repetition penalty and
an n-gram ban curb it. Both apply to the answer only: HF's stock processors also count the
prompt (and the padding), which pushes the model away from the very parameter names the facts
give it, makes a padded batch decode differently from a single prompt, and penalises the
`<|im_end|>` that closes every chat turn: with them, none of 36 benchmark answers stopped
before the token budget.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.generate.messages import Messages
from docgen_plugin.generate.model_load import LoadedModel, load_model
from docgen_plugin.generate.model_resolve import resolve_model
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

ResultCallback = Callable[[int, str], None]


@dataclass(frozen=True, kw_only=True)
class Decoding:
    """How tokens are picked; part of the draft cache key (`as_dict`)."""

    repetition_penalty: float = 1.2
    no_repeat_ngram_size: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.repetition_penalty < 1.0 or self.no_repeat_ngram_size < 0:
            raise ValueError("repetition_penalty must be >= 1 and no_repeat_ngram_size >= 0")

    def as_dict(self) -> dict[str, Any]:
        return {"strategy": "greedy", **asdict(self)}


@dataclass(frozen=True)
class Generation:
    """One prompt's answer: its text, the tokens generated, and whether it stopped at EOS."""

    index: int
    text: str
    new_tokens: int
    finished: bool


class _AnswerOnly:
    """Runs a logits processor on the generated tokens only (not prompt, not padding)."""

    def __init__(self, processor: Callable[[Any, Any], Any], start: int) -> None:
        self.processor = processor
        self.start = start

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if input_ids.shape[-1] <= self.start:
            return scores
        return self.processor(input_ids[:, self.start :], scores)


class Generator:
    """A loaded model that turns chat prompts into text, many at a time."""

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        batch_size: int = 8,
        decoding: Decoding | None = None,
        progress: bool = True,
        stop_token_ids: Sequence[int] = (),
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = loaded.tokenizer
        self.batch_size = batch_size
        self.decoding = decoding or Decoding()
        self.progress = progress
        if not getattr(self.tokenizer, "chat_template", None):
            path = loaded.resolved.path
            raise ModelError(
                f"{path}: the tokenizer has no chat template; use an instruct model or add "
                "a chat_template.jinja to the folder",
                str(path),
            )
        # generation stops at any of these: the model's EOS tokens, plus the caller's
        eos = self._eos_ids()
        self.eos_token_ids = eos + [int(t) for t in stop_token_ids if t not in eos]
        pad = self.tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else self.eos_token_ids[0]

    @classmethod
    def from_settings(
        cls, settings: Settings, *, progress: bool = True, dtype: str | None = None
    ) -> Generator:
        """Resolve and load the model `settings` name, batching `settings.batch_size`."""
        loaded = load_model(resolve_model(settings), dtype=dtype, progress=progress)
        return cls(loaded, batch_size=settings.batch_size, progress=progress)

    def _eos_ids(self) -> list[int]:
        found: list[int] = []
        candidates = [self.tokenizer.eos_token_id]
        configured = getattr(self.model.generation_config, "eos_token_id", None)
        candidates += configured if isinstance(configured, list) else [configured]
        for token in candidates:
            if token is not None and token not in found:
                found.append(int(token))
        if not found:
            raise ModelError("the tokenizer defines no end-of-sequence token; cannot stop")
        return found

    @property
    def signature(self) -> dict[str, Any]:
        """What shapes the output besides model and prompt, for cache keys."""
        return {**self.decoding.as_dict(), "dtype": self.loaded.dtype}

    def render(self, messages: Messages) -> list[int]:
        """A chat prompt as token ids, ready for the assistant's answer."""
        text = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        # the template writes the special tokens itself; adding them again would double BOS
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def generate(
        self,
        prompts: Sequence[Messages],
        max_new_tokens: int | Sequence[int],
        on_result: ResultCallback | None = None,
    ) -> list[str]:
        """The answers to `prompts`, in order. `on_result(index, text)` gets each answer as
        its batch finishes, so a caller can cache them: on Ctrl-C the `KeyboardInterrupt`
        propagates after every finished batch was handed over."""
        return [g.text for g in self.generate_detailed(prompts, max_new_tokens, on_result)]

    def generate_detailed(
        self,
        prompts: Sequence[Messages],
        max_new_tokens: int | Sequence[int],
        on_result: ResultCallback | None = None,
    ) -> list[Generation]:
        """`generate`, with token counts and EOS flags (for benchmarks and diagnostics)."""
        from tqdm.auto import tqdm

        budgets = token_budgets(max_new_tokens, len(prompts))
        rendered = [self.render(messages) for messages in prompts]
        results: list[Generation | None] = [None] * len(prompts)
        bar = tqdm(
            total=len(prompts), desc="docgen: drafting", unit="prompt", disable=not self.progress
        )
        with bar:
            try:
                for bucket in self._buckets(rendered, budgets):
                    for generation in self._run(bucket, rendered, budgets):
                        results[generation.index] = generation
                        if on_result is not None:
                            on_result(generation.index, generation.text)
                    bar.update(len(bucket))
            except KeyboardInterrupt:
                done = sum(r is not None for r in results)
                logger.warning("interrupted: %d of %d answers were finished", done, len(results))
                raise
        return [r for r in results if r is not None]

    def _buckets(self, rendered: list[list[int]], budgets: list[int]) -> list[list[int]]:
        # similar budgets and lengths together: less padding, fewer rows idling in a batch
        order = sorted(range(len(rendered)), key=lambda i: (budgets[i], len(rendered[i])))
        # equal buckets: 36 prompts at batch size 32 run as 18 + 18, not 32 + 4 (a batch of
        # 4 takes as many decoding steps as one of 32, at a fraction of the throughput)
        count = -(-len(order) // self.batch_size)
        size = -(-len(order) // count) if order else 1
        return [order[start : start + size] for start in range(0, len(order), size)]

    def _run(
        self, bucket: list[int], rendered: list[list[int]], budgets: list[int]
    ) -> list[Generation]:
        import torch

        rows = [rendered[i] for i in bucket]
        width = max(len(row) for row in rows)
        device = self.loaded.device
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for number, row in enumerate(rows):
            input_ids[number, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            attention[number, width - len(row) :] = 1
        torch.manual_seed(self.decoding.seed)
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                generation_config=self._generation_config(max(budgets[i] for i in bucket)),
                logits_processor=self.logits_processors(width),
            )
        new = output[:, width:].tolist()
        return [self._finish(i, tokens[: budgets[i]]) for i, tokens in zip(bucket, new)]

    def _finish(self, index: int, tokens: list[int]) -> Generation:
        stop = next((n for n, t in enumerate(tokens) if t in self.eos_token_ids), None)
        kept = tokens if stop is None else tokens[:stop]
        text = self.tokenizer.decode(kept, skip_special_tokens=True).strip()
        # the EOS token is generated work too; padding after it is not
        count = len(tokens) if stop is None else stop + 1
        return Generation(index=index, text=text, new_tokens=count, finished=stop is not None)

    def _generation_config(self, budget: int) -> Any:
        from transformers import GenerationConfig

        # a fresh config: a model's own generation_config may ask for sampling
        config = GenerationConfig(
            max_new_tokens=budget,
            do_sample=False,
            num_beams=1,
            eos_token_id=self.eos_token_ids,
            pad_token_id=self.pad_token_id,
        )
        if getattr(self.model, "_can_compile_fullgraph", False):
            # a preallocated KV cache: the default one grows by concatenation, copying the whole
            # cache at every step (a fifth of the CPU time of a 36-prompt batch; -10% measured)
            config.cache_implementation = "static"
        return config

    def logits_processors(self, prompt_width: int) -> Any:
        """This generator's repetition curbs (see `answer_only_processors`)."""
        return answer_only_processors(self.decoding, prompt_width)


def answer_only_processors(decoding: Decoding, prompt_width: int) -> Any:
    """The repetition curbs as HF logits processors that skip the first `prompt_width`
    tokens (prompt and left padding) and look at the answer only."""
    from transformers import (
        LogitsProcessorList,
        NoRepeatNGramLogitsProcessor,
        RepetitionPenaltyLogitsProcessor,
    )

    processors = LogitsProcessorList()
    if decoding.repetition_penalty > 1.0:
        penalty = RepetitionPenaltyLogitsProcessor(decoding.repetition_penalty)
        processors.append(_AnswerOnly(penalty, prompt_width))
    if decoding.no_repeat_ngram_size > 0:
        ban = NoRepeatNGramLogitsProcessor(decoding.no_repeat_ngram_size)
        processors.append(_AnswerOnly(ban, prompt_width))
    return processors


def token_budgets(max_new_tokens: int | Sequence[int], count: int) -> list[int]:
    budgets = [max_new_tokens] * count if isinstance(max_new_tokens, int) else list(max_new_tokens)
    if len(budgets) != count:
        raise ValueError(f"{len(budgets)} token budgets for {count} prompts")
    if any(b < 1 for b in budgets):
        raise ValueError("max_new_tokens must be positive")
    return budgets


# --- clean-up -----------------------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S)
_PROSE_FENCES = {"markdown", "md", "text", "txt", "plain"}
_BREAK = re.compile(r"((?<=[.!?])[ \t]+|[ \t]*\n\s*)")
_SENTENCE_END = re.compile(r"[.!?][\"')\]`*_]*(?=\s|$)")
_ENDS_SENTENCE = re.compile(r"[.!?][\"')\]`*_]*$")
_BLOCK_LINE = re.compile(r"^\s*([-*+|>#]|\d+[.)])\s")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_MIN_REPEAT = 12  # shorter fragments ("e.g.", "- TODO") may repeat legitimately


def clean_prose(text: str) -> str:
    """Model output where prose was asked for: code blocks dropped (a fence marked markdown or
    text is unwrapped), cut at a heading, cut before the first repeated sentence, trimmed to
    its last full sentence. Empty when nothing but code was written."""
    text = _drop_code(text)
    text = _cut_at_heading(text)
    text = _cut_repetition(text)
    return _trim_to_sentence(text).strip()


def _drop_code(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        language, body = match.group(1).lower(), match.group(2)
        return body if language in _PROSE_FENCES else ""

    text = _FENCE.sub(replace, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _cut_at_heading(text: str) -> str:
    """A heading echoing the section title goes; a heading after prose starts what was not
    asked for (a made-up "# Example" or an unrelated article): it goes with all that follows."""
    lines = text.splitlines()
    while lines and (_HEADING.match(lines[0]) or not lines[0].strip()):
        lines.pop(0)
    cut = next((n for n, line in enumerate(lines) if _HEADING.match(line)), len(lines))
    return "\n".join(lines[:cut]).rstrip()


def _normalise(sentence: str) -> str:
    return " ".join(sentence.lower().split()).rstrip(".!?")


def _cut_repetition(text: str) -> str:
    parts = _BREAK.split(text)  # sentence, break, sentence, break, ...
    seen: set[str] = set()
    kept: list[str] = []
    for number in range(0, len(parts), 2):
        key = _normalise(parts[number])
        if len(key) >= _MIN_REPEAT and key in seen:
            break  # the model has started to loop: the rest is more of the same
        seen.add(key)
        kept.append(parts[number])
        if number + 1 < len(parts):
            kept.append(parts[number + 1])
    return "".join(kept).rstrip()


def _trim_to_sentence(text: str) -> str:
    """Drop an unfinished trailing sentence from the last prose paragraph. List items, table
    rows and quotes are left alone: they need not end with a full stop."""
    text = text.rstrip()
    head, _, last = text.rpartition("\n")
    if not last.strip() or _BLOCK_LINE.match(last) or _ENDS_SENTENCE.search(last):
        return text
    ends = list(_SENTENCE_END.finditer(last))
    if ends:
        return (head + "\n" if head else "") + last[: ends[-1].end()]
    return head.rstrip() if head.strip() else text
