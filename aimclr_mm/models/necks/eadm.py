from typing import Tuple

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule


@MODELS.register_module()
class EADM(BaseModule):
    """Energy-based Attention-guided Drop Module.

    Parameter-free: SimAM energy gives an attention value per entry of the
    feature map; the most attended joints (spatial mask) and then the most
    attended entries (temporal mask) are dropped, and what is kept is
    rescaled by ``mask.numel() / mask.sum()`` counted over the whole batch.
    Both masks come from the attention of the input; no random numbers.

    Args:
        keep_prob (float): Threshold on the attention value; entries whose
            score is ``>= keep_prob`` are dropped. Defaults to 0.7, the
            official value (the name is the official one, it is not a
            probability).
        e_lambda (float): SimAM regulariser lambda. Defaults to 1e-4.

    Input and output: (N*M, C, T', V).
    """

    def __init__(self, keep_prob: float = 0.7, e_lambda: float = 1e-4,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.keep_prob = keep_prob
        self.e_lambda = e_lambda

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """SimAM attention ``sigmoid(y)`` of x, same shape (N*M, C, T', V).

        Half-precision input is promoted to float32: the energy's small
        variances and the 0.7 threshold need the precision.
        """
        if x.element_size() < 4:
            x = x.float()
        n = x.shape[2] * x.shape[3] - 1
        d = (x - x.mean(dim=(2, 3), keepdim=True)).pow(2)
        y = d / (4 * (d.sum(dim=(2, 3), keepdim=True) / n +
                      self.e_lambda)) + 0.5
        return torch.sigmoid(y)

    def masks(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Spatial mask (N*M, V) and temporal mask (N*M, C*V, T'); 1 keeps."""
        att = self.attention(x)
        nm, c, t, v = att.shape
        score_spatial = att.mean(dim=(1, 2))
        score_temporal = att.permute(0, 1, 3, 2).reshape(nm, c * v, t)
        return ((score_spatial < self.keep_prob).to(att.dtype),
                (score_temporal < self.keep_prob).to(att.dtype))

    @staticmethod
    def _rescale(mask: torch.Tensor) -> torch.Tensor:
        # An all-dropped mask zeroes the map; the official rescale would
        # divide by zero there.
        return mask.numel() / mask.sum().clamp(min=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nm, c, t, v = x.shape
        mask_spatial, mask_temporal = self.masks(x)
        dtype = x.dtype
        x = x * mask_spatial[:, None, None, :] * self._rescale(mask_spatial)
        mask_temporal = mask_temporal.reshape(nm, c, v, t).transpose(2, 3)
        out = x * mask_temporal * self._rescale(mask_temporal)
        return out.to(dtype)
