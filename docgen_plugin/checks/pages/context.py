"""What the DG201-DG204 rules share while they read one page.

Its own module so that the page rules and the code-block rules (`snippets`) can both take it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from docgen_plugin.checks.pages.links import Linker
from docgen_plugin.checks.pages.model import Page
from docgen_plugin.checks.pages.names import Accepts, accepts
from docgen_plugin.facts.model import Facts, ObjectFacts


@dataclass
class PageContext:
    page: Page
    facts: Facts
    linker: Linker
    cache: dict[str, Accepts]

    def accepts(self, obj: ObjectFacts) -> Accepts:
        if obj.path not in self.cache:
            self.cache[obj.path] = accepts(obj, self.facts)
        return self.cache[obj.path]
