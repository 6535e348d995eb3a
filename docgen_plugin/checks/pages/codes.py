"""The page rules' codes (DG2xx) and the two inputs they can fail to read (DG005, DG006)."""

from __future__ import annotations

from docgen_plugin.checks.rules import register

UNREADABLE_PAGE = register("DG005", "unreadable-page", "A docs page cannot be read.", """
## What it does
Reports a Markdown or reStructuredText page that is not UTF-8 text, is too large to check, or
that docutils cannot parse at all, at line 1.

## Why is this bad?
Nothing on the page is checked, and the docs build will most likely fail on it too.

## Example
A page saved as UTF-16, or an image renamed to `usage.md`.

## Use instead
Save the page as UTF-8 text (or exclude it with `exclude`).
""")

UNPARSABLE_CODE = register(
    "DG006", "unparsable-code-block", "A Python code block in docs does not parse.", """
## What it does
Reports a code block marked as Python (```` ```python ````, `.. code-block:: python`, a
doctest `>>>` session, an Examples section of a docstring) that is not valid Python, at the
line of the error. Blocks are read with `ast`, never run. Untagged blocks are only checked
when they parse, and IPython magics (`%time`, `!pip`) are skipped.

## Why is this bad?
Readers copy examples. One that does not parse fails for everyone who tries it, and docgen
cannot check the calls in it against the code (DG204).

## Example
```python
model = TinyNet(hidden=64
```

## Use instead
```python
model = TinyNet(hidden=64)
```

## Known problems
Pseudo-code tagged as Python is reported; tag it `text` (or elide arguments with `...`,
which is valid Python).
""")

UNKNOWN_NAME = register(
    "DG201", "page-names-unknown-parameter",
    "A page names a parameter or config key the object does not have.", """
## What it does
Reports a parameter or config key named in a page (a row of a parameter table, a definition
list or `:param x:` field, a `name=value` code span, a key of a YAML/JSON/TOML block) that the
object the page documents does not have, with the closest existing name.

A page documents an object when it says so for certain: a docgen marker, an RST `autoclass`
body, a heading or lead-in paragraph that names the object (`TinyNet` or `pkg.TinyNet` in
code), or front matter / mkdocstrings `::: pkg.TinyNet` naming a single object. Tables whose
names mostly do not match the object are left alone: they are about something else.

## Why is this bad?
A renamed parameter left in a guide sends readers to an argument that raises `TypeError`,
or to a config key that a strict loader rejects.

## Example
```markdown
## `TinyNet` parameters

| Name | Default |
|---|---|
| `hidden` | 64 |
| `drop_rate` | 0.1 |
```

## Use instead
```markdown
| Name | Default |
|---|---|
| `hidden` | 64 |
| `dropout` | 0.1 |
```

## Known problems
Where the object takes `**kwargs` that docgen cannot resolve, only near-certain typos of an
existing name are reported.
""")

WRONG_VALUE = register(
    "DG202", "page-states-wrong-default",
    "A default or value stated in a page differs from the code or the cited config file.", """
## What it does
Reports a default stated in a page ("`dropout` defaults to 0.1", a *Default* column, a
definition list entry saying "Default: 0.1") that differs from the default in the code, and
a YAML/JSON/TOML block that shows a config file the page cites (`configs/base.yaml`) with a
value the file does not have. A block introduced as the defaults ("The defaults are:") is
compared with the code's defaults. Values are compared as Python values (`0.1` equals
`1e-1`); a code default of `None` is not compared.

## Why is this bad?
Defaults are what users rely on to reproduce a model. A stale default in a guide means a
silently different experiment.

## Example
```markdown
`dropout` defaults to 0.1.
```
while the code says `dropout: float = 0.2`.

## Use instead
```markdown
`dropout` defaults to 0.2.
```
""")

