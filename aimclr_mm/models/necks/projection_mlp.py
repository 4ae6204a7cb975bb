import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule


@MODELS.register_module()
class ProjectionMLP(BaseModule):
    """Projector g of AimCLR: pooling, then Linear-ReLU-Linear.

    The encoder's feature map is averaged over time and joints for each
    person, then over persons (absent, all-zero persons count too), as the
    official encoder and mmaction2's ``GCNHead`` pool.

    Args:
        in_channels (int): Encoder output channels. Defaults to 256.
        hid_channels (int): Hidden width. Defaults to 256.
        out_channels (int): Embedding width. Defaults to 128.

    Input (N, M, C, T', V) or pooled (N, C); output (N, out_channels).
    """

    def __init__(self,
                 in_channels: int = 256,
                 hid_channels: int = 256,
                 out_channels: int = 128,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hid_channels), nn.ReLU(inplace=True),
            nn.Linear(hid_channels, out_channels))

    @staticmethod
    def pool(x: torch.Tensor) -> torch.Tensor:
        """(N, M, C, T', V) -> (N, C)."""
        return x.mean(dim=(3, 4)).mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 5:
            x = self.pool(x)
        return self.mlp(x)
