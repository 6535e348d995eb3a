"""DG401: a written section that reads less like the house than its validation sections.

Only the rule's code and doc live here (checks sit below the model); the score is computed in
`finetune.style_check` and handed to `docgen check` and the plugins when DG4 is selected.
"""

from __future__ import annotations

from docgen_plugin.checks.rules import register
from docgen_plugin.settings import Settings

STYLE_PREFIX = "DG4"

OFF_HOUSE_STYLE = register(
    "DG401",
    "off-house-style",
    "Written section that reads less like the house than its validation sections (opt-in)",
    """
## What it does
Scores every written section of a kind the adapter was trained and calibrated on (the prose
docgen drafts: overviews and intended use), wherever it is written (docstrings; page and
model-card sections; reviewed sections and drafts between docgen markers), by how much the
house adapter helps to predict it: the mean per-token
loss of the text as the answer to that section's draft prompt under the adapter, minus the
same under the base model. House-like text gets much easier with the adapter; text in another
voice gains little. Plain hard text is hard for both models, so it does not count against
the section.

`docgen finetune` stores the score's distribution on the corpus's validation split per
section kind next to the adapter (`style_calibration.json`); a section is reported when its
score is beyond the chosen quantile of its kind's validation scores (`style-quantile`, default
stored in the calibration), e.g. "reads less like the house than 97 % of its validation
overviews".

## Why is this bad?
A page pasted from another project, a section in a different voice, a vendor's boilerplate or
a draft nobody edited reads unlike the rest of the docs. Readers notice before reviewers do.

## Example
An overview in marketing voice, in a house that writes plain descriptions:
```python
class TinyNet(nn.Module):
    \"\"\"Unlock blazing-fast, state-of-the-art results with TinyNet!\"\"\"
```

## Use instead
Write it the way the house writes: `docgen draft` proposes a section in the house style.
Suppress a finding you accept with `# docgen: ignore[DG401]` on the `class`/`def` line, or
`<!-- docgen: ignore[DG401] -->` in a page.

## Options
Opt-in: `--select DG4` (or `check: {select: [DG4]}` in the MkDocs plugin, `docgen_select` in
Sphinx); `ALL` does not turn it on, since it loads a model on a cold run. Needs an adapter
with a calibration file (`adapter` setting; `docgen finetune CORPUS -o ADAPTER
--calibrate-only` writes one for an adapter trained elsewhere). `style-quantile` moves the
threshold. Scores are cached by prompt, text, model, adapter and dtype: a warm run loads
no model.

## Known problems
Usage, error and limitation sections are not judged: the adapter is not trained on them (facts
render them), and on them the score flagged a fifth of the house's own sections. Two
organisations writing the same plain technical English are told apart only weakly (ROC AUC
0.62 between PyTorch's and Hugging Face's overviews); a different voice, language or pasted
boilerplate is caught reliably. The score is a statistic: a good section that is simply
unusual for the house (the only overview of a data loader in a house of models) can be
reported, and a section in the house's voice that says false things is not. Kinds with fewer
than 10 validation sections are judged against all validation sections together. Sections
shorter than `corpus-min-chars` or longer than `corpus-max-chars` are not scored. Measured
detection quality is in benchmarks/RESULTS.md.
""",
)


def style_selected(settings: Settings) -> bool:
    """True when DG4xx is asked for by name (`DG4`, `DG40`, `DG401`) and not ignored."""
    named = any(p.upper().startswith(STYLE_PREFIX) for p in settings.select)
    return named and not any(p == "ALL" or "DG401".startswith(p.upper()) for p in settings.ignore)
