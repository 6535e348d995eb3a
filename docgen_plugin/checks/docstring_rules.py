"""DG1xx: docstrings and config classes against the code they document."""

from __future__ import annotations

import difflib
import itertools
import re

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.rules import register
from docgen_plugin.checks.values import UNKNOWN, literal, normalise_type, same_value, types_contradict
from docgen_plugin.facts.docstrings import documented_default
from docgen_plugin.facts.model import DocParam, Docstring, Facts, ObjectFacts, Param, Signature

DG101 = register("DG101", "unknown-documented-parameter",
                 "A documented parameter is not in the signature.", """
## What it does
Reports a parameter named in a docstring's parameters section that the signature does not
have, with the closest existing name ("did you mean `x`?"). A class docstring documents
`__init__`; parameters that `**kwargs` hands to a loaded base class count as accepted.

## Why is this bad?
A renamed or removed parameter left in the docs sends users to an argument that raises
`TypeError`. It is the most common way docstrings go stale.

## Example
```python
def attention(query, key, dropout_p=0.0):
    \"\"\"Args:
        query: ...
        key: ...
        dropout: Dropout probability.
    \"\"\"
```

## Use instead
```python
def attention(query, key, dropout_p=0.0):
    \"\"\"Args:
        query: ...
        key: ...
        dropout_p: Dropout probability.
    \"\"\"
```

Names the code accepts in other ways count too: keywords read from `**kwargs`
(`kwargs.pop("dt", True)`, also in `__new__` or a method the kwargs are handed to), old names a
`@deprecate_kwarg("seed", "rng")`-style decorator keeps, parameters of `__call__` documented
by the class, and NumPy's `sample1, sample2, ...` for `*samples`. In a NumPy docstring only
lines written as entries (`name : type`, `name`) are entries, not prose left unindented.

## Known problems
With an unresolved `**kwargs` the accepted names are unknown, so only names very close to an
existing parameter (likely typos or renames) are reported.
""")
DG102 = register("DG102", "undocumented-parameter",
                 "A signature parameter is not documented.", """
## What it does
Reports a parameter of the signature that the docstring does not document, where the
docstring documents parameters at all. `self`, `*args`, `**kwargs`, private (`_x`) and
forwarded parameters are not required. For config classes, a `help`/`description` on the
field counts as documentation.

## Why is this bad?
A parameter added to the code but not to the docs is invisible to the readers of the docs.

## Example
```python
def __init__(self, hidden, eps=1e-5):
    \"\"\"Args:
        hidden: Width of the layer.
    \"\"\"
```

## Use instead
```python
def __init__(self, hidden, eps=1e-5):
    \"\"\"Args:
        hidden: Width of the layer.
        eps: Added to the variance for stability. Defaults to 1e-5.
    \"\"\"
```
""")
DG103 = register("DG103", "wrong-documented-default",
                 "A documented default differs from the real one.", """
## What it does
Reports a default stated in a docstring ("Defaults to 0.1", "Default: 0.1",
NumPy `float, default=0.1`, "optional, default 0.1") that differs from the default in the
signature or config field. Values are compared as Python values: `0.1` equals `1e-1`, `None`
equals `"None"` in prose, a regex equals itself whether the docstring is raw or not.

NumPy entries are read as numpydoc defines them: a choice set `{'lbfgs', 'sgd'}` is the type,
not the default; a type wrapped after a `\\` is joined; `optional` leaves the default to the
description, where English ("defaults to leaky ReLU", "95% confidence", "0 if the image is
bool") and defaults of sub-options in nested lists are not read as values.

A code default of `None` is compared with the value the body gives it before any other use
(`if x is None: x = 5`, `x = x or 5`, `self.x = x if x is not None else 5`): the message says
"the code's default is `None`, which `__init__` turns into `5`". Otherwise it is compared
only with a NumPy type-field default (`n_jobs : int, default=5`) when the code never tests the
parameter for None nor hands it to a normalising helper: docs often state the value `None`
stands for. A sentinel default (`"deprecated"`, `"warn"`, `_NoValue`) whose entry or a
`.. deprecated::` / `.. versionchanged::` note speaks of the deprecation is not compared.

## Why is this bad?
Hyper-parameter defaults are what users rely on most when they reproduce a model. A stale
default in the docs means a silently different experiment.

## Example
```python
def __init__(self, dropout: float = 0.2):
    \"\"\"Args:
        dropout: Dropout probability. Defaults to 0.1.
    \"\"\"
```

## Use instead
```python
def __init__(self, dropout: float = 0.2):
    \"\"\"Args:
        dropout: Dropout probability. Defaults to 0.2.
    \"\"\"
```
""")
DG104 = register("DG104", "wrong-documented-type",
                 "A documented type contradicts the annotation.", """
## What it does
Reports a parameter whose documented type cannot be the annotated one, after normalising
(`Optional[int]` and `int | None`, `List` and `list`, `torch.FloatTensor` and `Tensor`).
Only plain, known types are compared, and compatible ones (int where float is annotated,
list vs tuple, a missing `None`) are not reported.

## Why is this bad?
Readers trust the documented type; a contradiction means one of the two is wrong.

## Example
```python
def __init__(self, num_heads: int = 8):
    \"\"\"Args:
        num_heads (str): Number of attention heads.
    \"\"\"
```

## Use instead
```python
def __init__(self, num_heads: int = 8):
    \"\"\"Args:
        num_heads (int): Number of attention heads.
    \"\"\"
```
""")
DG105 = register("DG105", "config-field-description",
                 "A config field has no description, or two that disagree.", """
## What it does
Reports a field of a config class (dataclass, pydantic model, `PretrainedConfig`-style
class, attrs class) that is described nowhere: not in the class docstring, not in
`field(metadata={"help": ...})` / `Field(description=...)`, not in an attribute docstring.
Also reports a field whose docstring entry and `help`/`description` state different defaults.

## Why is this bad?
Config fields are the knobs users turn; an undescribed one is guessed at, and two
descriptions that disagree are worse than one.

## Example
```python
@dataclass
class TrainConfig:
    \"\"\"Training settings.\"\"\"
    lr: float = 3e-4
```

## Use instead
```python
@dataclass
class TrainConfig:
    \"\"\"Training settings.\"\"\"
    lr: float = field(default=3e-4, metadata={"help": "Peak learning rate."})
```
""")
DG106 = register("DG106", "documented-order",
                 "Documented parameters are in another order than the signature.", """
## What it does
Reports a docstring whose parameters appear in a different order than in the signature.

## Why is this bad?
Readers map the docs onto positional calls; an order that differs from the code invites
swapped arguments.

## Example
```python
def forward(self, x, mask=None):
    \"\"\"Args:
        mask: Attention mask.
        x: Input.
    \"\"\"
```

## Use instead
Document `x` before `mask`.
""")
DG107 = register("DG107", "missing-class-docstring",
                 "A public model or config class has no docstring.", """
## What it does
Reports a public class that is a model (a `torch.nn.Module` or known model base, also through
loaded base classes) or a config class, without a docstring.

## Why is this bad?
Models and their configs are what a model package is for; without a docstring, API pages and
model cards have nothing to say about them.

## Example
```python
class Encoder(nn.Module):
    def __init__(self, hidden: int = 64): ...
```

## Use instead
```python
class Encoder(nn.Module):
    \"\"\"Transformer encoder over token embeddings.\"\"\"
```
""")

