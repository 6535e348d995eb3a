"""`docgen check --fix`: rewrite docstrings where the code alone says what they should state.

literals.py finds each docstring's literal in the source (exact spans), entries.py reads the
parameter entries of a docstring's raw text, edits.py rewrites entries in their own style,
describe.py finds descriptions for new entries, plan.py turns findings into verified edits,
command.py writes the files (or prints a diff) and reports.
"""
