"""Mutation test of the page rules (DG201-DG206) against the example docs and configs.

Mutations are generated from the pages' own structure (as docgen's readers see it) and from
the config files, not listed by hand:

* every row of a parameter/config table: misspell its name, rename it to a stale name, change
  its Default cell, drop the row (in a complete Parameters/Configuration table);
* every `name: description` entry and every "`x` defaults to V" sentence: misspell the name,
  change the stated default;
* every key of a YAML block in a page: misspell it; every value of a block that shows a
  config file: change it;
* every keyword of a call to a tinyformer class in a Python code block: misspell it;
* every key of `tinyformer/configs/*.yaml`: misspell it, give it a value of the wrong type;
* every required section of the model card: rename its heading.

Each mutation must be reported by exactly the rule it breaks, at the line and name it
touched, and nothing else may change. The unmutated docs are clean apart from DELIBERATE.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from docgen_plugin.checks.pages import check_page, discover_pages, read_page_text
from docgen_plugin.checks.pages.code_rules import config_file_findings
from docgen_plugin.checks.pages.model import Code, Entry, Heading, Paragraph, Table
from docgen_plugin.checks.pages.names import accepts, entry_text, sentences, table_names
from docgen_plugin.facts.config_files import read_config_files
from docgen_plugin.facts.discover import SourceFile
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import Facts
from docgen_plugin.sections.catalogue import MODEL_CARD_HEADINGS, normalise
from docgen_plugin.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAGES = ("docs", "sphinx", "README.md", "tinyformer/README.md")
# Inconsistencies the example docs keep on purpose (the README shows them): (code, file, subject)
DELIBERATE = {
    # docs/index.md's quick start passes `num_labels`; the field is `num_classes`
    ("DG204", "docs/index.md", "num_labels"),
}
Key = tuple[str, str, int, str]  # code, file, line, subject


@dataclass(frozen=True)
class Mutation:
    family: str
    file: str
    expected: Key
    apply: Callable[[str], str]

    @property
    def id(self) -> str:
        return f"{self.family}:{self.file}:{self.expected[2]}:{self.expected[3]}"


@dataclass(frozen=True)
class Docs:
    facts: Facts
    settings: Settings
    texts: dict[str, str]  # display path -> page text

    def check(self, file: str, text: str) -> set[Key]:
        page = read_page_text(text, file)
        folder = EXAMPLES / Path(file).parent
        return {(f.code, f.file, f.line, f.subject) for f in
                check_page(page, text, self.facts, self.settings, folder=folder)}

    def check_config(self, file: str, text: str, tmp: Path) -> set[Key]:
        path = tmp / Path(file).name
        path.write_text(text, encoding="utf-8")
        configs, _ = read_config_files([SourceFile(path, "", file)], self.facts, self.settings)
        others = [c for c in self.facts.config_files if c.file != file]
        facts = replace(self.facts, config_files=(*others, *configs))
        return {(f.code, f.file, f.line, f.subject) for f in config_file_findings(facts)}


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Docs:
    settings = Settings(root=str(EXAMPLES), cache_dir=str(tmp_path_factory.mktemp("cache")),
                        exclude=("*legacy.py",))
    facts = load_facts(["tinyformer"], settings)
    texts = {display: path.read_text(encoding="utf-8")
             for path, display in discover_pages(PAGES, settings)}
    return Docs(facts, settings, texts)


# --- editing helpers -----------------------------------------------------------------------


def on_line(line: int, old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.split("\n")
        assert old in lines[line - 1], (line, old, lines[line - 1])
        lines[line - 1] = lines[line - 1].replace(old, new, 1)
        return "\n".join(lines)

    return apply


def drop_line(line: int) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.split("\n")
        del lines[line - 1]
        return "\n".join(lines)

    return apply


def after_line(line: int, pattern: str, new: Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    """Replace the first match of `pattern` at or after the start of `line`."""
    def apply(text: str) -> str:
        start = sum(len(x) + 1 for x in text.split("\n")[: line - 1])
        match = re.compile(pattern, re.S).search(text, start)
        assert match is not None, (line, pattern)
        return text[: match.start(1)] + new(match) + text[match.end(1):]

    return apply


def typo(name: str) -> str:
    return name[:-1] if len(name) > 3 else name + "x"  # `num_heads` -> `num_head`


def other_value(text: str) -> str | None:
    """A different value of the same kind, written the same way, or None."""
    bare = text.strip().strip("`")
    quote = bare[0] if bare[:1] in "\"'" else ""
    inner = bare.strip("\"'")
    if re.fullmatch(r"\d+", inner) and not quote:
        return str(int(inner) * 2 + 1)
    if re.fullmatch(r"\d*\.\d+", inner) and not quote:
        return str(round(float(inner) * 2 + 0.05, 4))
    if re.fullmatch(r"[a-z]+", inner):
        return f"{quote}{inner}_v2{quote}"
    return None


# --- generators ----------------------------------------------------------------------------


def table_mutations(file: str, text: str, docs: Docs) -> Iterator[Mutation]:
    page = read_page_text(text, file)
    blocks = list(page.blocks)
    for index, table in enumerate(blocks):
        names = table_names(table) if isinstance(table, Table) else None
        if names is None:
            continue
        heading = next(b for b in reversed(blocks[:index]) if isinstance(b, Heading))
        complete = normalise(heading.inline.plain).endswith(("fields", "parameters", "options"))
        for name, line, default in names.names:
            yield Mutation("table-typo", file, ("DG201", file, line, typo(name)),
                           on_line(line, f"`{name}`", f"`{typo(name)}`"))
            yield Mutation("table-rename", file, ("DG201", file, line, f"legacy_{name}"),
                           on_line(line, f"`{name}`", f"`legacy_{name}`"))
            new = other_value(default.text) if default is not None else None
            if new is not None:
                yield Mutation("table-default", file, ("DG202", file, line, name),
                               on_line(line, f"| {default.text} |", f"| `{new.strip('`')}` |"))
            if complete:
                yield Mutation("table-drop-row", file, ("DG203", file, table.line, name),
                               drop_line(line))


def entry_mutations(file: str, text: str, docs: Docs) -> Iterator[Mutation]:
    page = read_page_text(text, file)
    for block in page.blocks:
        entry = entry_text(block) if isinstance(block, (Entry, Paragraph)) else None
        if entry is not None:
            yield Mutation("entry-typo", file, ("DG201", file, entry.line, typo(entry.name)),
                           on_line(entry.line, f"`{entry.name}`", f"`{typo(entry.name)}`"))
            stated = re.search(r"Defaults to `?([\w.\"]+?)`?\.", entry.description)
            new = other_value(stated.group(1)) if stated else None
            if new is not None:
                yield Mutation("entry-default", file, ("DG202", file, entry.line, entry.name),
                               after_line(entry.line, r"Defaults to `?([\w.\"]+?)`?\.", lambda m, v=new: v))
        if isinstance(block, Paragraph) and not block.item:
            for sentence in sentences(block.inline):
                words = "".join(s.text for s in sentence)
                code = [s for s in sentence if s.kind == "code"]
                if "defaults" in words and len(code) == 2:
                    name, value = code
                    new = other_value(value.text)
                    if new is not None:
                        yield Mutation("prose-default", file, ("DG202", file, name.line, name.text),
                                       on_line(value.line, f"`{value.text}`", f"`{new}`"))


def data_block_mutations(file: str, text: str, docs: Docs) -> Iterator[Mutation]:
    page = read_page_text(text, file)
    for block in page.blocks:
        if not isinstance(block, Code) or block.language != "yaml":
            continue
        for offset, line_text in enumerate(block.code.rstrip("\n").split("\n")):
            key, _, value = line_text.partition(":")
            line = block.line + offset
            yield Mutation("yaml-block-typo", file, ("DG201", file, line, typo(key)),
                           on_line(line, f"{key}:", f"{typo(key)}:"))
            new = other_value(value)
            if new is not None:
                yield Mutation("yaml-block-value", file, ("DG202", file, line, key),
                               on_line(line, f": {value.strip()}", f": {new}"))


def code_mutations(file: str, text: str, docs: Docs) -> Iterator[Mutation]:
    page = read_page_text(text, file)
    known = {o.name for o in docs.facts.objects if o.kind == "class"}
    for block in page.blocks:
        if not isinstance(block, Code) or block.language != "python":
            continue
        tree = ast.parse(block.code)
        instances = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name) and _builds(node.value, known)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                    node.func.id in known | instances):
                for keyword in node.keywords:
                    line = block.line + keyword.lineno - 1
                    yield Mutation("code-keyword", file, ("DG204", file, line, typo(keyword.arg)),
                                   on_line(line, f"{keyword.arg}=", f"{typo(keyword.arg)}="))


def _builds(value: ast.expr, known: set[str]) -> bool:
    func = value.func if isinstance(value, ast.Call) else None
    if isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in known


def card_mutations(file: str, text: str, docs: Docs) -> Iterator[Mutation]:
    if Path(file).name != "README.md" or not text.startswith("---"):
        return
    page = read_page_text(text, file)
    title = next(b.line for b in page.blocks if isinstance(b, Heading))
    for block in page.blocks:
        if not isinstance(block, Heading) or block.level != 2:
            continue
        heading = normalise(block.inline.plain)
        section = next((s for s, names in MODEL_CARD_HEADINGS.items() if heading in names), None)
        if section in docs.settings.model_card_sections:
            yield Mutation("card-section", file, ("DG206", file, title, section),
                           on_line(block.line, block.inline.plain, "Notes"))


GENERATORS = (table_mutations, entry_mutations, data_block_mutations, code_mutations, card_mutations)


def page_mutations(docs: Docs) -> list[Mutation]:
    return [m for file, text in sorted(docs.texts.items()) for generate in GENERATORS
            for m in generate(file, text, docs)]


def config_mutations(docs: Docs) -> list[Mutation]:
    out = []
    for config in docs.facts.config_files:
        cls = docs.facts.get(config.config_class or "")
        assert cls is not None, config.file
        found = accepts(cls, docs.facts)
        for key in config.keys:
            out.append(Mutation("config-typo", config.file, ("DG205", config.file, key.line,
                                                              typo(key.key)),
                                on_line(key.line, f"{key.key}:", f"{typo(key.key)}:")))
            wrong = "[1, 2]" if isinstance(key.value, str) else "sixty-four"
            assert key.key in found.names
            out.append(Mutation("config-type", config.file, ("DG205", config.file, key.line, key.key),
                                on_line(key.line, f"{key.key}: {key.value}", f"{key.key}: {wrong}")))
    return out


# --- the tests -----------------------------------------------------------------------------


def baseline(docs: Docs) -> set[Key]:
    return {k for file, text in docs.texts.items() for k in docs.check(file, text)}


def test_unmutated_docs_are_clean_but_for_the_deliberate(docs):
    found = {(code, file, subject) for code, file, _, subject in baseline(docs)}
    assert found <= DELIBERATE  # fixing a deliberate one is fine
    assert config_file_findings(docs.facts) == []


def test_every_page_mutation_is_found_by_its_rule(docs):
    mutations = page_mutations(docs)
    clean = {file: docs.check(file, text) for file, text in docs.texts.items()}
    wrong = []
    for mutation in mutations:
        found = docs.check(mutation.file, mutation.apply(docs.texts[mutation.file]))
        new = {k for k in found if (k[0], k[3]) not in {(c[0], c[3]) for c in clean[mutation.file]}}
        if new != {mutation.expected}:
            wrong.append((mutation.id, sorted(new)))
    assert wrong == []
    families = {m.family for m in mutations}
    assert len(mutations) >= 30 and len(families) == 11, (len(mutations), families)


def test_every_config_file_mutation_is_found(docs, tmp_path):
    mutations = config_mutations(docs)
    wrong = []
    for mutation in mutations:
        text = (EXAMPLES / mutation.file).read_text(encoding="utf-8")
        found = docs.check_config(mutation.file, mutation.apply(text), tmp_path)
        if found != {mutation.expected}:
            wrong.append((mutation.id, sorted(found)))
    assert wrong == []
    assert len(mutations) >= 30
