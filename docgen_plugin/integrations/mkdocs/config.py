"""The `docgen` plugin's options in mkdocs.yml, validated by MkDocs itself."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c

from docgen_plugin.integrations.core import DRAFT_LABEL


class CheckConfig(base.Config):
    """`check:` — findings logged as build warnings (so `mkdocs build --strict` fails)."""

    enabled = c.Type(bool, default=True)
    select = c.ListOfItems(c.Type(str), default=[])
    ignore = c.ListOfItems(c.Type(str), default=[])


class DocgenConfig(base.Config):
    """Options of the MkDocs plugin; the names mirror `[tool.docgen]` and the Sphinx ones."""

    enabled = c.Type(bool, default=True)
    packages = c.ListOfItems(c.Type(str), default=[])
    model = c.Optional(c.Type(str))  # unset: [tool.docgen]'s, else `default`
    adapter = c.Optional(c.Type(str))
    sections = c.ListOfItems(c.Type(str), default=[])
    check = c.SubConfig(CheckConfig)
    cache_dir = c.Optional(c.Type(str))  # unset: [tool.docgen]'s, else `.cache/docgen`
    draft_label = c.Type(str, default=DRAFT_LABEL)
    draft = c.Type(bool, default=True)
    run_examples = c.Type(bool, default=False)
    autopages = c.Type(bool, default=False)
    autopages_dir = c.Type(str, default="models")
