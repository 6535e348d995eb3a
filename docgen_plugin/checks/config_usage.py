"""DG108/DG109: config classes against the model code that reads them.

A field no model reads is a knob that does nothing; a read of an attribute the config class
does not define is a typo or a field that was removed (an `AttributeError` at run time).
Both read the config reads of the behaviour facts: `config.x`, `self.config.x`,
`getattr(config, "x")`, `config["x"]`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from docgen_plugin.checks.docstring_rules import is_user_config
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.rules import register
from docgen_plugin.facts.behaviour import OWN_CONFIG, SELF_CONFIG
from docgen_plugin.facts.model import ConfigRead, Facts, ObjectFacts

register("DG108", "unread-config-field", "A config field that no model code reads.", """
## What it does
Reports a field of a config class that no loaded code reads, where at least one loaded model
uses that config class (as its `config_class`, or through an annotated `config` parameter).
A field counts as read when any code reads it from a config (`config.x`, `self.config.x`,
`getattr(config, "x")`, `config["x"]`, an alias of its `attribute_map`), when a read takes
every field (`**asdict(config)`, `vars(config)`, `getattr(config, name)`), when the config
class itself uses it (a property) or hands it to its base class (`super().__init__(x=x)`),
and when a subclass of the model reads it.

## Why is this bad?
A field nobody reads is a setting that does nothing: users tune it, save it in config files,
and nothing changes. Usually it is left over from a refactoring.

## Example
```python
@dataclass
class EncoderConfig:
    hidden_size: int = 64
    use_bias: bool = True   # no model reads config.use_bias

class Encoder(nn.Module):
    def __init__(self, config: EncoderConfig):
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)
```

## Use instead
Remove the field, or use it (`bias=config.use_bias`). A field kept on purpose is documented
as deprecated or unused ("Deprecated: ...", "Unused, kept for compatibility"), which this
rule respects, or suppressed with `# docgen: ignore[DG108]` on the class.

## Known problems
Code outside the loaded packages is not read: a field read only by a library the config is
handed to (a training loop, a base class docgen did not load) is reported. For configs built
on transformers' `PreTrainedConfig`, the attributes transformers' own generic code reads
(`initializer_range`, `use_cache`, token ids...) count as read: docgen ships that list,
extracted from transformers by `scripts/library_config_reads.py`. Otherwise load that code
too, or suppress the finding.
""")
register("DG109", "unknown-config-attribute",
         "Model code reads a config attribute its config class does not define.", """
## What it does
Reports a read of `config.x` (or `self.config.x`, `getattr(config, "x")` without a default)
where the config's class is known — an annotation (`config: EncoderConfig`) or the model's
`config_class` — and that class, with its loaded bases, has no field, attribute or member `x`.
It names the closest existing field.

## Why is this bad?
The read raises `AttributeError` when that line runs, often only on a rarely used branch; or
it reads a field that was renamed, so a setting silently stopped working.

## Example
```python
class Encoder(nn.Module):
    def __init__(self, config: EncoderConfig):
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
```

## Use instead
```python
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
```

