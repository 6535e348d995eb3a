"""Where and how a model runs on this machine: its device, its dtype, and intra-op threads.

Shared by drafting and fine-tuning; each choice can be forced with an environment variable.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from docgen_plugin.errors import ModelError

DTYPE_ENV = "DOCGEN_DTYPE"
DEVICE_ENV = "DOCGEN_DEVICE"
THREADS_ENV = "DOCGEN_THREADS"


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
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def choose_dtype(device: str) -> str:
    """`$DOCGEN_DTYPE`, else bf16 where the hardware computes it natively, else fp32."""
    import torch

    explicit = os.environ.get(DTYPE_ENV)
    if explicit:
        if explicit not in ("float32", "bfloat16", "float16"):
            raise ModelError(f"${DTYPE_ENV}={explicit!r}: use float32, bfloat16 or float16")
        return explicit
    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if torch.backends.mkldnn.is_available() and cpu_has_bf16():
        return "bfloat16"
    return "float32"


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
