import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


@MODELS.register_module()
class D3MLoss(nn.Module):
    """Dual Distributional Divergence Minimization loss.

    The softmax of the normal query's logits, detached, is the target
    distribution; each extreme view's logits are pulled towards it by cross
    entropy, and the terms are averaged (``(L_d1 + L_d2) / 2`` in AimCLR).
    ``log_softmax`` replaces the official ``log(softmax)``: equal in float32
    and float64, but it stays finite in half precision.

    Args:
        loss_weight (float): Weight of the loss (beta). Defaults to 1.0.

    Inputs: target_logits (N, 1 + K) and one or more logits (N, 1 + K).
    Output: scalar.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, target_logits: torch.Tensor,
                *logits: torch.Tensor) -> torch.Tensor:
        assert logits, 'D3MLoss needs at least one view to align'
        target = F.softmax(target_logits.detach(), dim=1)
        terms = [-(target * F.log_softmax(view, dim=1)).sum(dim=1).mean()
                 for view in logits]
        return self.loss_weight * torch.stack(terms).mean()
