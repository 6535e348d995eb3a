"""Drafts/s from an OpenAI-compatible server against concurrency, beside the in-process batch.

Starts `transformers serve` on the embedded default model (its converted safetensors folder),
offline on a free loopback port, sends the same prompts through `ServerGenerator` at
concurrency 1, 2, 4, 8, stops the server, then runs the in-process batched `Generator` on the
same prompts (one batch, plain greedy like the server: no answer-only repetition curbs).

    .venv/bin/python benchmarks/server_throughput.py [--prompts 16] [--max-new-tokens 64]
        [--concurrency 1,2,4,8] [--continuous-batching]

Needs transformers[serving] (fastapi, uvicorn, openai), in the `dev` extras.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from draft_throughput import prompts

from docgen_plugin.generate.generator import Decoding, Generator
from docgen_plugin.generate.hardware import choose_device, choose_dtype, configure_threads
from docgen_plugin.generate.model_load import load_model
from docgen_plugin.generate.model_status import prepare_model
from docgen_plugin.generate.server import ServerGenerator
from docgen_plugin.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, dtype: str, threads: int, extra: list[str], log: Path) -> tuple:
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    script = Path(sys.executable).with_name("transformers")
    command = [str(script), "serve", str(model), "--host", "127.0.0.1", "--port", str(port),
               "--device", "cpu", "--dtype", dtype, *extra]
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"transformers serve exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return process, f"openai://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.5)
    process.kill()
    sys.exit(f"transformers serve did not start:\n{log.read_text()[-3000:]}")


def row(label: str, count: int, seconds: float, tokens: int) -> str:
    return f"| {label} | {count} | {seconds:.1f} | {count / seconds:.2f} | {tokens / seconds:.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8])
    parser.add_argument("--dtype", default=None, help="default: what docgen picks on this CPU")
    parser.add_argument("--continuous-batching", action="store_true",
                        help="start the server with --continuous-batching")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # the bare model on both sides (the server cannot apply a shipped local adapter)
    resolved = prepare_model(Settings(adapter="none"), progress=False)
    threads = configure_threads()
    dtype = args.dtype or choose_dtype(choose_device())
    batch = prompts(args.prompts)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs, {threads} threads | {dtype} | {len(batch)} prompts, "
        f"max_new_tokens={args.max_new_tokens}, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    loaded = load_model(resolved, dtype=dtype, progress=False)
    count_tokens = lambda texts: sum(len(loaded.tokenizer(t)["input_ids"]) for t in texts)  # noqa: E731
    lines = ["| method | drafts | wall s | drafts/s | answer tok/s |", "|---|---:|---:|---:|---:|"]
    extra = ["--continuous-batching"] if args.continuous_batching else []
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_server(resolved.path, dtype, threads, extra, Path(folder) / "serve.log")
        try:
            model_id = str(resolved.path)
            ServerGenerator(url, model_id, progress=False).generate(batch[:1], 4)  # warm-up
            for concurrency in args.concurrency:
                generator = ServerGenerator(url, model_id, concurrency=concurrency, progress=False)
                start = time.perf_counter()
                texts = generator.generate(batch, args.max_new_tokens)
                seconds = time.perf_counter() - start
                label = f"server{' (CB)' if extra else ''}, concurrency {concurrency}"
                lines.append(row(label, len(texts), seconds, count_tokens(texts)))
                print(lines[-1], flush=True)
        finally:
            process.kill()
            process.wait()
    plain = Decoding(repetition_penalty=1.0, no_repeat_ngram_size=0)
    generator = Generator(loaded, batch_size=len(batch), decoding=plain, progress=False)
    generator.generate(batch[:2], 4)  # warm-up
    start = time.perf_counter()
    texts = generator.generate(batch, args.max_new_tokens)
    seconds = time.perf_counter() - start
    lines.append(row(f"in-process Generator, one batch of {len(batch)}", len(texts), seconds,
                     count_tokens(texts)))
    print(lines[-1], flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