CLOSE_MATCH = 0.6
TYPO_MATCH = 0.8  # with an unresolved **kwargs, only report near-certain renames


def did_you_mean(name: str, candidates: list[str], cutoff: float) -> str | None:
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def _is_test_module(obj: ObjectFacts) -> bool:
    return any(p in ("test", "tests") or p.startswith("test_") for p in obj.module.split("."))


def _docstring_written_by_decorator(obj: ObjectFacts) -> bool:
    """Whether a decorator fills in the docstring at import time (`@auto_docstring`,
    `@add_start_docstrings`...): what the source lacks may be there at run time."""
    return any("docstring" in d.rsplit(".", 1)[-1].lower() for d in obj.decorators)


def _written_as_entries(doc: Docstring) -> set[str]:
    """Names the docstring writes as `name (type): text` entries, parsed as such or not.

    griffe drops entries it cannot read (`x (int)` with no colon), reads a mis-indented list as
    one long description, and does not see a field list without a section heading. Such
    names are documented, only not parsably: DG003 reports the malformed ones, not DG102/DG105.
    """
    names = set(_ENTRY_LINE.findall(doc.text)) | set(_RUN_ON_ENTRY.findall(doc.text))
    for entry in (*doc.params, *doc.attributes):  # `to 8. dim_head (int)`: a run-on line
        if not entry.name.isidentifier():
            names.update(re.findall(r"[A-Za-z_]\w*", entry.name))
    return names


