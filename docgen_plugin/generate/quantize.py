"""int8 weights for CPUs without native bf16: torch's dynamic quantisation of the Linear layers.

Each decoder Linear keeps int8 weights with one scale per output channel and quantises its
input per batch at run time. The output head stays fp32: it maps every hidden state onto
49,152 token logits, and per-tensor int8 on every Linear, head included, turned a 135M model's
answers into unrelated text. Opt-in (`$DOCGEN_DTYPE=int8`): even so it keeps a third fewer
drafted sentences than fp32 on the eval (benchmarks/RESULTS.md, "int8 judged on the eval"),
and its answers differ from fp32's, so the dtype is part of every cache key.
"""

from __future__ import annotations

import warnings
from typing import Any

INT8 = "int8"


def quantize_int8(model: Any) -> Any:
    """`model` (fp32, on the CPU) with its decoder Linear layers as dynamic int8 ones."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    head = model.get_output_embeddings()
    spec = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not head
    }
    with warnings.catch_warnings():  # torch's own: "deprecated, see torchao" (still shipped)
        warnings.filterwarnings("ignore", message=".*deprecated.*")
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)


def is_int8(model: Any) -> bool:
    """Whether `quantize_int8` has run on `model`."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return any(isinstance(module, DynamicLinear) for module in model.modules())
