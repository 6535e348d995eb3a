"""The section catalogue: which sections each kind of object gets, and what headings mean.

Data, not code: one table of section kinds, one table of object categories, one table of
heading synonyms. `Settings.section_synonyms` extends the synonyms (a house style that says
"Use Case" or "Known issues" maps onto the same kinds).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from docgen_plugin.errors import SettingsError
from docgen_plugin.facts.model import ObjectFacts
from docgen_plugin.settings import Settings

Category = Literal["model", "config", "class", "function", "module"]
Renderer = Literal[
    "parameters", "configuration", "inputs", "errors", "built-from", "usage", "limitations"
]


@dataclass(frozen=True, kw_only=True)
class SectionSpec:
    """One kind of section: its heading, what the model is asked for, what facts render."""

    kind: str = field(metadata={"help": "Stable id, used in markers, cache keys and the CLI."})
    title: str = field(metadata={"help": "The heading written above the section."})
    instructions: str = field(
        default="", metadata={"help": "What the model is asked to write; empty: no prose."}
    )
    table: Renderer | None = field(
        default=None, metadata={"help": "A table rendered from facts, never by the model."}
    )
    max_new_tokens: int = field(default=160, metadata={"help": "Token budget for the prose."})
    code: bool = field(
        default=False, metadata={"help": "The answer holds a code block (kept, not cleaned)."}
    )
    corpus: bool = field(default=True, metadata={
        "help": "Human text of this kind is house-style data for `docgen corpus`."})
    docstring_sections: tuple[str, ...] = field(default=(), metadata={
        "help": "The griffe docstring section kinds `docgen corpus` reads this kind from."})

    @property
    def deterministic(self) -> bool:
        """True when the whole section comes from facts and no model is needed."""
        return not self.instructions


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        kind="overview",
        title="Overview",
        instructions="Two to four sentences: what it is and what it is for. No lists, no code.",
        max_new_tokens=120,
        docstring_sections=("text",),
    ),
    SectionSpec(kind="inputs", title="Inputs and outputs", table="inputs",
                docstring_sections=("returns",)),
    SectionSpec(kind="built-from", title="Built from", table="built-from", corpus=False),
    SectionSpec(kind="parameters", title="Parameters", table="parameters", corpus=False),
    SectionSpec(kind="configuration", title="Configuration", table="configuration", corpus=False),
    SectionSpec(kind="usage", title="Usage", table="usage", code=True,
                docstring_sections=("examples",)),
    SectionSpec(
        kind="intended-use",
        title="Intended use",
        instructions="Two or three sentences on the tasks and inputs it is meant for.",
        max_new_tokens=100,
    ),
    SectionSpec(kind="limitations", title="Limitations", table="limitations",
                docstring_sections=("admonition",)),
    SectionSpec(kind="errors", title="Error handling", table="errors", docstring_sections=("raises",)),
)
# the kinds a house corpus collects, and the docstring sections each is read from
CORPUS_KINDS: tuple[str, ...] = tuple(s.kind for s in SECTIONS if s.corpus)
DOCSTRING_SECTIONS: dict[str, tuple[str, ...]] = {
    s.kind: s.docstring_sections for s in SECTIONS if s.docstring_sections}

# Which sections each category gets, in page order.
CATEGORY_SECTIONS: dict[Category, tuple[str, ...]] = {
    "model": (
        "overview", "inputs", "built-from", "parameters", "configuration", "usage",
        "intended-use", "limitations", "errors",
    ),
    "config": ("overview", "configuration", "usage"),
    "class": ("overview", "parameters", "usage"),
    "function": ("overview", "parameters", "usage", "errors"),
    "module": ("overview", "usage"),
}

# Model cards (DG206): the sections a card must have (`model-card-sections`), each with the
# headings of the Hugging Face template and of `Trainer`'s generated cards that count for it.
MODEL_CARD_HEADINGS: dict[str, frozenset[str]] = {
    "model description": frozenset({
        "model description", "model details", "model summary", "model overview", "description",
        "overview", "about", "about the model", "introduction", "summary"}),
    "intended uses": frozenset({
        "intended uses", "intended use", "uses", "direct use", "downstream use", "use cases",
        "intended uses and limitations", "applications", "intended use cases"}),
    "limitations": frozenset({
        "limitations", "bias risks and limitations", "risks and limitations", "known limitations",
        "limitations and bias", "intended uses and limitations", "out of scope use", "caveats",
        "bias and limitations", "risks limitations and biases"}),
    "training procedure": frozenset({
        "training procedure", "training", "training details", "training setup",
        "training hyperparameters", "how it was trained", "fine tuning", "training process",
        "training configuration"}),
}

# Headings seen in model cards and house styles -> section kind (normalised, see `normalise`).
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        ("overview", "introduction", "intro", "description", "summary", "about", "model details",
         "model description", "what it is", "model summary", "model overview", "about the model",
         "background", "what is it"),
        "overview",
    ),
    **dict.fromkeys(
        ("inputs", "outputs", "inputs and outputs", "inputs outputs", "input output",
         "forward", "returns", "return value", "shapes"),
        "inputs",
    ),
    **dict.fromkeys(
        ("built from", "architecture", "model architecture", "submodules", "components",
         "composition", "building blocks"),
        "built-from",
    ),
    **dict.fromkeys(("parameters", "arguments", "args", "constructor", "init"), "parameters"),
    **dict.fromkeys(
        ("configuration", "config", "hyperparameters", "fields", "options", "settings",
         "defaults", "config fields"),
        "configuration",
    ),
    **dict.fromkeys(
        ("usage", "use case", "use cases", "example", "examples", "usage example",
         "how to use", "quickstart", "quick start", "getting started", "usage examples",
         "how to get started", "how to get started with the model", "code example", "basic usage"),
        "usage",
    ),
    **dict.fromkeys(
        ("intended use", "intended uses", "uses", "direct use", "applications", "when to use",
         "intended use cases", "downstream use", "purpose"),
        "intended-use",
    ),
    **dict.fromkeys(
        ("limitations", "known limitations", "caveats", "known issues", "out of scope use",
         "bias risks and limitations", "risks and limitations", "out of scope uses",
         "limitations and bias", "bias and limitations"),
        "limitations",
    ),
    **dict.fromkeys(
        ("error handling", "errors", "exceptions", "raises", "failure modes", "troubleshooting",
         "errors and exceptions", "common errors"),
        "errors",
    ),
}


def normalise(heading: str) -> str:
    """A heading reduced for lookup: lower case, no markup, punctuation or numbering."""
    text = re.sub(r"[`*_#]", " ", heading.lower().replace("&", " and "))
    text = re.sub(r"^\s*\d+(\.\d+)*\s*", "", text)  # "2.1 Usage"
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Catalogue:
    """Section kinds, per-category section lists and heading synonyms, as one value."""

    specs: Mapping[str, SectionSpec]
    categories: Mapping[str, tuple[str, ...]]
    synonyms: Mapping[str, str]
    selected: tuple[str, ...] = ()  # Settings.sections: only these kinds are drafted

    def spec(self, name: str) -> SectionSpec:
        """The spec for a kind or a heading synonym; `SettingsError` naming the closest kind."""
        kind = self.kind_for_heading(name)
        if kind is None:
            options = sorted(self.specs)
            close = difflib.get_close_matches(name.lower(), [*options, *self.synonyms], n=1)
            hint = f"; did you mean `{self.synonyms.get(close[0], close[0])}`?" if close else ""
            raise SettingsError(
                f"unknown section `{name}`{hint} (sections: {', '.join(options)})"
            )
        return self.specs[kind]

    def kind_for_heading(self, heading: str) -> str | None:
        """The section kind a heading names ("Use Case" -> usage), or None."""
        if heading in self.specs:
            return heading
        key = normalise(heading)
        if key.replace(" ", "-") in self.specs:
            return key.replace(" ", "-")
        return self.synonyms.get(key)

    def sections_for(self, obj: ObjectFacts) -> tuple[SectionSpec, ...]:
        """The sections an object gets, in page order, limited to the selected kinds."""
        kinds = self.categories[category(obj)]
        if self.selected:
            kinds = tuple(k for k in kinds if k in self.selected)
        return tuple(self.specs[k] for k in kinds)


def category(obj: ObjectFacts) -> Category:
    """model, config, class, function (methods too) or module."""
    if obj.is_model:
        return "model"
    if obj.is_config:
        return "config"
    if obj.kind == "class":
        return "class"
    if obj.kind == "module":
        return "module"
    return "function"


def build_catalogue(
    synonyms: Mapping[str, str] | None = None, selected: Sequence[str] = ()
) -> Catalogue:
    """The built-in catalogue plus extra heading synonyms; bad names are `SettingsError`s."""
    specs = {s.kind: s for s in SECTIONS}
    merged = dict(SYNONYMS)
    base = Catalogue(specs, CATEGORY_SECTIONS, merged)
    for heading, kind in (synonyms or {}).items():
        target = base.kind_for_heading(kind)
        if target is None:
            raise SettingsError(
                f"section-synonyms: `{heading}` maps to unknown section `{kind}` "
                f"(sections: {', '.join(sorted(specs))})"
            )
        merged[normalise(heading)] = target
    chosen = tuple(base.spec(name).kind for name in selected)
    return Catalogue(specs, CATEGORY_SECTIONS, merged, chosen)


def catalogue_from_settings(settings: Settings) -> Catalogue:
    """The catalogue as `[tool.docgen]` extends and limits it."""
    return build_catalogue(settings.section_synonyms, settings.sections)