_ENTRY_LINE = re.compile(r"^[ \t]*\**([A-Za-z_]\w*)[ \t]*(?:\(|:(?!:))", re.M)
# "... Defaults to 1280. depth (int): The number of blocks.": entries run on in one line.
_RUN_ON_ENTRY = re.compile(r"\b([A-Za-z_]\w*) \([^()\n]*\):")


def _documented_against(obj: ObjectFacts) -> Signature | None:
    """The signature a docstring's parameters section describes."""
    if obj.kind == "class":
        return obj.signature("__init__")
    return obj.signatures[0] if obj.signatures else None


def is_user_config(obj: ObjectFacts) -> bool:
    """A config class, not a dataclass of outputs (`ModelOutput`, `BaseOutput` subclasses):
    their fields are values a model returns, not knobs a user turns."""
    names = (obj.name, *(b.rsplit(".", 1)[-1] for b in obj.bases))
    return obj.is_config and not any(n.endswith(("Output", "Outputs")) for n in names)


def _is_api(obj: ObjectFacts) -> bool:
    """Public by name, and listed in the module's `__all__` where the module has one."""
    return obj.is_public and obj.exported is not False


def _accepted_names(signature: Signature) -> list[str]:
    return [p.name for p in signature.params if p.name not in ("self", "cls")]


def check_object(obj: ObjectFacts, facts: Facts) -> list[Finding]:
    """Every DG1xx finding of one object."""
    findings: list[Finding] = []
    if obj.kind == "class" and obj.docstring is None:
        init = facts.get(f"{obj.path}.__init__")
        if ((obj.is_model or is_user_config(obj)) and _is_api(obj) and not _is_test_module(obj)
                and not _docstring_written_by_decorator(obj)
                # Documenting the class in `__init__`'s docstring is a supported convention.
                and (init is None or init.docstring is None)):
            kind = "model" if obj.is_model else "config"
            findings.append(Finding("DG107", f"public {kind} class `{obj.name}` has no docstring",
                                    obj.file, obj.line, obj.path))
        return findings
    doc = obj.docstring
    if doc is None:
        return findings
    signature = _documented_against(obj)
    if signature is not None and doc.documents_params:
        findings += _check_params(obj, doc, signature, facts)
    if is_user_config(obj):
        findings += _check_config_fields(obj, doc, facts)
    return findings


def _check_params(
    obj: ObjectFacts, doc: Docstring, signature: Signature, facts: Facts
) -> list[Finding]:
    out: list[Finding] = []
    accepted = _accepted_names(signature)
    by_name = {p.name: p for p in signature.params}
    open_kwargs = signature.accepts_any_keyword
    for documented in doc.params:
        name = documented.name
        param = by_name.get(name)
        if param is None:
            if not name.isidentifier() or _documented_otherwise(obj, signature, name):
                continue
            guess = did_you_mean(name, accepted, TYPO_MATCH if open_kwargs else CLOSE_MATCH)
            if open_kwargs and (guess is None or adds_words(name, guess)):
                continue  # may well be read from **kwargs
            hint = f"; did you mean `{guess}`?" if guess else ""
            out.append(Finding(
                "DG101", f"documented parameter `{name}` is not in the signature of "
                f"`{_where(obj, signature)}`{hint}", obj.file, documented.line or doc.line,
                obj.path, name))
            continue
        out += _check_default_and_type(obj, doc, documented, param)
    out += _check_undocumented(obj, doc, signature, facts)
    out += _check_order(obj, doc, signature)
    return out


