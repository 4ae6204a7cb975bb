import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


@MODELS.register_module()
class InfoNCELoss(nn.Module):
    """InfoNCE: cross entropy of contrastive logits with the key at index 0.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Input: logits (N, 1 + K), column 0 the positive key, already divided by
    the temperature. Output: scalar, averaged over the batch.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        target = logits.new_zeros(logits.shape[0], dtype=torch.long)
        return self.loss_weight * F.cross_entropy(logits, target)
