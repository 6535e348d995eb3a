"""What the CPU offers, int8 weights, and the dtype in the draft cache key (issue 21)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pkgtools import settings_for
from sections.sample_package import load_sample

from docgen_plugin.errors import ModelError
from docgen_plugin.generate import Generator
from docgen_plugin.generate.drafting import DraftRequest, draft_sections
from docgen_plugin.generate.hardware import compute_path, cpu_info, numerics_key
from docgen_plugin.generate.model_load import load_model
from docgen_plugin.generate.model_resolve import resolve_model
from docgen_plugin.generate.quantize import is_int8
from docgen_plugin.settings import Settings

SAPPHIRE = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8481C
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8481C
flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile
"""
EPYC = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse2 avx2 fma
"""


def test_cpu_flags_are_read_and_named(tmp_path: Path) -> None:
    (tmp_path / "intel").write_text(SAPPHIRE)
    (tmp_path / "amd").write_text(EPYC)
    intel, amd = cpu_info(tmp_path / "intel"), cpu_info(tmp_path / "amd")
    assert intel.bf16 and intel.has("AMX") and intel.has("VNNI") and intel.has("AVX-512")
    assert not amd.bf16 and not amd.has("VNNI") and amd.has("AVX2")
    assert intel.describe() == ("Intel(R) Xeon(R) Platinum 8481C | bf16 yes, AMX yes, VNNI yes, "
                                "AVX-512 yes, AVX2 yes")
    assert amd.describe().startswith("AMD EPYC 7B13 | bf16 no, AMX no")
    missing = cpu_info(tmp_path / "absent")
    assert missing.model == "unknown CPU" and not missing.bf16


def test_numerics_key_follows_the_dtype_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCGEN_DTYPE", raising=False)
    assert numerics_key()["dtype"] == "auto" and "cpu_bf16" in numerics_key()
    monkeypatch.setenv("DOCGEN_DTYPE", "int8")
    assert numerics_key() == {"dtype": "int8"}
    monkeypatch.setenv("DOCGEN_DTYPE", "int4")
    with pytest.raises(ModelError, match=r"DOCGEN_DTYPE='int4': use float32, bfloat16, float16, int8"):
        numerics_key()


def test_int8_model_loads_and_generates(tiny_model_dir: Path) -> None:
    loaded = load_model(resolve_model(Settings(model=str(tiny_model_dir))), dtype="int8",
                        progress=False)
    assert loaded.dtype == "int8" and is_int8(loaded.model)
    head = loaded.model.get_output_embeddings()
    assert not is_int8(head)  # the output head stays fp32
    messages = [{"role": "user", "content": "Describe `Encoder`."}]
    generator = Generator(loaded, batch_size=2, progress=False)
    answers = generator.generate_detailed([messages, messages], 6)
    assert [a.new_tokens for a in answers] == [answers[0].new_tokens] * 2
    assert answers[0].text == answers[1].text  # deterministic within a batch
    assert generator.signature["dtype"] == "int8"


def test_int8_on_a_gpu_is_refused(tiny_model_dir: Path) -> None:
    with pytest.raises(ModelError, match="int8 runs on the CPU only"):
        load_model(resolve_model(Settings(model=str(tiny_model_dir))), dtype="int8",
                   device="cuda", progress=False)


def test_drafts_of_another_dtype_are_keyed_apart(tmp_path: Path, tiny_model_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    facts = load_sample(tmp_path)
    settings = settings_for(tmp_path, model=str(tiny_model_dir), max_new_tokens=8)
    wanted = [DraftRequest("pkg.models.TinyNet", "overview")]
    keys = {}
    for dtype in ("float32", "int8", "float32"):
        monkeypatch.setenv("DOCGEN_DTYPE", dtype)
        draft = draft_sections(facts, wanted, settings)[0]
        assert draft.cached == (dtype in keys)  # the second fp32 run hits, int8 never does
        keys.setdefault(dtype, draft.cache_key)
    assert keys["float32"] != keys["int8"]


def test_model_info_names_the_arithmetic_the_cpu_takes(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "intel").write_text(SAPPHIRE)
    (tmp_path / "amd").write_text(EPYC)
    intel, amd = cpu_info(tmp_path / "intel"), cpu_info(tmp_path / "amd")
    monkeypatch.delenv("DOCGEN_DTYPE", raising=False)
    assert compute_path("cpu", "bfloat16", intel) == "bf16 matmuls (AMX)"
    assert compute_path("cpu", "float32", amd).startswith("fp32 (this CPU has no native bf16")
    assert compute_path("cpu", "float32", intel) == "float32"
    assert compute_path("cuda", "bfloat16", amd) == "bfloat16 on cuda"
    monkeypatch.setenv("DOCGEN_DTYPE", "int8")
    assert compute_path("cpu", "int8", amd) == (
        "int8 weights, dynamic quantisation (AVX2 kernels) ($DOCGEN_DTYPE)")
