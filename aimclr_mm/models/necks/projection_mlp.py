from typing import Dict, Optional

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule


@MODELS.register_module()
class ProjectionMLP(BaseModule):
    """Projector g of AimCLR: pooling, then Linear-[Norm]-ReLU-Linear-[Norm].

    The encoder's feature map is averaged over time and joints for each
    person, then over persons (absent, all-zero persons count too), as the
    official encoder and mmaction2's ``GCNHead`` pool.

    The paper's projector has no normalisation (``hid_norm_cfg=None``,
    ``out_norm_cfg=None``). BatchNorm after the hidden layer and a
    BatchNorm without affine parameters on the output (as in MoCo v3) centre
    every embedding dimension over the batch, so no batch can map to a
    single vector: the default pretraining recipe uses them against the
    collapse of small data sets (docs/collapse.md).

    Args:
        in_channels (int): Encoder output channels. Defaults to 256.
        hid_channels (int): Hidden width. Defaults to 256.
        out_channels (int): Embedding width. Defaults to 128.
        hid_norm_cfg (dict, optional): Normalisation after the hidden
            Linear, e.g. ``dict(type='BN1d')``. Defaults to None.
        out_norm_cfg (dict, optional): Normalisation of the output, e.g.
            ``dict(type='BN1d', affine=False)``. Defaults to None.

    Input (N, M, C, T', V) or pooled (N, C); output (N, out_channels).
    """

    def __init__(self,
                 in_channels: int = 256,
                 hid_channels: int = 256,
                 out_channels: int = 128,
                 hid_norm_cfg: Optional[Dict] = None,
                 out_norm_cfg: Optional[Dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        layers = [nn.Linear(in_channels, hid_channels)]
        if hid_norm_cfg is not None:
            layers.append(build_norm_layer(hid_norm_cfg, hid_channels)[1])
        layers += [nn.ReLU(inplace=True), nn.Linear(hid_channels, out_channels)]
        if out_norm_cfg is not None:
            layers.append(build_norm_layer(out_norm_cfg, out_channels)[1])
        self.mlp = nn.Sequential(*layers)

    @staticmethod
    def pool(x: torch.Tensor) -> torch.Tensor:
        """(N, M, C, T', V) -> (N, C)."""
        return x.mean(dim=(3, 4)).mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 5:
            x = self.pool(x)
        return self.mlp(x)
