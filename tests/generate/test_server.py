"""Drafts from a real OpenAI-compatible server: `transformers serve` on the tiny model, offline,
on a free loopback port.

The server decodes plain greedy, so the local side runs with `Decoding(repetition_penalty=1.0,
no_repeat_ngram_size=0)` to compare: docgen's answer-only repetition curbs are logits
processors no OpenAI-compatible API offers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pkgtools import settings_for
from sections.sample_package import load_sample

for module in ("fastapi", "uvicorn", "openai"):  # transformers[serving]
    pytest.importorskip(module)

from docgen_plugin.generate.drafting import DraftRequest, draft_sections, find_object  # noqa: E402
from docgen_plugin.generate.generator import Decoding, Generator  # noqa: E402
from docgen_plugin.generate.model_load import load_model  # noqa: E402
from docgen_plugin.generate.model_resolve import resolve_model  # noqa: E402
from docgen_plugin.generate.prompts import build_messages  # noqa: E402
from docgen_plugin.generate.server import ServerError, ServerGenerator, model_hash  # noqa: E402
from docgen_plugin.sections.catalogue import build_catalogue  # noqa: E402
from docgen_plugin.settings import Settings  # noqa: E402

OBJECTS = ["pkg.config.TinyConfig", "pkg.models.TinyNet", "pkg.models.Evil", "pkg.models.scale"]
SECTIONS = ["overview", "intended-use"]
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """`transformers serve MODEL` in a child process; `url` is docgen's `model` setting."""

    def __init__(self, model_dir: Path, log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"openai://127.0.0.1:{self.port}/v1"
        self.model_id = str(model_dir)
        script = Path(sys.executable).with_name("transformers")
        module = [sys.executable, "-m", "transformers.cli.transformers"]
        command = [str(script)] if script.exists() else module
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*command, "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(self.port),
                 "--device", "cpu", "--dtype", "float32"],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.kill()
        raise RuntimeError(f"transformers serve did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def served_tiny(tiny_model_dir, tmp_path_factory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    model = folder / "tiny"
    shutil.copytree(tiny_model_dir, model)
    server = Served(model, folder / "serve.log")
    yield server
    server.kill()


def prompts_for(facts, settings) -> tuple[list, list[int]]:
    catalogue = build_catalogue({})
    prompts, budgets = [], []
    for name in OBJECTS:
        for section in SECTIONS:
            spec = catalogue.spec(section)
            prompts.append(build_messages(find_object(facts, name), spec, facts))
            budgets.append(min(spec.max_new_tokens, settings.max_new_tokens))
    return prompts, budgets


def local_generator(model_dir: Path) -> Generator:
    loaded = load_model(resolve_model(Settings(model=str(model_dir))), dtype="float32", progress=False)
    plain = Decoding(repetition_penalty=1.0, no_repeat_ngram_size=0)  # what the server does
    return Generator(loaded, batch_size=4, decoding=plain, progress=False)


def test_server_answers_equal_the_local_generator_at_greedy(served_tiny, tmp_path):
    facts = load_sample(tmp_path)
    settings = settings_for(tmp_path, model=served_tiny.url, max_new_tokens=24)
    prompts, budgets = prompts_for(facts, settings)
    local = local_generator(Path(served_tiny.model_id)).generate(prompts, budgets)
    server = ServerGenerator.from_settings(settings, progress=False)
    assert server.served == served_tiny.model_id  # the first id GET /v1/models lists
    arrived = {}
    remote = server.generate(prompts, budgets, on_result=arrived.__setitem__)
    assert remote == local
    assert arrived == dict(enumerate(local))
    assert any(text for text in remote)


def test_drafts_from_the_server_equal_the_local_drafts(served_tiny, tmp_path):
    facts = load_sample(tmp_path)
    requests = [DraftRequest(name, section) for name in OBJECTS for section in SECTIONS]
    served = settings_for(tmp_path / "a", model=served_tiny.url, max_new_tokens=24)
    assert model_hash(served) == f"{served_tiny.url}#{served_tiny.model_id}"
    remote = draft_sections(facts, requests, served, explain=True)  # the default: a ServerGenerator
    local = draft_sections(facts, requests, settings_for(tmp_path / "b", max_new_tokens=24),
                           explain=True, generator=local_generator(Path(served_tiny.model_id)))
    assert [(d.text, d.status, d.reasons) for d in remote] == [
        (d.text, d.status, d.reasons) for d in local
    ]
    assert [[a.text for a in d.attempts] for d in remote] == [[a.text for a in d.attempts] for d in local]
    again = draft_sections(facts, requests, served)
    assert all(d.cached for d in again if d.cache_key)  # `scale`, without a docstring: no key


class KillDuringRetries:
    """A ServerGenerator that kills the server after `after` answers of the retry batch (the
    tiny model's first drafts all fail verification; the retry's answers end as cached
    fallbacks, so that batch is where finished drafts arrive)."""

    def __init__(self, inner: ServerGenerator, server: Served | None, after: int) -> None:
        self.inner, self.server, self.after = inner, server, after
        self.calls: list[int] = []
        self.handed: list[int] = []

    def generate(self, prompts, max_new_tokens, on_result=None):
        self.calls.append(len(prompts))

        def handed(index, text):
            on_result(index, text)
            if len(self.calls) == 2:
                self.handed.append(index)
                if self.server is not None and len(self.handed) == self.after:
                    self.server.kill()

        return self.inner.generate(prompts, max_new_tokens, on_result=handed)


def test_server_killed_mid_run_keeps_what_arrived_and_the_rerun_sends_only_the_rest(
    tiny_model_dir, tmp_path
):
    model = tmp_path / "tiny"
    shutil.copytree(tiny_model_dir, model)
    server = Served(model, tmp_path / "serve.log")
    facts = load_sample(tmp_path)
    requests = [DraftRequest(name, section) for name in OBJECTS for section in SECTIONS]
    total = sum(r.object != "pkg.models.scale" for r in requests)  # no docstring: never sent
    port = server.port
    try:
        settings = settings_for(tmp_path, model=server.url, max_new_tokens=16,
                                server_model=server.model_id)
        first = KillDuringRetries(
            ServerGenerator(settings.model, server.model_id, concurrency=1, retries=2, backoff=0.05,
                            progress=False),
            server, after=4,
        )
        with pytest.raises(ServerError) as caught:
            draft_sections(facts, requests, settings, generator=first)
    finally:
        server.kill()
    # the tiny random model's first drafts (nearly) all fail verification: the retry batch
    assert first.calls[0] == total and first.calls[1] >= total - 2
    received = total - first.calls[1] + len(first.handed)  # accepted first drafts + fallbacks
    assert 4 <= len(first.handed) < first.calls[1]
    message = str(caught.value)
    assert "\n" not in message
    sent = first.calls[1]
    assert f"no answer for {sent - len(first.handed)} of {sent} section(s) sent" in message
    assert len(caught.value.failed) == total - received
    assert all(label.startswith("pkg.") for label in caught.value.failed)

    # restarted on the same address: the cache keys match, only the missing sections are sent
    restarted = Served(model, tmp_path / "serve2.log", port=port)
    try:
        rerun = KillDuringRetries(
            ServerGenerator(settings.model, restarted.model_id, concurrency=2, progress=False),
            None, after=0,
        )
        drafts = draft_sections(facts, requests, settings, generator=rerun)
    finally:
        restarted.kill()
    assert rerun.calls[0] == total - received
    assert sum(d.cached for d in drafts) == received
    assert sum(d.cache_key is not None for d in drafts) == total
    labels = {f"{d.path} ({build_catalogue({}).spec(d.section).title})" for d in drafts
              if not d.cached and d.cache_key is not None}
    assert labels == set(caught.value.failed)

