"""Prompts fitted to a token budget: drafting, training and evaluation cut them the same way.

`fit_messages(messages, budget, count)` takes the messages `prompts.build_messages` wrote and
shortens the facts block of the request until `count(messages) <= budget`. It cuts in this
fixed order, each step only as far as needed (the fewest cuts that fit):

1. `docstring`: the quoted docstring's lines after its summary (its first paragraph), last
   line first;
2. `lists`: lists beyond their first 4 entries: the config's fields, then `forward`'s and the
   call's parameters;
3. `config`: the related config's fields line;
4. `examples`: house-style examples (earlier user/assistant turns), the last first;
5. `behaviour`: what the code raises, returns and is built from, in that order;
6. `missing`: the list of missing facts beyond its first 3;
7. `summary`: the docstring's summary, last line first, then the docstring altogether.

Never cut: the system message, the object and import lines, the section and its
instructions, an update's current text, a retry's reasons, the answer. A prompt still over
budget after every cut comes back cut as far as it goes, with `fits` false.

Because it works on the messages, a training record (which stores the draft-time messages)
and a draft of the same object fitted to the same budget are the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docgen_plugin.generate.messages import Message

if TYPE_CHECKING:
    from docgen_plugin.settings import Settings

TokenCounter = Callable[[Sequence[Message]], int]

FACTS_HEAD = "Facts:\n"
DOCSTRING_HEAD = "docstring (quoted from the code):"
DOCSTRING_CUT = "> [...]"
LIST_KEEP = 4
MISSING_KEEP = 3
_MISSING = re.compile(r"^(missing \([^)]*\): )(.*)$")
_FIELDS = re.compile(r"^((?:config \S+ )?fields: )(.*)$")
_SIGNATURE = re.compile(r"^((?:call|forward): [^(]*\()(.*)(\)(?: -> .*)?)$")
_MORE = re.compile(r"^\.\.\. \((\d+) more\)$")
BEHAVIOUR = ("raises: ", "returns: ", "built from: ")
CUTS = ("docstring", "lists", "config", "examples", "behaviour", "missing", "summary")


@dataclass(frozen=True)
class Fitted:
    """A prompt fitted to its budget, and what was cut to get there."""

    messages: list[Message]
    tokens: int
    original_tokens: int
    cuts: tuple[str, ...] = field(default=())
    fits: bool = True

    @property
    def fitted(self) -> bool:
        return bool(self.cuts)


@dataclass
class _Prompt:
    """The parts of the messages the cuts work on; everything else is kept verbatim."""

    head: list[Message]  # the system message and any house-style example turns
    lines: list[str]  # the request's facts block, one fact per line
    rest: str  # the request after its facts block: section, instructions, retry, update
    tail: list[Message]  # anything after the request (a training answer is never passed)

    @classmethod
    def parse(cls, messages: Sequence[Message]) -> _Prompt | None:
        last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
        if last is None:
            return None
        content = messages[last]["content"]
        if not content.startswith(FACTS_HEAD):
            return None
        block, _, rest = content[len(FACTS_HEAD):].partition("\n\n")
        return cls([dict(m) for m in messages[:last]], block.split("\n"), rest,
                   [dict(m) for m in messages[last + 1:]])

    def copy(self) -> _Prompt:
        return _Prompt(list(self.head), list(self.lines), self.rest, list(self.tail))

    def messages(self) -> list[Message]:
        content = FACTS_HEAD + "\n".join(self.lines) + ("\n\n" + self.rest if self.rest else "")
        return [*self.head, {"role": "user", "content": content}, *self.tail]


def fit_messages(messages: Sequence[Message], budget: int, count: TokenCounter) -> Fitted:
    """`messages` cut to `budget` tokens as `count` counts them (see the module docstring)."""
    original = count(messages)
    prompt = _Prompt.parse(messages)
    if original <= budget or prompt is None:
        return Fitted([dict(m) for m in messages], original, original, fits=original <= budget)
    tokens = original
    cuts: list[str] = []
    for name in CUTS:
        states = list(_STEPS[name](prompt))
        if not states:
            continue
        # the fewest cuts of this step that fit; every cut if none does (then the next step)
        index, tokens = _first_fitting(states, budget, count)
        prompt = states[index]
        cuts.append(name)
        if tokens <= budget:
            return Fitted(prompt.messages(), tokens, original, tuple(cuts))
    return Fitted(prompt.messages(), tokens, original, tuple(cuts), fits=False)


def _first_fitting(states: list[_Prompt], budget: int, count: TokenCounter) -> tuple[int, int]:
    """Binary search over states that only ever get shorter."""
    low, high = 0, len(states) - 1
    last = count(states[high].messages())
    if last > budget:
        return high, last
    found = (high, last)
    while low < high:
        middle = (low + high) // 2
        tokens = count(states[middle].messages())
        if tokens <= budget:
            found, high = (middle, tokens), middle
        else:
            low = middle + 1
    return found


# --- the cuts: each yields ever shorter copies of the prompt -------------------------------


def _quoted(prompt: _Prompt) -> tuple[int, int, list[str]] | None:
    """The docstring's quoted lines as [start, end) of the facts block, and those lines
    without a cut marker; None if the prompt quotes no docstring."""
    try:
        head = prompt.lines.index(DOCSTRING_HEAD)
    except ValueError:
        return None
    end = head + 1
    while end < len(prompt.lines) and prompt.lines[end].startswith(">"):
        end += 1
    return head + 1, end, [line for line in prompt.lines[head + 1:end] if line != DOCSTRING_CUT]


def _keeping(prompt: _Prompt, start: int, end: int, kept: list[str]) -> _Prompt:
    state = prompt.copy()
    state.lines[start:end] = [*kept, DOCSTRING_CUT]
    return state


def _cut_docstring(prompt: _Prompt) -> Iterator[_Prompt]:
    if (found := _quoted(prompt)) is None:
        return
    start, end, quoted = found
    summary = next((i for i, line in enumerate(quoted) if line == ">"), len(quoted))
    for keep in range(len(quoted) - 1, summary - 1, -1):
        yield _keeping(prompt, start, end, quoted[:keep])


def _cut_summary(prompt: _Prompt) -> Iterator[_Prompt]:
    if (found := _quoted(prompt)) is None:
        return
    start, end, quoted = found
    for keep in range(len(quoted) - 1, 0, -1):
        yield _keeping(prompt, start, end, quoted[:keep])
    state = prompt.copy()
    del state.lines[start - 1:end]
    yield state


def split_list(text: str) -> list[str]:
    """`a: int = 1, b: tuple = (1, 2), c='x,y'` split at its top-level commas."""
    items, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        items.append("".join(current).strip())
    return items


def _shortened(items: list[str], keep: int) -> list[str] | None:
    more = 0
    if items and (match := _MORE.match(items[-1])):
        more = int(match.group(1))
        items = items[:-1]
    if len(items) <= keep:
        return None
    return [*items[:keep], f"... ({len(items) - keep + more} more)"]


def _cut_lists(prompt: _Prompt) -> Iterator[_Prompt]:
    state = prompt
    for pattern in (_FIELDS, _SIGNATURE):
        for index, line in enumerate(state.lines):
            match = pattern.match(line)
            if match is None:
                continue
            inner = match.group(2)
            kept = _shortened(split_list(inner), LIST_KEEP)
            if kept is None:
                continue
            state = state.copy()
            closing = match.group(3) if pattern is _SIGNATURE else ""
            state.lines[index] = match.group(1) + ", ".join(kept) + closing
            yield state


def _cut_config(prompt: _Prompt) -> Iterator[_Prompt]:
    for index, line in enumerate(prompt.lines):
        if line.startswith("config ") and _FIELDS.match(line):
            state = prompt.copy()
            del state.lines[index]
            yield state
            return


def _cut_examples(prompt: _Prompt) -> Iterator[_Prompt]:
    # head: the system message, then user/assistant pairs
    state = prompt
    while len(state.head) >= 3:
        state = state.copy()
        del state.head[-2:]
        yield state


def _cut_behaviour(prompt: _Prompt) -> Iterator[_Prompt]:
    state = prompt
    for label in BEHAVIOUR:
        index = next((i for i, line in enumerate(state.lines) if line.startswith(label)), None)
        if index is not None:
            state = state.copy()
            del state.lines[index]
            yield state


def _cut_missing(prompt: _Prompt) -> Iterator[_Prompt]:
    for index, line in enumerate(prompt.lines):
        match = _MISSING.match(line)
        if match is None:
            continue
        items = match.group(2).split("; ")
        if len(items) > MISSING_KEEP:
            state = prompt.copy()
            state.lines[index] = match.group(1) + "; ".join(items[:MISSING_KEEP])
            yield state
        return


_STEPS: dict[str, Callable[[_Prompt], Iterator[_Prompt]]] = {
    "docstring": _cut_docstring,
    "lists": _cut_lists,
    "config": _cut_config,
    "examples": _cut_examples,
    "behaviour": _cut_behaviour,
    "missing": _cut_missing,
    "summary": _cut_summary,
}


def byte_bound(messages: Sequence[Message]) -> int:
    """An upper bound of the messages' tokens: a byte-level tokenizer's token covers at least
    one byte; a few tokens per message for the chat template's markers."""
    return sum(len(m["content"].encode()) + 8 for m in messages) + 8


class BudgetFitter:
    """Fits drafting's and evaluation's prompts to `prompt-tokens` (0: off). The model's
    tokenizer is loaded only for a prompt that may be over budget, so a warm run whose
    prompts are short loads nothing; a model server's prompts count bytes as tokens."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.budget = settings.prompt_tokens
        self._count: TokenCounter | None = None

    def __call__(self, messages: Sequence[Message]) -> list[Message]:
        if not self.budget or byte_bound(messages) <= self.budget:
            return [dict(m) for m in messages]
        return fit_messages(messages, self.budget, self.counter()).messages

    def counter(self) -> TokenCounter:
        if self._count is None:
            from docgen_plugin.generate.model_load import load_tokenizer
            from docgen_plugin.generate.model_resolve import resolve_model

            if self.settings.model.strip().startswith(("http://", "https://")):
                self._count = byte_bound
            else:
                self._count = token_counter(load_tokenizer(resolve_model(self.settings)))
        return self._count


def token_counter(tokenizer: Any) -> TokenCounter:
    """Tokens of the messages as the model sees them: the chat template's rendering with the
    generation prompt (as `Generator.render` and the training examples tokenise it)."""

    def count(messages: Sequence[Message]) -> int:
        text = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count
