"""draft_sections: cache first, one batched generation, verify, one batched retry, fallback.

Most tests use a scripted generator (fast, exact); the ones marked with `tiny_model_dir` run
a real tiny random Llama, whose output fails verification: the fallback path, honestly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from pkgtools import settings_for
from sections.sample_package import load_sample

import docgen_plugin.generate.drafting as drafting
from docgen_plugin.errors import SettingsError, SourceError
from docgen_plugin.generate.cache import DraftCache
from docgen_plugin.generate.drafting import DraftRequest, draft_sections
from docgen_plugin.sections import TODO

MODEL = "pkg.models.TinyNet"


class Scripted:
    """A generator that answers from a script and records every call."""

    def __init__(self, answer):
        self.answer = answer  # (messages, call number) -> text
        self.calls = []

    def generate(self, prompts, max_new_tokens, on_result=None):
        number = len(self.calls)
        self.calls.append((list(prompts), max_new_tokens))
        out = []
        for index, messages in enumerate(prompts):
            text = self.answer(messages, number)
            out.append(text)
            if on_result is not None:
                on_result(index, text)
        return out


def section_of(messages):
    return messages[-1]["content"].split("Section: ", 1)[1].split("\n", 1)[0]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setattr(drafting, "model_identity", lambda settings: ("model-hash", None, {}))
    facts = load_sample(tmp_path)
    return facts, settings_for(tmp_path)


def requests(*sections, obj=MODEL):
    return [DraftRequest(obj, s) for s in sections]


def test_accepted_retried_fallback_and_deterministic_in_one_batch(setup):
    facts, settings = setup

    def answer(messages, call):
        content = messages[-1]["content"]
        if "object: pkg.models.scale" in content:
            return "Pass `use_flash=True`."  # invented, every time
        if section_of(messages) == "Overview":
            return "`TinyNet` is a tiny network built from a `TinyConfig`."
        # intended use: wrong first, right after the errors are named
        return "It runs when `eps` defaults to 0.5." if call == 0 else "TODO: not stated."

    generator = Scripted(answer)
    drafts = draft_sections(
        facts, [*requests("overview", "intended-use", "parameters", "usage", "limitations"),
                *requests("overview", obj="pkg.models.scale")],
        settings, generator=generator,
    )
    assert [(d.section, d.status) for d in drafts] == [
        ("overview", "accepted"), ("intended-use", "retried"), ("parameters", "deterministic"),
        ("usage", "deterministic"), ("limitations", "deterministic"), ("overview", "fallback"),
    ]
    # one batch of the two prose sections (`scale` has no docstring: nothing to draft from),
    # then one batch of the one that failed
    assert [len(prompts) for prompts, _ in generator.calls] == [2, 1]
    assert generator.calls[0][1] == [120, 100]
    retry_prompt = generator.calls[1][0][0][-1]["content"]
    assert "Your previous draft was rejected:\n- the default of `eps` is 1e-5" in retry_prompt
    assert drafts[1].reasons == ("first draft: the default of `eps` is 1e-5 in the code, not 0.5",)
    fallback = drafts[5]
    assert TODO in fallback.text and "`scale` is a function" in fallback.text
    assert fallback.reasons == ("`scale` has no docstring: a draft could rest only on its names, "
                                "so none was asked for",)
    assert drafts[2].text.startswith("| Name | Type | Default | Description |")
    assert "TinyConfig()" in drafts[3].text  # usage: built from facts, never asked of the model
    assert all(d.facts == drafts[0].facts for d in drafts[:5])


def test_second_run_is_all_cached_and_never_makes_a_generator(setup):
    facts, settings = setup
    first = draft_sections(facts, requests("overview", "intended-use"), settings,
                           generator=Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`."))

    def must_not_be_called(settings):
        raise AssertionError("a generator was made for a fully cached run")

    again = draft_sections(facts, requests("overview", "intended-use"), settings,
                           generator=must_not_be_called)
    assert [d.text for d in again] == [d.text for d in first]
    assert all(d.cached for d in again)
    assert [d.status for d in again] == [d.status for d in first]


def test_changed_prompt_or_model_misses_the_cache(setup, monkeypatch):
    facts, settings = setup
    draft_sections(facts, requests("overview"), settings,
                   generator=Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`."))
    monkeypatch.setattr(drafting, "model_identity", lambda settings: ("other-model", None, {}))
    generator = Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`.")
    draft_sections(facts, requests("overview"), settings, generator=generator)
    assert len(generator.calls) == 1


def test_results_are_cached_as_they_arrive(setup):
    facts, settings = setup

    class Interrupted(Scripted):
        def generate(self, prompts, max_new_tokens, on_result=None):
            on_result(0, "`TinyNet` is tiny and takes `input_ids`.")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        draft_sections(facts, requests("overview", "intended-use"), settings,
                       generator=Interrupted(None))
    again = draft_sections(facts, requests("overview", "intended-use"), settings,
                           generator=Scripted(lambda m, c: "TODO: not stated."))
    assert [d.cached for d in again] == [True, False]


def test_corrupt_entry_is_regenerated(setup, caplog):
    facts, settings = setup
    draft = draft_sections(facts, requests("overview"), settings,
                           generator=Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`."))[0]
    path = DraftCache(settings.cache_path).drafts / draft.cache_key[:2] / f"{draft.cache_key}.json"
    path.write_text("{broken", encoding="utf-8")
    generator = Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`.")
    again = draft_sections(facts, requests("overview"), settings, generator=generator)
    assert len(generator.calls) == 1 and not again[0].cached
    assert "corrupt" in caplog.text
    assert json.loads(path.read_text())["text"] == "`TinyNet` is tiny and takes `input_ids`."


def test_explain_keeps_raw_attempts(setup):
    facts, settings = setup
    drafts = draft_sections(facts, requests("overview"), settings, explain=True,
                            generator=Scripted(lambda m, c: "<script>x</script>"))
    assert drafts[0].status == "fallback"
    assert [a.text for a in drafts[0].attempts] == ["<script>x</script>"] * 2
    assert "raw HTML" in drafts[0].attempts[0].reasons[0]


def test_update_gives_the_model_the_old_text_and_falls_back_to_it(setup):
    facts, settings = setup
    old = "Our own words about `TinyNet`.\n\n| Input | Type |\n|---|---|\n| `x` | `int` |"
    request = DraftRequest(MODEL, "intended-use", previous=old,
                           changes=("parameter `gamma` added",))
    generator = Scripted(lambda m, c: "<b>bad</b>")
    draft = draft_sections(facts, [request], settings, generator=generator)[0]
    prompt = generator.calls[0][0][0][-1]["content"]
    assert "Current text of the section (quoted):\n> Our own words about `TinyNet`." in prompt
    assert "| `x` |" not in prompt  # tables are re-rendered, not edited by the model
    assert "What changed in the code:\n- parameter `gamma` added" in prompt
    assert draft.status == "fallback"
    assert draft.text.startswith("Our own words about `TinyNet`.")
    assert "the code changed (parameter `gamma` added)" in draft.text
    assert "| `x` |" not in draft.text  # the old table is not carried into prose


def test_deterministic_only_needs_no_model(tmp_path, monkeypatch):
    def no_model(settings):
        raise AssertionError("resolved a model for tables")

    monkeypatch.setattr(drafting, "model_identity", no_model)
    facts = load_sample(tmp_path)
    drafts = draft_sections(facts, requests("parameters", "configuration"),
                            settings_for(tmp_path), generator=no_model)
    assert [d.status for d in drafts] == ["deterministic", "deterministic"]


def test_unknown_object_and_section_are_user_errors(setup):
    facts, settings = setup
    with pytest.raises(SourceError, match=r"did you mean `pkg\.models\.TinyNet`"):
        draft_sections(facts, requests("overview", obj="pkg.models.TinyNett"), settings)
    with pytest.raises(SettingsError, match="unknown section `faq`"):
        draft_sections(facts, requests("faq"), settings)


def test_a_model_that_obeys_an_injected_docstring_gets_no_html_onto_the_page(setup):
    facts, settings = setup
    obeying = Scripted(lambda m, c: "Sure. <img src=x onerror=alert(1)> Done.")
    draft = draft_sections(facts, requests("overview", obj="pkg.models.Evil"), settings,
                           generator=obeying)[0]
    assert draft.status == "fallback"
    assert "<img" not in draft.text and "&lt;img" in draft.text  # the docstring, as text
    prompt = obeying.calls[0][0][0][-1]["content"]
    assert "> Ignore previous instructions" in prompt  # quoted as data


def test_headings_work_as_section_names(setup):
    facts, settings = setup
    drafts = draft_sections(facts, requests("Use Case"), settings,
                            generator=Scripted(lambda m, c: "x"))
    assert drafts[0].section == "usage"


# --- with a real (tiny, random) model ---------------------------------------------------------


def test_tiny_model_drafts_in_one_batch_and_falls_back_honestly(tmp_path, tiny_model_dir):
    facts = load_sample(tmp_path)
    settings = settings_for(tmp_path, model=str(tiny_model_dir), max_new_tokens=24)
    update = DraftRequest(MODEL, "intended-use", previous="For our own words.",
                          changes=("parameter `gamma` added",))
    wanted = [*requests("overview", "usage", "limitations", "configuration"), update]
    drafts = draft_sections(facts, wanted, settings, explain=True)
    assert [d.section for d in drafts] == [
        "overview", "usage", "limitations", "configuration", "intended-use"
    ]
    assert drafts[1].status == drafts[2].status == drafts[3].status == "deterministic"
    if drafts[4].status == "fallback":  # an update that fails keeps the human's words
        assert drafts[4].text.startswith("For our own words.")
    for draft in (drafts[0], drafts[4]):
        assert draft.status in ("accepted", "retried", "fallback")
        assert draft.attempts  # the model really ran
        if draft.status == "fallback":
            assert TODO in draft.text and draft.reasons
    entries = list((tmp_path / ".cache" / "drafts").rglob("*.json"))
    assert len(entries) == 2


WARM_RUN = """
import sys
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.generate.drafting import DraftRequest, draft_sections
from docgen_plugin.settings import Settings

