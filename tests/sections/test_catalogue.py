"""The section catalogue: kinds per object category, heading synonyms, settings."""

from __future__ import annotations

import pytest
from sections.sample_package import load_sample

from docgen_plugin.errors import SettingsError
from docgen_plugin.sections import build_catalogue, catalogue_from_settings, category
from docgen_plugin.settings import Settings


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return load_sample(tmp_path_factory.mktemp("catalogue"))


def test_model_class_gets_the_model_sections(facts):
    catalogue = build_catalogue()
    model = facts.get("pkg.models.TinyNet")
    assert category(model) == "model"
    assert [s.kind for s in catalogue.sections_for(model)] == [
        "overview", "inputs", "built-from", "parameters", "configuration", "usage",
        "intended-use", "limitations", "errors",
    ]


def test_each_category(facts):
    catalogue = build_catalogue()
    assert category(facts.get("pkg.config.TinyConfig")) == "config"
    assert category(facts.get("pkg.models.scale")) == "function"
    config_kinds = [s.kind for s in catalogue.sections_for(facts.get("pkg.config.TinyConfig"))]
    assert "configuration" in config_kinds and "inputs" not in config_kinds


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Introduction", "overview"),
        ("Use Case", "usage"),
        ("## Usage example", "usage"),
        ("Error Handling", "errors"),
        ("Limitations", "limitations"),
        ("Intended uses", "intended-use"),
        ("Bias, Risks, and Limitations", "limitations"),
        ("Inputs & Outputs", "inputs"),
        ("3. Hyperparameters", "configuration"),
        ("intended-use", "intended-use"),
    ],
)
def test_common_headings_map_onto_kinds(heading, kind):
    assert build_catalogue().kind_for_heading(heading) == kind


def test_unknown_heading_is_none_and_unknown_section_names_the_closest():
    catalogue = build_catalogue()
    assert catalogue.kind_for_heading("Acknowledgements") is None
    with pytest.raises(SettingsError, match="did you mean `usage`"):
        catalogue.spec("usag")


def test_settings_extend_synonyms_and_limit_sections(facts):
    settings = Settings(
        section_synonyms={"Known gotchas": "limitations", "Recipe": "Use Case"},
        sections=("overview", "Use Case"),
    )
    catalogue = catalogue_from_settings(settings)
    assert catalogue.kind_for_heading("Known Gotchas") == "limitations"
    assert catalogue.kind_for_heading("recipe") == "usage"
    model = facts.get("pkg.models.TinyNet")
    assert [s.kind for s in catalogue.sections_for(model)] == ["overview", "usage"]


def test_synonym_to_an_unknown_kind_is_a_settings_error():
    with pytest.raises(SettingsError, match="unknown section `faq`"):
        build_catalogue({"FAQ": "faq"})


def test_deterministic_kinds_have_no_instructions():
    catalogue = build_catalogue()
    assert catalogue.spec("parameters").deterministic
    assert catalogue.spec("configuration").deterministic
    # what the code states is rendered from facts, never asked of the model
    for kind in ("usage", "inputs", "errors", "built-from"):
        assert catalogue.spec(kind).deterministic, kind
        assert catalogue.spec(kind).table == kind
    for kind in ("overview", "intended-use", "limitations"):
        assert not catalogue.spec(kind).deterministic
