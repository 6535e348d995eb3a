"""DG0xx: input docgen could not read. Reported like findings, with file and line."""

from __future__ import annotations

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.rules import register
from docgen_plugin.facts.model import Diagnostic

register("DG001", "syntax-error", "A Python file does not parse.", """
## What it does
Reports a Python file that is not valid Python, at the line of the error.

## Why is this bad?
docgen cannot read facts from code that does not parse, so nothing in that file is checked.
The rest of the tree is still checked.

## Example
```python
def forward(self, x:
```

## Use instead
Fix the syntax error; `python -m py_compile FILE` shows the same message.
""")
register("DG002", "not-utf8", "A Python file is not valid UTF-8 (or its coding line's encoding).", """
## What it does
Reports a source file whose bytes are not UTF-8, at the line of the first bad byte. A file with
a PEP 263 coding line (`# -*- coding: latin-1 -*-`) is read in the encoding it names, as Python
reads it; bytes that are not valid in it, or an unknown encoding, are reported.

## Why is this bad?
Python 3 reads source as UTF-8 by default, and refuses to import such a file; it is skipped.

## Example
A file saved as Latin-1 with `é` in a comment, and no coding line.

## Use instead
Save the file as UTF-8 (or declare its encoding in a coding line on its first two lines).
""")
register("DG003", "malformed-docstring", "A docstring does not follow its style.", """
## What it does
Reports a docstring that griffe's Google, NumPy or Sphinx parser cannot read fully: an entry
without `name: description`, confusing indentation, a duplicate parameter.

## Why is this bad?
A malformed entry is silently dropped by documentation tools, so a parameter seems
undocumented, or its text lands in the wrong place of the rendered page.

## Example
```python
def f(x):
    \"\"\"Args:
        x (int:  the input
    \"\"\"
```

## Use instead
```python
def f(x):
    \"\"\"Args:
        x (int): the input
    \"\"\"
```
""")
register("DG004", "malformed-config-file", "A YAML/JSON/TOML config file does not parse.", """
## What it does
Reports a config file that is not valid YAML, JSON or TOML, at the line of the error.

## Why is this bad?
Its keys cannot be compared with the config class they belong to, and a training run that
reads it will fail too.

## Example
```yaml
model:
  hidden: 64
 dropout: 0.1
```

## Use instead
Fix the indentation or syntax the message names.
""")


register("DG007", "unreadable-file", "A file or folder under the checked tree cannot be read.", """
## What it does
Reports a Python file, config file or folder under the checked paths that docgen may not read
(its permissions, a broken mount), with the reason the system gave.

## Why is this bad?
Nothing in it is checked, so its findings are missing from the report; the rest of the tree is
still checked. A path named on the command line that cannot be read is an error instead (exit 2).

## Example
```console
$ chmod 000 mypkg/experimental
```

## Use instead
Give the user running docgen read access (`chmod -R u+rX mypkg`), or leave the folder out with
`exclude = ["mypkg/experimental/*"]`.
""")

def diagnostic_findings(diagnostics: tuple[Diagnostic, ...]) -> list[Finding]:
    return [Finding(d.code, d.message, d.file, d.line, subject=d.message) for d in diagnostics]
