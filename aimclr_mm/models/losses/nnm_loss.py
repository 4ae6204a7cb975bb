from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS


def nearest_neighbor_positive_mask(ranking_logits: Sequence[torch.Tensor],
                                   topk: int) -> torch.Tensor:
    """Positive set of nearest-neighbour mining.

    Column 0 (the key) is always positive; bank entry ``j`` (column
    ``1 + j``) is positive when it is among the ``topk`` most similar
    entries of at least one of the queries.

    Args:
        ranking_logits: one (N, 1 + K) logits tensor per query; only the bank
            columns ``[:, 1:]`` are ranked (a positive temperature does not
            change the order).
        topk (int): Neighbours taken per query.

    Returns:
        Tensor: float mask (N, 1 + K).
    """
    first = ranking_logits[0]
    mask = torch.zeros_like(first)
    mask[:, 0] = 1
    for logits in ranking_logits:
        index = logits[:, 1:].topk(topk, dim=1).indices + 1
        mask.scatter_(1, index, 1)
    return mask


def positive_set_loss(logits: torch.Tensor,
                      mask: torch.Tensor) -> torch.Tensor:
    """``-sum_pos log_softmax(logits) / |pos|`` per sample, averaged over
    the batch: logits (N, L), float 0/1 mask (N, L). Scalar."""
    mask = mask.to(logits.dtype)
    loss = -(F.log_softmax(logits, dim=1) * mask).sum(1) / mask.sum(1)
    return loss.mean()


@MODELS.register_module()
class NNMLoss(nn.Module):
    """Nearest Neighbors Mining loss of AimCLR's second stage.

    ``-sum_pos log_softmax(logits) / |pos|`` per sample, averaged over the
    batch; the positive set is the key plus the bank entries nearest to any
    of the queries (see :func:`nearest_neighbor_positive_mask`).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Inputs: logits (N, 1 + K) of the normal query, ranking logits of every
    query, top-k. Output: scalar.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor,
                ranking_logits: Sequence[torch.Tensor],
                topk: int = 1) -> torch.Tensor:
        with torch.no_grad():
            mask = nearest_neighbor_positive_mask(ranking_logits, topk)
        return self.loss_weight * positive_set_loss(logits, mask)
