"""The example package's sections rendered from facts are true: each model's usage example
runs as written, and its error handling lists exactly the exceptions the code raises."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from docgen_plugin.facts.loader import load_facts
from docgen_plugin.sections import render_errors, render_usage
from docgen_plugin.sections.usage import usage_sites
from docgen_plugin.settings import Settings

torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_BLOCK = re.compile(r"```(python|pycon)\n(.*?)\n```", re.DOTALL)


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    settings = Settings(root=str(EXAMPLES), cache_dir=str(tmp_path_factory.mktemp("cache")))
    return load_facts([EXAMPLES / "tinyformer"], settings)


@pytest.fixture(scope="module")
def models(facts):
    public = [m for m in facts.models if m.is_public and "legacy" not in m.module]
    assert len(public) >= 5
    return public


def _run(code: str, language: str) -> dict:
    if language == "pycon":  # the code of a doctest session, without its output lines
        from docgen_plugin.facts.examples import doctest_source

        code = doctest_source(code)[0]
    namespace: dict = {}
    sys.path.insert(0, str(EXAMPLES))
    try:
        exec(compile(code, "<usage>", "exec"), namespace)  # our own example package
    finally:
        sys.path.remove(str(EXAMPLES))
    return namespace


def test_every_usage_example_is_a_real_call_that_runs(facts, models):
    sites = usage_sites(facts, EXAMPLES, models)
    for model in models:
        text = render_usage(model, facts, sites)
        language, code = _BLOCK.search(text).groups()
        assert language == "pycon" or "..." not in code, text
        assert "TODO" not in text, text
        namespace = _run(code, language)
        if language == "python":
            assert isinstance(namespace["model"], torch.nn.Module)
            assert namespace["model"].__class__.__name__ == model.name


def test_error_handling_names_every_raise_of_the_constructor_and_forward(facts):
    classifier = facts.get("tinyformer.classifier.TextClassifier")
    text = render_errors(classifier, facts)
    # its own check, the base's (through super().__init__) and the encoder's forward
    assert text.count("- `ValueError` if ") == 3
    assert '`pooling not in ("mean", "first")`' in text
    assert "`init_std <= 0`" in text and "`seq > self.max_len`" in text
    sys.path.insert(0, str(EXAMPLES))
    try:
        from tinyformer import TextClassifier

        with pytest.raises(ValueError, match="pooling must be"):
            TextClassifier(num_classes=2, vocab_size=10, pooling="max")
        with pytest.raises(ValueError, match="init_std must be positive"):
            TextClassifier(num_classes=2, vocab_size=10, init_std=0)
        model = TextClassifier(num_classes=2, vocab_size=10, max_len=4)
        with pytest.raises(ValueError, match="longer than max_len"):
            model(torch.ones(1, 5, dtype=torch.long))
    finally:
        sys.path.remove(str(EXAMPLES))
