"""ServerGenerator against a stdlib stub of an OpenAI-compatible server: faults on demand.

The stub answers `GET /v1/models` and `POST /v1/chat/completions` from a script, so stalls,
429 bursts, dropped connections and auth can be staged exactly (tests/generate/test_server.py
runs the real `transformers serve`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pkgtools import settings_for
from sections.sample_package import load_sample

from docgen_plugin import cli
from docgen_plugin.errors import ModelError, SettingsError
from docgen_plugin.generate.drafting import DraftRequest, draft_sections
from docgen_plugin.generate.server import (
    ServerError,
    ServerGenerator,
    endpoint,
    is_server_url,
    model_hash,
)

PROMPT = [{"role": "user", "content": "Facts:\nobject: pkg.models.TinyNet (class)\n\nSection: Usage\n"}]


def chat(text: str) -> tuple[int, dict[str, str], bytes]:
    body = {"object": "chat.completion", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
    ]}
    return 200, {}, json.dumps(body).encode()


class Stub:
    """A scripted server: `answer(number, body, headers)` returns (status, headers, bytes),
    "stall" (no answer until the test ends) or "drop" (close the connection unanswered)."""

    def __init__(self, answer: Callable[[int, dict, dict], object], models=("stub-model",)) -> None:
        self.answer = answer
        self.models = models
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = {"object": "list", "data": [{"id": m, "object": "model"} for m in stub.models]}
                self._send(200, {}, json.dumps(data).encode())

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    number = len(stub.requests)
                    stub.requests.append(body)
                    stub.headers.append(dict(self.headers))
                reply = stub.answer(number, body, dict(self.headers))
                if reply == "stall":
                    stub.release.wait(30)
                    return
                if reply == "drop":
                    self.close_connection = True
                    return
                self._send(*reply)

            def _send(self, status, headers, payload):
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"openai://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[Callable[..., Stub]]:
    made: list[Stub] = []

    def make(answer, **options) -> Stub:
        made.append(Stub(answer, **options))
        return made[-1]

    yield make
    for server in made:
        server.close()


def fast(url: str, **options) -> ServerGenerator:
    values = {"concurrency": 2, "timeout": 5.0, "retries": 3, "backoff": 0.01, "progress": False}
    return ServerGenerator(url, "stub-model", **{**values, **options})


# --- URLs, settings, keys -----------------------------------------------------------------------


def test_server_urls_and_their_cache_names():
    assert is_server_url("openai://gpu-box:8000/v1")
    assert is_server_url("http://localhost:8080/v1/") and is_server_url("https://api.example.org/v1")
    assert not is_server_url("default") and not is_server_url("models/smollm2")
    assert not is_server_url("http://localhost:8080/generate")
    assert endpoint("openai://gpu-box:8000/v1") == endpoint("http://gpu-box:8000/v1/")
    assert endpoint("openai://gpu-box:8000/v1").base == "http://gpu-box:8000/v1"
    assert endpoint("https://api.example.org/v1").name == "https://api.example.org/v1"
    with pytest.raises(SettingsError, match="api-key-env"):
        endpoint("http://user:secret@gpu-box:8000/v1")


def test_model_hash_names_server_and_first_listed_model(stub, tmp_path):
    server = stub(lambda n, b, h: chat("x"), models=("base-model", "house-style"))
    settings = settings_for(tmp_path, model=server.url)
    assert model_hash(settings) == f"{server.url}#base-model"
    chosen = settings_for(tmp_path, model=server.url, server_model="house-style")
    assert model_hash(chosen) == f"{server.url}#house-style"
    with pytest.raises(SettingsError, match="lora-modules"):
        model_hash(settings_for(tmp_path, model=server.url, adapter=str(tmp_path)))


def test_unreachable_server_is_a_one_line_model_error(tmp_path):
    with pytest.raises(ModelError, match=r"cannot list the server's models .*connection refused"):
        model_hash(settings_for(tmp_path, model="openai://127.0.0.1:9/v1"))


def test_api_key_comes_from_the_environment_and_never_shows(stub, tmp_path, monkeypatch):
    secret = "sk-test-0123456789"
    # a server that echoes the Authorization header in its 401 body must not leak it either
    server = stub(lambda n, b, h: (401, {}, f"bad key {h.get('Authorization')}".encode()))
    settings = settings_for(tmp_path, model=server.url, api_key_env="DOCGEN_TEST_KEY",
                            server_retries=0)
    with pytest.raises(SettingsError, match="DOCGEN_TEST_KEY"):
        ServerGenerator.from_settings(settings, progress=False)
    monkeypatch.setenv("DOCGEN_TEST_KEY", secret)
    generator = ServerGenerator.from_settings(settings, progress=False)
    assert secret not in repr(generator) and "***" in repr(generator)
    with pytest.raises(ServerError) as caught:
        generator.generate([PROMPT], 8)
    assert server.headers[0]["Authorization"] == f"Bearer {secret}"
    assert secret not in str(caught.value) and "HTTP 401" in str(caught.value)
    assert len(server.requests) == 1  # a 401 is not retried


# --- the request and the faults -----------------------------------------------------------------


def test_greedy_requests_with_each_budget_and_results_in_order(stub):
    server = stub(lambda n, b, h: chat(f"  answer to {b['messages'][0]['content']}  "))
    prompts = [[{"role": "user", "content": str(i)}] for i in range(6)]
    arrived = []
    out = fast(server.url, concurrency=3).generate(prompts, [5, 6, 7, 8, 9, 10],
                                                   on_result=lambda i, t: arrived.append((i, t)))
    assert out == [f"answer to {i}" for i in range(6)]
    assert sorted(arrived) == list(enumerate(out))
    bodies = sorted(server.requests, key=lambda b: b["max_tokens"])
    assert [b["max_tokens"] for b in bodies] == [5, 6, 7, 8, 9, 10]
    assert all(b["temperature"] == 0 and b["model"] == "stub-model" and not b["stream"]
               for b in bodies)


def test_429_burst_is_retried_after_retry_after_then_succeeds(stub):
    def answer(number, body, headers):
        if number < 3:
            return 429, {"Retry-After": "0.2"}, b'{"error": "slow down"}'
        return chat("finally")

    server = stub(answer)
    start = time.perf_counter()
    assert fast(server.url, concurrency=1, backoff=0.0).generate([PROMPT], 8) == ["finally"]
    assert len(server.requests) == 4
    assert time.perf_counter() - start >= 0.6  # three waits of Retry-After: 0.2


def test_a_5xx_burst_is_retried_with_backoff(stub):
    server = stub(lambda n, b, h: (503, {}, b"loading") if n < 2 else chat("up"))
    assert fast(server.url).generate([PROMPT], 8) == ["up"]
    assert len(server.requests) == 3


def test_a_stalled_request_times_out_and_is_retried(stub):
    server = stub(lambda n, b, h: "stall" if n == 0 else chat("second try"))
    assert fast(server.url, timeout=0.3).generate([PROMPT], 8) == ["second try"]
    assert len(server.requests) == 2


def test_a_stalled_server_ends_in_one_clear_error(stub):
    server = stub(lambda n, b, h: "stall")
    prompts = [PROMPT, [{"role": "user", "content": "Facts:\nobject: pkg.models.scale (function)\n"
                         "\nSection: Overview\n"}]]
    start = time.perf_counter()
    with pytest.raises(ServerError) as caught:
        fast(server.url, timeout=0.3, retries=1, concurrency=1).generate(prompts, 8)
    message = str(caught.value)
    assert "\n" not in message
    assert ("no answer for 2 of 2 section(s) sent: pkg.models.TinyNet (Usage), pkg.models.scale (Overview)"
            in message)
    assert "no answer within 0.3 s (after 2 tries)" in message
    assert caught.value.failed == ("pkg.models.TinyNet (Usage)", "pkg.models.scale (Overview)")
    # the first prompt used its retries; the second was not sent to a server taken for gone
    assert len(server.requests) == 2
    assert time.perf_counter() - start < 3


# --- draft_sections through `model = openai://...` ----------------------------------------------

FACT = re.compile(r"^object: [\w.]+\.(\w+) ", re.M)


def overview(body: dict) -> str:
    content = body["messages"][-1]["content"]
    name = FACT.search(content).group(1)
    module = re.search(r"^object: ([\w.]+)\.\w+ ", content, re.M).group(1)
    return f"`{name}` is part of the module `{module}`."


def test_server_dies_mid_run_drafts_received_stay_cached_and_rerun_sends_the_rest(stub, tmp_path):
    facts = load_sample(tmp_path)
    names = ["pkg.config.TinyConfig", "pkg.models.TinyNet", "pkg.models.Evil"]
    requests = [DraftRequest(name, "overview") for name in names]
    state = {"alive": 1}  # answers before the "crash"

    def answer(number, body, headers):
        if state["alive"] is not None and number >= state["alive"]:
            return "drop"
        return chat(overview(body))

    server = stub(answer)
    settings = settings_for(tmp_path, model=server.url, server_concurrency=1, server_retries=1)
    with pytest.raises(ServerError) as caught:
        draft_sections(facts, requests, settings)
    assert len(caught.value.failed) == 2
    answered = [FACT.search(b["messages"][-1]["content"]).group(1) for b in server.requests[:1]]

    state["alive"] = None  # restarted
    sent_before = len(server.requests)
    drafts = draft_sections(facts, requests, settings)
    resent = [FACT.search(b["messages"][-1]["content"]).group(1) for b in server.requests[sent_before:]]
    assert sorted(resent) == sorted(n.rsplit(".", 1)[1] for n in names if n.rsplit(".", 1)[1] not in answered)
    assert all(d.status == "accepted" for d in drafts)
    assert sorted(d.object.rsplit(".", 1)[1] for d in drafts if d.cached) == sorted(answered)


def test_docgen_draft_prints_one_line_and_exits_2(stub, tmp_path, monkeypatch, capsys):
    load_sample(tmp_path)
    server = stub(lambda n, b, h: (503, {}, b"overloaded"))
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.docgen]\npackages = ["pkg"]\nmodel = "{server.url}"\nserver-retries = 0\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code = cli.main(["draft", "pkg.models.TinyNet", "--section", "overview"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("docgen: error: ") and "pkg.models.TinyNet (Overview)" in err[-1]
    assert "HTTP 503: overloaded" in err[-1]


def test_docgen_model_info_shows_the_server_and_what_it_serves(stub, tmp_path, monkeypatch, capsys):
    server = stub(lambda n, b, h: chat("x"), models=("base-model", "house-style"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCGEN_TEST_KEY", "sk-hidden")
    assert cli.main(["model", "info", "--model", server.url]) == 0
    out = capsys.readouterr().out
    assert f"url: {server.url}" in out and "served models: base-model, house-style" in out
    assert f"model hash: {server.url}#base-model" in out
    (tmp_path / "pyproject.toml").write_text(
        '[tool.docgen]\nserver-model = "missing"\napi-key-env = "DOCGEN_TEST_KEY"\n', encoding="utf-8"
    )
    assert cli.main(["model", "info", "--model", server.url]) == 2
    err = capsys.readouterr().err
    assert "'missing' is not served there" in err and "sk-hidden" not in err
