"""Sphinx configuration of the tinyformer example: the same docs, built by Sphinx."""

project = "tinyformer"
extensions = ["myst_parser", "docgen_plugin.integrations.sphinx"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"

docgen_packages = ["../tinyformer"]
docgen_sections = ["overview", "parameters", "usage"]
docgen_cache_dir = "../.cache/docgen"  # shared with the MkDocs site: drafts are made once
