"""DG301: sections written from facts that changed since, saying what changed."""

from __future__ import annotations

from dataclasses import dataclass

from sections.sample_package import load_sample, sample_files

from docgen_plugin.checks.rules import RULES
from docgen_plugin.checks.staleness import check_markers, diff_facts
from docgen_plugin.generate.cache import DraftCache
from docgen_plugin.generate.prompts import context_fingerprint, context_objects
from docgen_plugin.markers import render_block


@dataclass(frozen=True)
class D:
    object: str
    section: str
    text: str
    facts: str


def written_page(facts, cache, section="overview"):
    model = facts.get("pkg.models.TinyNet")
    fingerprint = context_fingerprint(model, facts)
    cache.put_facts(fingerprint, context_objects(model, facts))
    return "# TinyNet\n\n" + render_block(D(model.path, section, "Text.", fingerprint)) + "\n"


def changed_facts(tmp_path):
    files = sample_files({"eps: float = 1e-5) -> None": "eps: float = 1e-5, gamma: int = 2) -> None"})
    files["config.py"] = files["config.py"].replace("dropout: float = 0.1", "dropout: float = 0.2")
    return load_sample(tmp_path / "new", files)


def test_rule_is_registered_with_a_ruff_style_doc():
    rule = RULES["DG301"]
    assert rule.name == "stale-section"
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in rule.doc


def test_current_section_is_clean(tmp_path):
    facts = load_sample(tmp_path / "old")
    cache = DraftCache(tmp_path / "cache")
    assert check_markers("docs/m.md", written_page(facts, cache), facts, store=cache) == []


def test_changed_facts_say_what_changed(tmp_path):
    old = load_sample(tmp_path / "old")
    cache = DraftCache(tmp_path / "cache")
    page = written_page(old, cache)
    findings = check_markers("docs/m.md", page, changed_facts(tmp_path), store=cache)
    assert [(f.code, f.line, f.obj, f.subject) for f in findings] == [
        ("DG301", 3, "pkg.models.TinyNet", "overview")
    ]
    message = findings[0].message
    assert "parameter `gamma` added" in message
    assert "`TinyConfig`: default of field `dropout` 0.1 -> 0.2" in message
    assert "docgen draft --write docs/m.md --update" in message


def test_without_the_old_facts_it_still_fires(tmp_path):
    old = load_sample(tmp_path / "old")
    page = written_page(old, DraftCache(tmp_path / "cache"))
    findings = check_markers("m.md", page, changed_facts(tmp_path))
    assert len(findings) == 1 and "what changed is unknown" in findings[0].message


def test_removed_object_and_malformed_markers(tmp_path):
    facts = load_sample(tmp_path / "old")
    page = render_block(D("pkg.models.Gone", "usage", "x", "f")) + "\n"
    assert "no longer exists" in check_markers("m.md", page, facts)[0].message
    other = render_block(D("otherpkg.Thing", "usage", "x", "f")) + "\n"
    assert check_markers("m.md", other, facts) == []  # not a package we read
    broken = check_markers("m.md", "<!-- docgen:begin object=a section=b -->\n", facts)
    assert [(f.code, f.line) for f in broken] == [("DG302", 1)]


def test_diff_facts_in_words(tmp_path):
    old = load_sample(tmp_path / "old")
    new = load_sample(tmp_path / "new2", sample_files({
        "eps: float = 1e-5) -> None": "eps: float = 1e-3) -> None",
        "attention_mask: torch.Tensor | None = None": "mask: torch.Tensor | None = None",
    }))
    changes = diff_facts(
        context_objects(old.get("pkg.models.TinyNet"), old),
        context_objects(new.get("pkg.models.TinyNet"), new),
    )
    assert "default of `eps` 1e-5 -> 1e-3" in changes
    assert "`forward`: parameter `mask` added" in changes
    assert "`forward`: parameter `attention_mask` removed" in changes