def _documented_otherwise(obj: ObjectFacts, signature: Signature, name: str) -> bool:
    """A name the signature takes in another way: `sample1, sample2, ...` for `*samples` (the
    NumPy way to document variadic arguments), or a parameter of `__call__` documented by the
    class (scipy's `ortho_group(dim)`: the instance is what users call)."""
    if re.fullmatch(r"[A-Za-z_]+\d+", name) and any(p.kind == "var-positional" for p in signature.params):
        return True
    call = obj.signature("__call__") if obj.kind == "class" else None
    return call is not None and call.param(name) is not None


def adds_words(documented: str, existing: str) -> bool:
    """Documented `add_bos_token` for `bos_token`: words added name another option (read from
    **kwargs), not a typo. (The other way, `num_classes` for `num_classes_v2`, is a rename.)"""
    words, existing_words = documented.split("_"), existing.split("_")
    return len(words) > len(existing_words) and all(w in words for w in existing_words)


def _where(obj: ObjectFacts, signature: Signature) -> str:
    return f"{obj.name}.{signature.name}" if obj.kind == "class" else obj.name


def _check_default_and_type(
    obj: ObjectFacts, doc: Docstring, documented: DocParam, param: Param
) -> list[Finding]:
    out: list[Finding] = []
    line = documented.line or doc.line
    wrong_default = _wrong_default(obj, doc, documented, param)
    if wrong_default:
        out.append(Finding("DG103", wrong_default, obj.file, line, obj.path, param.name))
    unaccepted = _choices_not_accepted(documented, param)
    if unaccepted:
        out.append(Finding(
            "DG104", f"documented choices of `{param.name}` include {unaccepted}, which the "
            f"annotation `{param.annotation}` does not accept", obj.file, line, obj.path, param.name))
    elif documented.annotation and param.annotation and types_contradict(
        documented.annotation, param.annotation
    ):
        written = documented.annotation.replace("`", "")  # Hugging Face quotes types
        out.append(Finding(
            "DG104", f"documented type of `{param.name}` is `{written}`, "
            f"the annotation says `{normalise_type(param.annotation)}`",
            obj.file, line, obj.path, param.name))
    return out


def _wrong_default(obj: ObjectFacts, doc: Docstring, documented: DocParam, param: Param) -> str | None:
    """The DG103 message when the documented default contradicts the code's, else None."""
    stated = documented.default
    if stated is None or param.default is None or _deprecation_cycle(doc, documented, param):
        return None
    said = f"documented default of `{param.name}` is `{stated}`"
    if param.default != "None":
        if (same_value(stated, param.default) is False and not _abbreviation(documented, param)
                and not _int_flag(stated, param.default)):
            return f"{said}, the code's is `{param.default}`"
        return None
    if literal(stated) is None:
        return None  # `default=None` as the code says
    if param.resolved_default is not None:
        if same_value(stated, param.resolved_default) is False:
            where = obj.name if obj.kind != "class" else "__init__"
            return (f"{said}, the code's default is `None`, which `{where}` turns into "
                    f"`{param.resolved_default}`")
        return None
    if _none_may_stand_for(doc, documented, param):
        return None
    return f"{said}, the code's is `None`" if same_value(stated, "None") is False else None


def _none_may_stand_for(doc: Docstring, documented: DocParam, param: Param) -> bool:
    """Whether a `None` default may stand for the documented value: the code tests it for None
    (a value computed later), the entry says what None means, or the style has no convention
    of writing `default=None` (only NumPy's does, in the type field: `int, default=None`)."""
    return (param.none_handled or doc.style != "numpy" or not documented.default_in_type
            or re.search(r"\bNone\b", documented.description) is not None)


def _int_flag(documented: str, code: str) -> bool:
    """`stochastic_exog=1` documented "Default is True": a flag spelled as an int."""
    values = {type(v): v for v in (literal(documented), literal(code))}
    return set(values) == {bool, int} and values[bool] == values[int]


def _abbreviation(documented: DocParam, param: Param) -> bool:
    """`btype : {'lowpass', 'highpass'}` documented with the code's default `'low'`: the code
    spells a documented choice short (an alias it accepts), it does not contradict it."""
    stated, code = literal(documented.default), literal(param.default)
    choices = _choices(documented.annotation)
    return (isinstance(stated, str) and isinstance(code, str) and len(code) >= 2
            and stated.startswith(code) and stated in choices)