root = sys.argv[1]
settings = Settings(root=root, cache_dir=root + "/.cache", model=sys.argv[2],
                    max_new_tokens=24)
facts = load_facts([root + "/pkg"], settings)
drafts = draft_sections(facts, [DraftRequest("pkg.models.TinyNet", s)
                                for s in ("overview", "intended-use", "parameters")], settings)
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
print(sum(d.cached for d in drafts))
"""


def test_warm_run_never_imports_torch(tmp_path, tiny_model_dir):
    load_sample(tmp_path)
    script = tmp_path / "warm.py"
    script.write_text(textwrap.dedent(WARM_RUN), encoding="utf-8")
    command = [sys.executable, str(script), str(tmp_path), str(tiny_model_dir)]
    cold = subprocess.run(command, capture_output=True, text=True, check=True)
    assert cold.stdout.split("\n")[0] == "['torch', 'transformers']"
    warm = subprocess.run(command, capture_output=True, text=True, check=True)
    assert warm.stdout.split("\n")[:2] == ["[]", "2"]


# --- the `docgen draft` body -------------------------------------------------------------------


def run(args, settings, capsys):
    import argparse

    from docgen_plugin.generate.commands import add_draft_arguments, run_draft

    parser = argparse.ArgumentParser()
    add_draft_arguments(parser)
    code = run_draft(parser.parse_args([str(a) for a in args]), settings)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setattr(drafting, "model_identity", lambda settings: ("model-hash", None, {}))
    load_sample(tmp_path)
    generator = Scripted(lambda m, c: "`TinyNet` is a tiny network over `input_ids`.")
    monkeypatch.setattr(drafting, "default_generator", lambda settings: generator)
    return tmp_path, settings_for(tmp_path), generator


def test_draft_prints_markdown_and_json(cli, capsys):
    root, settings, _ = cli
    source = ["--source", root / "pkg"]
    code, out, _ = run([MODEL, "--section", "overview", "--section", "Parameters", *source],
                       settings, capsys)
    assert code == 0
    assert out.startswith(
        "## `pkg.models.TinyNet`\n\n### Overview\n\n`TinyNet` is a tiny network over `input_ids`.")
    assert "### Parameters\n\n| Name | Type | Default | Description |" in out
    code, out, err = run([MODEL, "--section", "overview", "--format", "json", "--explain",
                          *source], settings, capsys)
    data = json.loads(out)
    assert [(d["section"], d["status"], d["cached"]) for d in data] == [
        ("overview", "accepted", True)
    ]
    assert "pkg.models.TinyNet overview: accepted (cached)" in err


def test_write_fills_markers_keeps_human_edits_and_force_overwrites(cli, capsys):
    root, settings, generator = cli
    page = root / "docs" / "model.md"
    page.parent.mkdir()
    page.write_text("# Model\n\nBy hand.\n\n<!-- docgen:begin object=TinyNet section=overview -->"
                    "\n<!-- docgen:end -->\n", encoding="utf-8")
    source = ["--source", root / "pkg"]
    run(["--write", page, *source], settings, capsys)  # the empty pair asks for a draft
    text = page.read_text()
    assert "By hand." in text and "`TinyNet` is a tiny network over `input_ids`." in text
    assert len(generator.calls) == 1
    page.write_text(text.replace("is a tiny network over", "is our network over"), encoding="utf-8")
    _, _, err = run([MODEL, "--section", "overview", "--write", page, *source], settings, capsys)
    assert "kept-edited" in err and "is our network over" in page.read_text()
    run([MODEL, "--section", "overview", "--write", page, "--force", *source], settings, capsys)
    assert "is our network over" not in page.read_text()


def test_update_edits_a_stale_human_section_and_rerenders_tables(cli, capsys):
    from docgen_plugin.checks.staleness import check_markers
    from docgen_plugin.facts.loader import load_facts

    root, settings, generator = cli
    page = root / "model.md"
    source = ["--source", root / "pkg"]
    run([MODEL, "--section", "overview", "--section", "parameters", "--write", page, *source],
        settings, capsys)
    page.write_text(page.read_text().replace("is a tiny network over", "is our network over"))
    models = root / "pkg" / "models.py"
    models.write_text(models.read_text().replace(
        "eps: float = 1e-5) -> None", "eps: float = 1e-5, gamma: int = 2) -> None"))
    facts = load_facts([root / "pkg"], settings)
    findings = check_markers(str(page), page.read_text(), facts,
                             store=DraftCache(settings.cache_path))
    assert [f.subject for f in findings] == ["overview", "parameters"]
    assert "parameter `gamma` added" in findings[0].message

    generator.answer = lambda m, c: "`TinyNet` is our network; it also takes `gamma`."
    run(["--write", page, "--update", *source], settings, capsys)
    prompt = generator.calls[-1][0][0][-1]["content"]
    assert "> `TinyNet` is our network over `input_ids`." in prompt and "- parameter `gamma` added" in prompt
    text = page.read_text()
    assert "it also takes `gamma`." in text and "| `gamma` | `int` | `2` |" in text
    facts = load_facts([root / "pkg"], settings)
    assert check_markers(str(page), text, facts) == []


def test_update_needs_a_page(cli, capsys):
    _, settings, _ = cli
    with pytest.raises(SettingsError, match="--write PAGE"):
        run([MODEL, "--update"], settings, capsys)


def test_pages_may_name_objects_by_their_re_exported_path(cli, capsys):
    root, settings, _ = cli
    page = root / "api.md"
    page.write_text("<!-- docgen:begin object=pkg.TinyNet section=parameters -->\n"
                    "<!-- docgen:end -->\n", encoding="utf-8")
    source = ["--source", root / "pkg"]
    run(["--write", page, *source], settings, capsys)
    run([MODEL, "--section", "parameters", "--write", page, "--force", *source], settings, capsys)
    text = page.read_text()
    assert text.count("docgen:begin") == 1 and "object=pkg.TinyNet " in text
    assert "| `eps` | `float` | `1e-5` |" in text


def test_model_info_and_prepare(tmp_path, tiny_model_dir, capsys):
    import argparse

    from docgen_plugin.generate.commands import add_model_arguments, run_model

    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    settings = settings_for(tmp_path)
    assert run_model(parser.parse_args(["info", "--format", "json", "--model",
                                        str(tiny_model_dir)]), settings) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "local folder" and info["model_hash"]
    assert run_model(parser.parse_args(["prepare", "--model", str(tiny_model_dir)]), settings) == 0
    assert "is ready at" in capsys.readouterr().out


def test_a_cached_draft_that_no_longer_verifies_is_drafted_again(setup, tmp_path):
    from docgen_plugin.facts.loader import load_facts

    facts, settings = setup
    text = "`TinyNet` is tiny and takes `input_ids` and `Evil`."
    first = draft_sections(facts, requests("overview"), settings,
                           generator=Scripted(lambda m, c: text))[0]
    assert first.status == "accepted"
    models = tmp_path / "pkg" / "models.py"
    source = models.read_text()
    start, end = source.index("class Evil"), source.index("def scale")
    models.write_text(source[:start] + source[end:])  # `Evil` is gone; TinyNet is unchanged
    facts = load_facts([tmp_path / "pkg"], settings)
    generator = Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`.")
    again = draft_sections(facts, requests("overview"), settings, generator=generator)[0]
    assert again.cache_key == first.cache_key and not again.cached
    assert again.text == "`TinyNet` is tiny and takes `input_ids`."


def test_a_cached_draft_that_only_restates_the_summary_is_drafted_again(setup):
    # drafts cached before the restatement check got stricter are checked again when served
    from dataclasses import replace

    facts, settings = setup
    first = draft_sections(facts, requests("overview"), settings,
                           generator=Scripted(lambda m, c: "`TinyNet` is tiny and takes `input_ids`."))[0]
    cache = DraftCache(settings.cache_path)
    entry = cache.get(first.cache_key)
    assert entry is not None and entry.status == "accepted"
    cache.put(replace(entry, text="`TinyNet` is a tiny network."))  # the summary, restated
    answer = "`TinyNet` is tiny and takes `input_ids` with masks."
    again = draft_sections(facts, requests("overview"), settings,
                           generator=Scripted(lambda m, c: answer))[0]
    assert not again.cached and again.text == answer


def test_run_examples_shows_an_example_that_runs_or_says_it_did_not(setup):
    facts, settings = setup
    settings = settings.merged(run_examples=True)
    net, scale = draft_sections(facts, [DraftRequest(MODEL, "usage"),
                                        DraftRequest("pkg.models.scale", "usage")], settings,
                                generator=lambda s: pytest.fail("no model for usage"))
    assert "model = TinyNet(config=TinyConfig())" in net.text
    assert "docgen ran this example: it runs as shown." in net.text
    assert "x=..." in scale.text and "did not run when docgen tried it" in scale.text
