"""Sections from behaviour facts say what the code does, with its conditions."""

from __future__ import annotations

from pkgtools import facts_of

from docgen_plugin.sections import render_errors, render_inputs

CODE = '''
from torch import nn


class Base(nn.Module):
    """Builds its layers through a method subclasses override."""

    def __init__(self, channels, width=None):
        super().__init__()
        if isinstance(channels, int):
            width = channels
        if width is None:
            raise ValueError("width is required")
        self.layer = self.make_layer(width)

    def make_layer(self, width):
        return nn.Linear(width, width)

    def forward(self, x, return_all: bool = False):
        """Run it."""
        if return_all:
            return x, self.layer(x)
        return self.layer(x)


class Child(Base):
    """Overrides how layers are made."""

    def make_layer(self, width):
        if width % 2:
            raise ValueError(f"width must be even, not {width}")
        return nn.Linear(width, width)
'''


def test_errors_follow_overridden_methods_and_name_reassigned_parameters(tmp_path):
    facts = facts_of(tmp_path, {"models.py": CODE})
    child = render_errors(facts.get("pkg.models.Child"), facts)
    assert "through `Base.__init__`" in child
    # the subclass's own `make_layer` runs, called from the base's `__init__`
    assert "- `ValueError` if `width % 2` (in `make_layer`, on the arguments it is called with)" in child
    # `width` is the value the body gave it (from `channels`), not only the one passed
    assert ("- `ValueError` if `width is None` (with `width` as the code has set it by then, "
            "not only as passed)") in child
    base = render_errors(facts.get("pkg.models.Base"), facts)
    assert "width % 2" not in base  # the base's own `make_layer` raises nothing


def test_returns_by_branch(tmp_path):
    facts = facts_of(tmp_path, {"models.py": CODE})
    text = render_inputs(facts.get("pkg.models.Child"), facts)
    assert "- if `return_all`: a tuple of 2: `(x, self.layer(x))`" in text
    assert "- if `not return_all`: the output of `self.layer`" in text
