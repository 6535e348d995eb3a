"""The base class of the tinyformer models: weight initialisation and parameter counts."""

from __future__ import annotations

from torch import nn


class TinyformerModel(nn.Module):
    """Base of every tinyformer model; initialises weights the same way everywhere.

    Subclasses take `**kwargs` and hand them to this class, so `init_std` can be passed to
    any model. They build their layers, then call `init_weights()`.

    Args:
        init_std (float): Standard deviation of the normal initialisation of linear,
            convolution and embedding weights. Defaults to 0.02.
    """

    def __init__(self, init_std: float = 0.02) -> None:
        super().__init__()
        if init_std <= 0:
            raise ValueError(f"init_std must be positive, not {init_std}")
        self.init_std = init_std

    def init_weights(self) -> None:
        """Re-initialise every linear, convolution, embedding and layer-norm layer."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d)):
                nn.init.normal_(module.weight, std=self.init_std)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=self.init_std)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Count the scalar parameters of the model.

        Args:
            trainable_only (bool): Count only parameters that require gradients.
                Defaults to False.

        Returns:
            The number of scalar parameters.
        """
        return sum(
            p.numel() for p in self.parameters() if p.requires_grad or not trainable_only
        )
