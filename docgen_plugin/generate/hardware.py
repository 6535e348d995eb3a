"""Where and how a model runs on this machine: its device, its dtype, and intra-op threads.

Shared by drafting and fine-tuning; each choice can be forced with an environment variable.
What the CPU computes natively is read from /proc/cpuinfo (no torch): without AVX512-BF16 or
AMX, bf16 matmuls are emulated and run about 2.5x slower than fp32, so the fast path depends on
these flags, and every benchmark prints them beside its figures.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError

DTYPE_ENV = "DOCGEN_DTYPE"
DEVICE_ENV = "DOCGEN_DEVICE"
THREADS_ENV = "DOCGEN_THREADS"
DTYPES = ("float32", "bfloat16", "float16", "int8")  # int8: dynamic quantisation, CPU only
CPUINFO = Path("/proc/cpuinfo")

# the flags that change which matmul path is fast, by the name a reader knows them by
FEATURES = {
    "bf16": ("avx512_bf16", "amx_bf16"),
    "AMX": ("amx_tile",),
    "VNNI": ("avx512_vnni", "avx_vnni"),
    "AVX-512": ("avx512f",),
    "AVX2": ("avx2",),
}


@dataclass(frozen=True)
class CpuInfo:
    model: str
    flags: frozenset[str]

    def has(self, feature: str) -> bool:
        return bool(self.flags & set(FEATURES[feature]))

    @property
    def bf16(self) -> bool:
        return self.has("bf16")

    def describe(self) -> str:
        """`Intel(R) Xeon(R) ... | bf16 yes, AMX yes, VNNI yes, AVX-512 yes, AVX2 yes`."""
        listed = ", ".join(f"{name} {'yes' if self.has(name) else 'no'}" for name in FEATURES)
        return f"{self.model} | {listed}"


@functools.lru_cache(maxsize=4)
def cpu_info(path: Path = CPUINFO) -> CpuInfo:
    """The first processor's model name and flags; empty where the file cannot be read. Read
    once per process: every draft's cache key and every load ask."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuInfo(model="unknown CPU", flags=frozenset())
    model, flags = "unknown CPU", ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model == "unknown CPU":
            model = value.strip()
        elif key == "flags" and not flags:
            flags = value
        if flags and model != "unknown CPU":
            break
    return CpuInfo(model=model, flags=frozenset(flags.split()))


def choose_device() -> str:
    """`$DOCGEN_DEVICE`, else CUDA when present, else CPU."""
    import torch

    explicit = os.environ.get(DEVICE_ENV)
    if explicit:
        return explicit
    return "cuda" if torch.cuda.is_available() else "cpu"


def cpu_has_bf16() -> bool:
    """Native bf16 matmuls on this CPU (AVX512-BF16 or AMX): measured 1.7x faster batched
    generation than fp32 on a 2-core Sapphire Rapids (see benchmarks/RESULTS.md)."""
    return cpu_info().bf16


def dtype_setting() -> str | None:
    """`$DOCGEN_DTYPE` when set (checked), else None: docgen picks by the hardware."""
    explicit = os.environ.get(DTYPE_ENV)
    if explicit and explicit not in DTYPES:
        raise ModelError(f"${DTYPE_ENV}={explicit!r}: use {', '.join(DTYPES)}")
    return explicit or None


def choose_dtype(device: str) -> str:
    """`$DOCGEN_DTYPE`, else bf16 where the hardware computes it natively, else fp32."""
    import torch

    explicit = dtype_setting()
    if explicit:
        return explicit
    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if torch.backends.mkldnn.is_available() and cpu_has_bf16():
        return "bfloat16"
    return "float32"


def numerics_key() -> dict[str, Any]:
    """What decides the numbers a load computes with, known without torch: the dtype asked
    for, else that docgen picks one and whether this CPU has native bf16. Part of the draft
    cache key: bf16, fp32 and int8 answers differ."""
    explicit = dtype_setting()
    return {"dtype": explicit} if explicit else {"dtype": "auto", "cpu_bf16": cpu_has_bf16()}


def compute_path(device: str, dtype: str, cpu: CpuInfo | None = None) -> str:
    """Which arithmetic a load takes, in words (`docgen model info`)."""
    if not device.startswith("cpu"):
        return f"{dtype} on {device}"
    cpu = cpu or cpu_info()
    asked = " ($DOCGEN_DTYPE)" if dtype_setting() else ""
    if dtype == "int8":
        unit = "VNNI" if cpu.has("VNNI") else "AVX-512" if cpu.has("AVX-512") else "AVX2"
        return f"int8 weights, dynamic quantisation ({unit} kernels){asked}"
    if dtype == "bfloat16":
        native = "AMX" if cpu.has("AMX") else "AVX512-BF16" if cpu.bf16 else "emulated: slow"
        return f"bf16 matmuls ({native}){asked}"
    if dtype == "float32" and not cpu.bf16:
        return f"fp32 (this CPU has no native bf16: emulated bf16 runs ~2.5x slower){asked}"
    return f"{dtype}{asked}"


def configure_threads() -> int:
    """Intra-op threads: `$DOCGEN_THREADS`, else the CPUs this process may use minus those
    other processes keep busy. OpenMP threads spin at barriers, so one thread that shares its
    core stalls the others: on a busy 2-core machine, two threads ran a decoding step 25x
    slower than one (benchmarks/RESULTS.md)."""
    import torch

    explicit = os.environ.get(THREADS_ENV)
    if explicit:
        try:
            count = int(explicit)
        except ValueError as error:
            raise ModelError(f"${THREADS_ENV}={explicit!r}: use a whole number") from error
    else:
        count = usable_cpus() - busy_cpus()
    torch.set_num_threads(max(1, count))
    return torch.get_num_threads()


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def busy_cpus(samples: int = 3) -> int:
    """How many processes besides this one are running now (median of a few 10 ms samples
    of /proc/loadavg's runnable count; 0 where there is no such file)."""
    counts: list[int] = []
    for sample in range(samples):
        try:
            fields = Path("/proc/loadavg").read_text(encoding="ascii").split()
            running = int(fields[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        counts.append(max(0, running - 1))  # the count includes the reader: us
        if sample + 1 < samples:
            time.sleep(0.01)
    return sorted(counts)[len(counts) // 2]