def _choices_not_accepted(documented: DocParam, param: Param) -> str:
    """Documented NumPy choices `{'a', 'b'}` that a `Literal["a", "c"]` annotation rejects."""
    accepted = _literal_values(param.annotation)
    if accepted is None:
        return ""
    extra = sorted(_choices(documented.annotation) - accepted)
    return ", ".join(f"`{c!r}`" for c in extra)


def _literal_values(annotation: str | None) -> set[str] | None:
    """The strings of a `Literal[...]` annotation (`X | None` around it allowed), else None."""
    match = re.fullmatch(r"(?:typing\.)?Literal\[([^\[\]]*)\](?:\s*\|\s*None)?", (annotation or "").strip())
    if match is None:
        return None
    values = re.findall(r"['\"]([^'\"]*)['\"]", match.group(1))
    return set(values) if values else None


def _choices(annotation: str | None) -> set[str]:
    """The strings of a NumPy choice set `{'a', 'b'}` in a documented type."""
    match = re.search(r"\{([^{}]*)\}", annotation or "")
    return set(re.findall(r"['\"]([^'\"]*)['\"]", match.group(1))) if match else set()


def _deprecation_cycle(doc: Docstring, documented: DocParam, param: Param) -> bool:
    """A sentinel default (`"deprecated"`, `"warn"`, `_NoValue`) of a deprecation cycle: the docs
    state the effective value and say so in a deprecation or version-changed note."""
    value = literal(param.default)
    if param.default == "None" or not (isinstance(value, str) or value is UNKNOWN):
        return False
    notes = [n.group(1) for n in re.finditer(r"\.\. (?:deprecated|versionchanged)::(.*(?:\n[ \t]+.*)*)",
                                             doc.text)]
    about = [n for n in notes if re.search(rf"\b{re.escape(param.name)}\b", n)]
    if re.search(r"deprecat|versionchanged", documented.description, re.I):
        about.append(documented.description)
    # the default is a sentinel by its kind or its word, or the note names it (``copy="warn"``)
    sentinel = value is UNKNOWN or value.lower() in _SENTINELS or any(value in n for n in about)
    return bool(about) and sentinel


_SENTINELS = frozenset({"deprecated", "warn", "warning", "legacy", "auto-deprecated"})


def _documented_elsewhere(obj: ObjectFacts, facts: Facts) -> set[str]:
    """Names documented by the class's `__init__` docstring or by field help texts."""
    names: set[str] = set()
    init = facts.get(f"{obj.path}.__init__") if obj.kind == "class" else None
    if init is not None and init.docstring is not None:
        names.update(p.name for p in init.docstring.params)
    if obj.kind == "class" and obj.docstring is not None:
        names.update(p.name for p in obj.docstring.attributes)
    names.update(f.name for f in obj.fields if f.description)
    return names


def _check_undocumented(
    obj: ObjectFacts, doc: Docstring, signature: Signature, facts: Facts
) -> list[Finding]:
    if _docstring_written_by_decorator(obj):
        return []
    documented = {p.name for p in doc.params} | _documented_elsewhere(obj, facts)
    documented |= _written_as_entries(doc) | _inherited_fields(obj)
    if obj.kind == "method" and obj.name == "__init__":
        parent = facts.get(obj.module)
        if parent is not None and parent.docstring is not None:
            documented |= {p.name for p in parent.docstring.params}
    missing = [
        p.name for p in _required_params(doc, signature)
        if not p.is_variadic and not p.name.startswith("_") and p.name not in documented
    ]
    return [
        Finding("DG102", f"parameter `{name}` of `{_where(obj, signature)}` is not documented",
                obj.file, obj.line, obj.path, name)
        for name in missing
    ]


def _required_params(doc: Docstring, signature: Signature) -> tuple[Param, ...]:
    """The parameters a docstring must document: the signature's own, or all of an `__init__`
    the class inherits whole when the docstring documents it (names at least one of them)."""
    own = signature.own_params
    if own or not any(signature.param(p.name) for p in doc.params):
        return own
    return signature.shown_params


def _inherited_fields(obj: ObjectFacts) -> set[str]:
    """Fields a config class inherits: like forwarded parameters, documented by the base."""
    return {f.name for f in obj.fields if f.inherited_from} if obj.kind == "class" else set()


