"""The GitHub Actions workflow of docs/ci.md: it parses, does what the page says, and every
`docgen` command in it is one the CLI accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from docgen_plugin.cli import build_parser
from docgen_plugin.settings import KEYS, Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
WORKFLOW = DOCS / "examples" / "docgen.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def uses(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    return next(s for s in steps(workflow, job) if s.get("uses", "").startswith(action + "@"))


def test_triggers_and_permissions(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    assert workflow["jobs"]["check"]["permissions"]["security-events"] == "write"


def test_check_uploads_sarif_and_diffs_pull_requests(workflow: dict[str, Any]) -> None:
    assert uses(workflow, "check", "actions/checkout")["with"]["fetch-depth"] == 0
    run = next(s["run"] for s in steps(workflow, "check") if s.get("id") == "check")
    assert 'docgen check --changed-since "origin/$BASE_REF" --format sarif -o docgen.sarif' in run
    env = next(s["env"] for s in steps(workflow, "check") if s.get("id") == "check")
    assert env["BASE_REF"] == "${{ github.base_ref }}"
    upload = uses(workflow, "check", "github/codeql-action/upload-sarif")
    assert upload["with"]["sarif_file"] == "docgen.sarif" and "always()" in upload["if"]


@pytest.mark.parametrize("job", ["check", "drafts"])
def test_cache_is_docgens_cache_dir_keyed_on_lockfile_and_prompt(workflow: dict[str, Any], job: str) -> None:
    cache = uses(workflow, job, "actions/cache")["with"]
    assert cache["path"] == Settings().cache_dir
    for key in (cache["key"], cache["restore-keys"]):
        assert "hashFiles('uv.lock'" in key and "steps.docgen.outputs.prompt" in key
    assert cache["key"].startswith(cache["restore-keys"].strip())
    prompt = next(s["run"] for s in steps(workflow, job) if s.get("id") == "docgen")
    assert "docgen_plugin.PROMPT_VERSION" in prompt


def test_drafts_job_uses_a_server_and_an_api_key(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["drafts"]
    assert job["if"] == "github.event_name != 'pull_request'"
    assert job["env"]["DOCGEN_API_KEY"] == "${{ secrets.DOCGEN_API_KEY }}"
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    toml = page.split("```toml\n", 1)[1].split("```", 1)[0]
    keys = {line.split("=", 1)[0].strip() for line in toml.splitlines() if "=" in line}
    assert {"model", "api-key-env", "server-model", "server-concurrency", "server-timeout",
            "server-retries"} <= keys <= set(KEYS)
    assert 'model = "openai://' in toml and 'api-key-env = "DOCGEN_API_KEY"' in toml


def _commands(text: str) -> list[list[str]]:
    """`docgen ...` command lines of shell text, variables replaced by a placeholder."""
    found = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip().removeprefix("$ ")
        if line.startswith("docgen "):
            words = shlex.split(line)
            found.append([re.sub(r"\$\w+|\$\{\w+\}", "X", w) for w in words[1:]])
    return found


def test_every_docgen_command_parses(workflow: dict[str, Any]) -> None:
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    shell = [s.get("run", "") for job in workflow["jobs"] for s in steps(workflow, job)]
    shell += re.findall(r"```console\n(.*?)```", page, re.S)
    commands = [c for text in shell for c in _commands(text)]
    assert {c[0] for c in commands} == {"check", "draft", "model"}
    assert len(commands) == 6
    parser = build_parser()
    for command in commands:
        parser.parse_args(command)  # exits (SystemExit) on an unknown option


def test_the_page_shows_the_file() -> None:
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    assert "```yaml\n" + WORKFLOW.read_text(encoding="utf-8") + "```" in page