## Known problems
Only config classes whose every base is loaded (or that have none) are checked: the fields a
base from another package defines (`PretrainedConfig`, pydantic's `BaseModel`) are unknown.
Reads guarded by `hasattr` or with a `getattr` default are never reported.
""")

# Words that mark a field as kept on purpose although nothing reads it.
_KEPT = re.compile(r"\b(deprecated|unused|not used|ignored|no longer|no effect|backward|"
                   r"compatib|legacy|kept for)", re.IGNORECASE)


@dataclass(frozen=True)
class _Read:
    """A config read and where it is, its config class resolved."""

    read: ConfigRead
    config: str | None
    reader: ObjectFacts | None


def _reads(facts: Facts) -> list[_Read]:
    out = []
    for obj in facts.objects:
        for read in obj.config_reads:
            config = (obj.config_class if read.config == OWN_CONFIG
                      else obj.path if read.config == SELF_CONFIG else read.config)
            out.append(_Read(read, config, obj))
    out += [_Read(read, read.config, None) for read in facts.config_reads]
    return out


class _Usage:
    """Every config read of the loaded code, indexed once (a big tree has thousands of
    config classes and ~10^5 reads: nothing here may scan them per class)."""

    def __init__(self, facts: Facts, reads: list[_Read]) -> None:
        self.facts = facts
        self.subclasses: dict[str, list[str]] = {}
        for obj in facts.objects:
            if obj.is_config:
                for base in obj.bases:
                    self.subclasses.setdefault(base, []).append(obj.path)
        # the same class declared in two files of one package (transformers writes each
        # config in `modular_x.py` and generates `configuration_x.py` from it): one class
        self.twins: dict[tuple[str, str], list[str]] = {}
        for obj in facts.configs:
            self.twins.setdefault((obj.module.rsplit(".", 1)[0], obj.name), []).append(obj.path)
        self.by_config: dict[str | None, set[str]] = {}  # resolved config -> names read
        self.every_field: set[str] = set()  # configs read whole (`**asdict(config)`)
        self.whole_in_module: set[str] = set()  # modules where a config of unknown class is
        self.used = {m.config_class for m in facts.models if m.config_class}
        defined: dict[str, set[str]] = {}
        for item in reads:
            config = facts.get(item.config) if item.config else None
            if config is not None and config.is_config:
                names = defined.get(config.path)
                if names is None:
                    names = defined[config.path] = _defined(config, facts)
                if item.read.name not in names and not item.read.name.endswith("*"):
                    # the annotation is wrong or partial (a sub-config is passed): the read
                    # is of a config whose class is not known
                    self.by_config.setdefault(None, set()).add(item.read.name)
            self.by_config.setdefault(item.config, set()).add(item.read.name)
            if item.read.name == "*":
                if item.config is not None:
                    self.every_field.add(item.config)
                elif item.reader is not None:
                    self.whole_in_module.add(item.reader.module)
            if item.reader is not None and item.reader.is_model and item.config:
                self.used.add(item.config)
        # a method a class inherits runs on the subclass's config: its reads are of that
        for obj in facts.objects:
            if obj.kind == "class" and obj.config_class:
                for ancestor in _ancestors(obj, facts):
                    names = {r.name for r in ancestor.config_reads if r.config == OWN_CONFIG}
                    self.by_config.setdefault(obj.config_class, set()).update(names)

    def family(self, config: ObjectFacts) -> set[str]:
        """The config class, its loaded bases and its loaded subclasses: a read of any of
        them may be a read of this class's field."""
        family = {config.path}
        stack = [config]
        while stack:
            current = stack.pop()
            for base in current.bases:
                found = self.facts.get(base)
                if found is not None and found.path not in family:
                    family.add(found.path)
                    stack.append(found)
        family.update(self.twins.get((config.module.rsplit(".", 1)[0], config.name), ()))
        stack_paths = list(family)
        while stack_paths:
            for child in self.subclasses.get(stack_paths.pop(), ()):
                if child not in family:
                    family.add(child)
                    stack_paths.append(child)
        return family

    def read_names(self, config: ObjectFacts, family: set[str]) -> set[str] | None:
        """Names read of the config's fields; None when every field is read."""
        if family & self.every_field or config.module in self.whole_in_module:
            return None
        names = set(self.by_config.get(None, ()))  # a config of unknown class: any of them
        for path in family:
            names |= self.by_config.get(path, set())
        return names


def _ancestors(obj: ObjectFacts, facts: Facts) -> list[ObjectFacts]:
    found: list[ObjectFacts] = []
    stack = list(obj.bases)
    while stack:
        base = facts.get(stack.pop())
        if base is not None and base not in found:
            found.append(base)
            stack += base.bases
    return found


def _aliases(config: ObjectFacts) -> dict[str, str]:
    return dict(a.split("=", 1) for a in config.aliases if "=" in a)


@lru_cache(maxsize=1)
def _library_table() -> dict[str, frozenset[str]]:
    """Config base class -> the attributes its library's generic code reads (shipped data,
    written by `scripts/library_config_reads.py`)."""
    data = json.loads((Path(__file__).parent / "data" / "library_config_reads.json").read_text(
        encoding="utf-8"))
    return {base: frozenset(entry["reads"]) for entry in data.values() for base in entry["bases"]}


def library_reads(config: ObjectFacts, facts: Facts) -> frozenset[str]:
    """What the library behind an unloaded base of the config reads of every config."""
    table = _library_table()
    seen: set[str] = set()
    stack = list(config.bases)
    while stack:
        base = stack.pop()
        if base in seen:
            continue
        seen.add(base)
        if base in table:
            return table[base]
        found = facts.get(base)
        stack += found.bases if found is not None else []
    return frozenset()


def unread_fields(config: ObjectFacts, usage: _Usage) -> Iterable[Finding]:
    """DG108 for one config class."""
    facts = usage.facts
    family = usage.family(config)
    if not family & usage.used:
        return  # no loaded model uses it: who reads it is unknown
    read = usage.read_names(config, family)
    if read is None:
        return  # every field is read
    read |= library_reads(config, facts)
    aliases = {}
    for path in family:
        member = facts.get(path)
        aliases.update(_aliases(member) if member is not None else {})
    read |= {target for alias, target in aliases.items() if alias in read}
    documented = {a.name: a.description for a in config.docstring.attributes} if (
        config.docstring is not None) else {}
    prefixes = tuple(name[:-1] for name in read if name.endswith("*") and len(name) > 1)
    for item in config.fields:
        description = item.description or documented.get(item.name, "")
        if (item.name in read or item.name.startswith(prefixes or ("\0",))
                or item.inherited_from or item.name.startswith("_")
                or _KEPT.search(description)):
            continue
        yield Finding(
            "DG108", f"config field `{item.name}` of `{config.name}` is not read by any loaded "
            "code", config.file, item.line or config.line, config.path, item.name)


def _fully_known(config: ObjectFacts, facts: Facts) -> bool:
    """Whether every attribute the class can have is in the loaded facts."""
    if config.config_kind not in ("dataclass", "attrs", "annotated"):
        return False
    if "__getattr__" in config.attributes or "__getattribute__" in config.attributes:
        return False
    for base in config.bases:
        found = facts.get(base)
        if base in ("object", "builtins.object"):
            continue
        if found is None or not _fully_known_base(found, facts):
            return False
    return True


def _fully_known_base(base: ObjectFacts, facts: Facts) -> bool:
    return all(b in ("object", "builtins.object") or (
        facts.get(b) is not None and _fully_known_base(facts.get(b), facts))  # type: ignore[arg-type]
               for b in base.bases) and "__getattr__" not in base.attributes


def _defined(config: ObjectFacts, facts: Facts) -> set[str]:
    names = {f.name for f in config.fields} | set(config.attributes)
    names |= set(_aliases(config))
    for base in config.bases:
        found = facts.get(base)
        if found is not None:
            names |= _defined(found, facts)
    return names


def unknown_attributes(facts: Facts, reads: list[_Read], only: set[str] | None = None
                       ) -> Iterable[Finding]:
    """DG109 for every read of a config attribute its (fully known) class lacks."""
    for item in reads:
        reader = item.reader
        if (reader is None or item.read.optional or item.read.name == "*"
                or item.config is None or (only is not None and reader.path not in only)):
            continue
        config = facts.get(item.config)
        if config is None or not config.is_config or not _fully_known(config, facts):
            continue
        defined = _defined(config, facts)
        if item.read.name in defined:
            continue
        close = difflib.get_close_matches(item.read.name, sorted(defined), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        yield Finding(
            "DG109", f"`{reader.name}` reads `{item.read.name}` from its config, which "
            f"`{config.name}` does not define{hint}", reader.file, item.read.line or reader.line,
            reader.path, f"{config.path}.{item.read.name}")


def config_usage_findings(facts: Facts, only: set[str] | None = None) -> list[Finding]:
    """DG108 and DG109 over the loaded facts (with `only`: for those objects alone)."""
    reads = _reads(facts)
    findings = list(unknown_attributes(facts, reads, only))
    usage = _Usage(facts, reads)
    for config in facts.configs:
        if not is_user_config(config) or not config.is_public or (only is not None
                                                               and config.path not in only):
            continue
        findings += unread_fields(config, usage)
    return findings