def _check_order(obj: ObjectFacts, doc: Docstring, signature: Signature) -> list[Finding]:
    order = {p.name: i for i, p in enumerate(signature.params)}
    inherited = _inherited_fields(obj)  # a dataclass puts them first; docs often put them last
    documented = [p for p in doc.params if p.name in order and p.name not in inherited
                  and signature.param(p.name).forwarded_from is None]  # type: ignore[union-attr]
    for before, after in itertools.pairwise(documented):
        if order[after.name] < order[before.name]:
            expected = ", ".join(p.name for p in sorted(documented, key=lambda p: order[p.name]))
            return [Finding(
                "DG106", f"`{after.name}` is documented after `{before.name}`; the signature "
                f"order is {expected}", obj.file, after.line or doc.line, obj.path,
                f"{before.name}<{after.name}")]
    return []


def _check_config_fields(obj: ObjectFacts, doc: Docstring, facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    entries = {p.name: p for p in (*doc.params, *doc.attributes)}
    init = facts.get(f"{obj.path}.__init__")
    if init is not None and init.docstring is not None:
        entries.update({p.name: p for p in init.docstring.params if p.name not in entries})
    # Fields of a private class are no user's knobs; a decorator may write their descriptions.
    require = _is_api(obj) and not _is_test_module(obj) and not _docstring_written_by_decorator(obj)
    written = _written_as_entries(doc)
    if not doc.documents_params:  # an Attributes-only docstring: names and types checked here
        out += _check_attribute_entries(obj, doc)
    for field in obj.fields:
        if field.inherited_from or field.name.startswith("_"):
            continue
        entry = entries.get(field.name)
        if entry is None and not field.description:
            if not require or field.name in written:
                continue
            out.append(Finding("DG105", f"config field `{field.name}` of `{obj.name}` has no "
                               "description", obj.file, field.line or obj.line, obj.path,
                               field.name))
            continue
        in_help = documented_default(field.description, None) if field.description else None
        if entry is not None and entry.default and in_help and (
            same_value(entry.default, in_help) is False
        ):
            out.append(Finding(
                "DG105", f"config field `{field.name}`: the docstring says default "
                f"`{entry.default}`, its help says `{in_help}`", obj.file,
                field.line or obj.line, obj.path, field.name))
        elif in_help and field.default not in (None, "None") and (
            same_value(in_help, field.default) is False  # type: ignore[arg-type]
        ):
            out.append(Finding(
                "DG103", f"the help of `{field.name}` says default `{in_help}`, the code's is "
                f"`{field.default}`", obj.file, field.line or obj.line, obj.path, field.name))
        if (entry is not None and not doc.documents_params and entry.default is not None
                and field.default is not None and field.default != "None"
                and same_value(entry.default, field.default) is False):
            # Attributes sections are not checked against __init__ above; check them here.
            out.append(Finding(
                "DG103", f"documented default of `{field.name}` is `{entry.default}`, "
                f"the code's is `{field.default}`", obj.file, entry.line or doc.line,
                obj.path, field.name))
    return out


def _check_attribute_entries(obj: ObjectFacts, doc: Docstring) -> list[Finding]:
    """A config docstring's Attributes entries against the fields they describe."""
    out: list[Finding] = []
    fields = {f.name: f for f in obj.fields}
    for entry in doc.attributes:
        field = fields.get(entry.name)
        if field is None:
            if not entry.name.isidentifier() or entry.name in obj.attributes:
                continue  # a property or an attribute set in a method: not a field, still real
            guess = did_you_mean(entry.name, list(fields), CLOSE_MATCH)
            hint = f"; did you mean `{guess}`?" if guess else ""
            out.append(Finding(
                "DG101", f"documented attribute `{entry.name}` is not a field of `{obj.name}`{hint}",
                obj.file, entry.line or doc.line, obj.path, entry.name))
        elif entry.annotation and field.annotation and types_contradict(
            entry.annotation, field.annotation
        ):
            out.append(Finding(
                "DG104", f"documented type of `{entry.name}` is `{entry.annotation}`, "
                f"the annotation says `{normalise_type(field.annotation)}`",
                obj.file, entry.line or doc.line, obj.path, entry.name))
    return out