MISSING_NAME = register(
    "DG203", "page-table-misses-parameter",
    "A parameter or config table misses parameters or fields of its object.", """
## What it does
Reports each parameter (or config field) of an object that the page's table for that object
does not list. Only tables that certainly document one object and sit in a *Parameters*,
*Configuration* or *Inputs* section (or a docgen marker of that section) are checked, and
all such tables of a section count together. Variadic (`*args`, `**kwargs`), private
(`_x`) and inherited-through-`**kwargs` parameters are not required.

## Why is this bad?
A parameter added to the code but not to the table is invisible to readers of the docs.

## Example
```markdown
## Parameters of `TinyNet`

| Name | Default |
|---|---|
| `hidden` | 64 |
```
while `TinyNet.__init__(self, hidden=64, eps=1e-5)`.

## Use instead
List `eps` too, or let docgen render the table from the code
(`<!-- docgen:begin object=pkg.TinyNet section=parameters -->`).
""")

BAD_CALL = register(
    "DG204", "example-call-mismatch",
    "A code example calls a known object with a keyword it does not take or without a required "
    "argument.", """
## What it does
Reads every Python code block of a page, and every example (`>>>` sessions, fenced blocks) in
a docstring, with `ast` — never running it — and reports calls of classes and functions of
the loaded packages that pass a keyword the signature does not accept, omit a required
argument, pass too many positional arguments or one argument twice. Imports, aliases and
instances (`model = TinyNet(...)`; `model(x)` calls `forward`) are followed.

## Why is this bad?
Examples are the part of the docs readers run first. One that raises `TypeError` costs every
reader the time to find out why.

## Example
```python
from pkg import TinyNet
model = TinyNet(hidden=64, drop_rate=0.1)
```
while `TinyNet.__init__(self, hidden=64, dropout=0.1)`.

## Use instead
```python
model = TinyNet(hidden=64, dropout=0.1)
```

## Known problems
Calls through `**kwargs` and `*args`, and `Model(...)` with literal `...`, are not checked.
""")

BAD_CONFIG_FILE = register(
    "DG205", "config-file-mismatch",
    "A config file has a key its config class lacks, or a value of the wrong type.", """
## What it does
Checks each YAML/JSON/TOML config file matched to a config class (through `config-files` in
settings, a Hydra `_target_` key, or most of its keys being fields of one class): a key that
is not a field (with the closest field name), and a value whose type contradicts the field's
annotation (`"abc"` for an `int` field). Numbers written as strings that PyYAML does not read
as numbers (`1e-5`) count as numbers.

## Why is this bad?
A misspelt key is ignored or rejected at training time, after the job was queued; a value
of the wrong type fails deep inside the model, or silently changes behaviour.

## Example
```yaml
# configs/base.yaml, matched to EncoderConfig
d_model: 64
dropuot: 0.1
num_heads: four
```

## Use instead
```yaml
d_model: 64
dropout: 0.1
num_heads: 4
```

## Known problems
When the class was only guessed from the keys, only keys close to a field name (likely typos)
are reported.
""")

MODEL_CARD = register(
    "DG206", "model-card-mismatch",
    "A model card misses required sections or its metadata contradicts the code or adapter.", """
## What it does
Checks a model card (a `README.md` with Hugging Face metadata, or beside an
`adapter_config.json`/`config.json`): each section named in `model-card-sections` must be
there and not be empty ("[More Information Needed]"), and the metadata must agree with what
the files state: `base_model` with the adapter's `base_model_name_or_path`, `library_name`
with the files (`peft` for an adapter), `pipeline_tag` with the adapter's `task_type`, the
`architectures` of `config.json` or the task a linked model class is named for
(`...ForSequenceClassification`).

## Why is this bad?
The card is what people read before they use a model. Missing limitations or intended uses
hide what it must not be used for, and wrong metadata makes the Hub show the wrong widget,
base model or library.

## Example
```markdown
---
base_model: meta-llama/Llama-3.2-1B
library_name: peft
---
# My adapter
## Model description
...
```
with `"base_model_name_or_path": "Qwen/Qwen2.5-0.5B"` in `adapter_config.json`.

## Use instead
Set `base_model: Qwen/Qwen2.5-0.5B`, and add the *Intended uses*, *Limitations* and *Training
procedure* sections.

## Options
`model-card-sections`: the sections a card must have (default: model description, intended
uses, limitations, training procedure). Headings are matched with their usual synonyms
("Uses", "Bias, Risks, and Limitations", "Training details", ...).
""")
