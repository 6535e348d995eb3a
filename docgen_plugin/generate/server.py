"""Drafts from an OpenAI-compatible server (vLLM, TGI, llama.cpp server, `transformers serve`).

`model = "openai://HOST:PORT/v1"` (or an `http://`/`https://` URL ending in `/v1`) sends the very
prompts the local generator would render to `POST /v1/chat/completions`, greedy
(`temperature: 0`) with the section's token budget; the answers go through the same verifier,
cache and outputs. `ServerGenerator` is a `TextGenerator`: `draft_sections` does not know which
one it has.

- Up to `server-concurrency` requests are in flight; each answer is handed to `on_result` in
  the caller's thread as it arrives, so it is cached at once.
- 429, 5xx, timeouts and connection errors are retried `server-retries` times with exponential
  backoff and full jitter; a `Retry-After` header is honoured. Once one request has used up its
  retries on a server that does not answer, the ones not yet sent fail at once.
- The failures are raised at the end, after every answer received was handed over, as one
  `ServerError` naming the objects and sections that got no answer; a rerun sends only those.
- The API key is read from the environment variable `api-key-env` names, sent as
  `Authorization: Bearer`, and never written to logs, errors or reprs.

The server decodes plain greedy: docgen's answer-only repetition penalty and n-gram ban
(`generator.Decoding`) are logits processors no OpenAI-compatible API offers (their
`frequency_penalty`/`repetition_penalty` differ in meaning from server to server), so a small
model may loop more; `clean_prose` cuts a loop and the verifier rejects what remains wrong.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import http.client
import json
import logging
import os
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from docgen_plugin.errors import ModelError, SettingsError
from docgen_plugin.generate.generator import token_budgets
from docgen_plugin.generate.messages import Messages
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

ResultCallback = Callable[[int, str], None]

SCHEME = "openai://"
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0
MODELS_TIMEOUT_S = 10.0
MAX_NAMED = 8  # failed sections named in the one-line error; the rest are counted
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class ServerError(ModelError):
    """A model server that did not answer some prompts (after retries), or cannot be used.

    `failed` names the sections without an answer (`pkg.Model (Usage)`); every answer that did
    arrive was handed over, and so cached, before this was raised."""

    def __init__(self, message: str, url: str, failed: Sequence[str] = ()) -> None:
        super().__init__(message, url)
        self.url = url
        self.failed = tuple(failed)


class _Retryable(Exception):
    """A failure worth another try: 429/5xx, a timeout, a dropped connection."""

    def __init__(self, reason: str, *, retry_after: float | None = None, down: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.down = down  # the server did not answer at all (timeout, refused, reset)


class _Fatal(Exception):
    """A failure another try will not fix (400, 401, 404, a malformed answer)."""


# --- endpoints --------------------------------------------------------------------------------


def is_server_url(model: str) -> bool:
    """Whether a `model` setting names a server: `openai://...`, or an http(s) URL ending in /v1."""
    spec = model.strip()
    if spec.startswith(SCHEME):
        return True
    return spec.startswith(("http://", "https://")) and spec.rstrip("/").endswith("/v1")


@dataclass(frozen=True)
class Endpoint:
    """Where a server is: `base` for requests (`http://host:port/v1`), `name` for cache keys."""

    base: str
    name: str  # `openai://host:port/v1` (an https server keeps `https://`)


def endpoint(model: str) -> Endpoint:
    """The endpoint a `model` setting names; `SettingsError` when it is not a usable URL."""
    spec = model.strip().rstrip("/")
    if spec.startswith(SCHEME):
        base = "http://" + spec[len(SCHEME):]
    elif spec.startswith(("http://", "https://")):
        base = spec
    else:
        raise SettingsError(f"model {model!r} is not a server URL (openai://HOST:PORT/v1)")
    parts = urllib.parse.urlsplit(base)
    if not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise SettingsError(
            f"model {model!r}: a server URL is openai://HOST:PORT/v1 or http(s)://HOST:PORT/v1 "
            "(no user, query or fragment; the API key goes in the variable `api-key-env` names)"
        )
    name = SCHEME + base.split("://", 1)[1] if parts.scheme == "http" else base
    return Endpoint(base=base, name=name)


def api_key(settings: Settings) -> str | None:
    """The API key from the environment variable `api-key-env` names (never from a file)."""
    if not settings.api_key_env:
        return None
    key = os.environ.get(settings.api_key_env, "").strip()
    if not key:
        raise SettingsError(
            f"api-key-env is {settings.api_key_env!r}, but that environment variable is not set"
        )
    return key


def _opener(base: str) -> urllib.request.OpenerDirector:
    # environment proxies apply to remote servers, never to one on this machine
    host = urllib.parse.urlsplit(base).hostname or ""
    if host in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _headers(key: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _redact(text: str, key: str | None) -> str:
    return text.replace(key, "***") if key else text


def list_models(settings: Settings, *, timeout: float = MODELS_TIMEOUT_S) -> list[str]:
    """The model ids `GET /v1/models` lists (base models and served adapters)."""
    point = endpoint(settings.model)
    key = api_key(settings)
    request = urllib.request.Request(point.base + "/models", headers=_headers(key))
    try:
        with _opener(point.base).open(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise ServerError(f"{point.name}: GET /models answered HTTP {error.code}", point.name) from error
    except (OSError, http.client.HTTPException, ValueError) as error:
        reason = _redact(_describe(error), key)
        raise ServerError(f"{point.name}: cannot list the server's models ({reason}); is the server "
                          "running?", point.name) from error
    models = data.get("data") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise ServerError(f"{point.name}: GET /models did not answer an OpenAI model list", point.name)
    return [str(m["id"]) for m in models if isinstance(m, dict) and "id" in m]


def server_model(settings: Settings) -> str:
    """`server-model`, or the first id the server lists when it is not set."""
    if settings.server_model:
        return settings.server_model
    models = list_models(settings)
    if not models:
        raise ServerError(f"{endpoint(settings.model).name}: the server lists no models",
                          endpoint(settings.model).name)
    return models[0]


def check_settings(settings: Settings) -> None:
    """Settings that make no sense with a server: a local adapter, non-positive limits."""
    if (settings.adapter or "").strip().lower() not in ("", "none", "off", "false"):
        raise SettingsError(
            f"adapter {settings.adapter!r} is a local folder, but `model` is a server: serve the "
            "adapter there (e.g. vLLM --lora-modules NAME=PATH) and set `server-model = NAME`"
        )
    if settings.server_concurrency < 1 or settings.server_retries < 0 or settings.server_timeout <= 0:
        raise SettingsError("server-concurrency and server-timeout must be positive, "
                            "server-retries not negative")


def model_hash(settings: Settings) -> str:
    """What the draft cache keys on instead of a weights hash: `openai://host:port/v1#model`."""
    check_settings(settings)
    return f"{endpoint(settings.model).name}#{server_model(settings)}"


# --- the generator ----------------------------------------------------------------------------


class ServerGenerator:
    """Chat prompts in, answers out, from an OpenAI-compatible server, a few at a time."""

    def __init__(
        self,
        model: str,
        served: str,
        *,
        api_key: str | None = None,
        concurrency: int = 4,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 0.5,
        progress: bool = True,
    ) -> None:
        if concurrency < 1 or retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("concurrency and timeout must be positive, retries and backoff >= 0")
        self.endpoint = endpoint(model)
        self.served = served
        self._key = api_key
        self.concurrency = concurrency
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.progress = progress
        self._opener = _opener(self.endpoint.base)
        self._down: str | None = None  # why the server is taken for gone, once it is
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, progress: bool = True) -> ServerGenerator:
        """The server `settings.model` names, with its `server-*` settings."""
        check_settings(settings)
        return cls(
            settings.model,
            server_model(settings),
            api_key=api_key(settings),
            concurrency=settings.server_concurrency,
            timeout=settings.server_timeout,
            retries=settings.server_retries,
            progress=progress,
        )

    def __repr__(self) -> str:  # no key here, ever
        auth = ", api_key=***" if self._key else ""
        return f"ServerGenerator({self.endpoint.name!r}, {self.served!r}{auth})"

    @property
    def signature(self) -> dict[str, Any]:
        """What shapes the output besides model and prompt (for diagnostics)."""
        return {"strategy": "greedy", "server": self.endpoint.name, "model": self.served}

    def generate(
        self,
        prompts: Sequence[Messages],
        max_new_tokens: int | Sequence[int],
        on_result: ResultCallback | None = None,
    ) -> list[str]:
        """The answers to `prompts`, in order. `on_result(index, text)` gets each one as it
        arrives, in this thread; prompts without an answer raise one `ServerError` at the end."""
        from tqdm.auto import tqdm

        budgets = token_budgets(max_new_tokens, len(prompts))
        results: list[str | None] = [None] * len(prompts)
        errors: dict[int, str] = {}
        self._down = None
        self._stop.clear()
        pool = concurrent.futures.ThreadPoolExecutor(self.concurrency, "docgen-server")
        bar = tqdm(total=len(prompts), desc="docgen: drafting", unit="prompt",
                   disable=not self.progress)
        try:
            futures = {
                pool.submit(self._complete, messages, budget): index
                for index, (messages, budget) in enumerate(zip(prompts, budgets))
            }
            for future in concurrent.futures.as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except (_Retryable, _Fatal) as error:
                    errors[index] = str(error)
                    bar.update(1)
                    continue
                if on_result is not None:
                    on_result(index, results[index])  # type: ignore[arg-type]
                bar.update(1)
        except KeyboardInterrupt:
            done = sum(r is not None for r in results)
            logger.warning("interrupted: %d of %d answers were finished", done, len(results))
            raise
        finally:
            self._stop.set()  # no more retries; requests on the wire end at their timeout
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()
        if errors:
            raise self._failure(prompts, errors, len(prompts) - len(errors))
        return [r for r in results if r is not None]

    # --- one request ---------------------------------------------------------------------

    def _complete(self, messages: Messages, budget: int) -> str:
        body = json.dumps({
            "model": self.served,
            "messages": messages,
            "max_tokens": budget,
            "temperature": 0,
            "stream": False,
        }).encode("utf-8")
        attempt = 0
        while True:
            if self._down is not None:
                raise _Retryable(f"not sent: {self._down}", down=True)
            if self._stop.is_set():
                raise _Retryable("not sent: the run was stopped")
            try:
                return self._post(body)
            except _Retryable as error:
                if attempt >= self.retries:
                    if error.down:
                        with self._lock:
                            self._down = self._down or error.reason
                    raise _Retryable(f"{error.reason} (after {attempt + 1} tries)",
                                     down=error.down) from error
                wait = self._wait(attempt, error.retry_after)
                logger.info("docgen: %s: %s; retry %d of %d in %.1f s", self.endpoint.name,
                            error.reason, attempt + 1, self.retries, wait)
                if self._stop.wait(wait):
                    raise _Retryable("not sent: the run was stopped") from error
                attempt += 1

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff; at least what `Retry-After` asked for."""
        backoff = random.uniform(0, min(MAX_BACKOFF_S, self.backoff * 2**attempt))
        if retry_after is not None:
            return max(backoff, min(retry_after, MAX_RETRY_AFTER_S))
        return backoff

    def _post(self, body: bytes) -> str:
        request = urllib.request.Request(
            self.endpoint.base + "/chat/completions", data=body, headers=_headers(self._key),
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            detail = _redact(_error_detail(error), self._key)
            reason = f"HTTP {error.code}{detail}"
            if error.code in RETRY_STATUSES or error.code >= 500:
                raise _Retryable(reason, retry_after=_retry_after(error.headers)) from None
            raise _Fatal(reason) from None
        except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out
            raise _Retryable(_redact(_describe(error, self.timeout), self._key), down=True) from None
        return _answer(raw)

    def _failure(self, prompts: Sequence[Messages], errors: dict[int, str], received: int) -> ServerError:
        failed = [_label(prompts[i]) for i in sorted(errors)]
        named = ", ".join(failed[:MAX_NAMED])
        more = f" and {len(failed) - MAX_NAMED} more" if len(failed) > MAX_NAMED else ""
        # the first real reason, not "not sent" (it only says the server was taken for gone)
        reasons = sorted(errors.values(), key=lambda r: r.startswith("not sent"))
        message = (
            f"{self.endpoint.name} ({self.served}): no answer for {len(failed)} of {len(prompts)} "
            f"section(s) sent: {named}{more} ({reasons[0]}); the {received} answer(s) received are "
            "cached: run again to draft the rest"
        )
        return ServerError(message, self.endpoint.name, failed)


def _answer(raw: bytes) -> str:
    try:
        data = json.loads(raw.decode("utf-8"))
        content = data["choices"][0]["message"].get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise _Fatal(f"not an OpenAI chat completion: {raw[:120]!r}") from None
    return (content or "").strip()


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(300).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    text = " ".join(text.split())
    return f": {text[:200]}" if text else ""


def _describe(error: BaseException, timeout: float | None = None) -> str:
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s" if timeout else "timed out"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "connection closed by the server"
    text = str(cause) or type(cause).__name__
    return " ".join(text.split())


def _retry_after(headers: Any) -> float | None:
    """`Retry-After` in seconds (a number or an HTTP date), if the server sent one."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_OBJECT = re.compile(r"^object: (\S+)", re.M)
_SECTION = re.compile(r"^Section: (.+)$", re.M)


def _label(messages: Messages) -> str:
    """`pkg.Model (Usage)`, read back from the prompt's facts block (`prompts.user_message`)."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    found, section = _OBJECT.search(user), _SECTION.search(user)
    if found is None:
        return "a prompt"
    return f"{found.group(1)} ({section.group(1).strip()})" if section else found.group(1)


# --- `docgen model info|prepare` ----------------------------------------------------------------


def server_info(settings: Settings) -> dict[str, Any]:
    """`docgen model info` for a server: where it is, what it serves, what drafts. Asks the
    server for its model list (the key's variable is named, the key never shown)."""
    check_settings(settings)
    point = endpoint(settings.model)
    models = list_models(settings)
    served = settings.server_model or (models[0] if models else None)
    if served is not None and models and served not in models:
        raise ServerError(f"{point.name}: server-model {served!r} is not served there; it lists "
                          f"{', '.join(models)}", point.name)
    return {
        "name": served,
        "kind": "server",
        "url": point.name,
        "base": point.base,
        "served_models": models,
        "server_model": served,
        "api_key_env": settings.api_key_env,
        "concurrency": settings.server_concurrency,
        "timeout_s": settings.server_timeout,
        "retries": settings.server_retries,
        "model_hash": f"{point.name}#{served}",
    }
