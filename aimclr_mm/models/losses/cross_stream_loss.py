from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmaction.registry import MODELS

from .nnm_loss import positive_set_loss


def cross_stream_logits(query: torch.Tensor, key: torch.Tensor,
                        bank: torch.Tensor, other_query: torch.Tensor,
                        other_bank: torch.Tensor, temperature: float,
                        context: bool = True) -> torch.Tensor:
    """Logits of stream X mined by stream Y (CrosSCLR's cross-stream step).

    ``[q.k, q.bank, (q.bank) * (q_Y.bank_Y)] / tau``: (N, 1 + K), or
    (N, 1 + 2K) with ``context``, the third block being the elementwise
    product of both streams' similarities to their own banks. As in the
    official code, the context block carries gradient into both queries.

    Args:
        query, key (Tensor): (N, D) L2-normalised embeddings of stream X.
        bank (Tensor): (D, K) stream X's bank, entries as columns.
        other_query (Tensor): (N, D) stream Y's query.
        other_bank (Tensor): (D, K) stream Y's bank; entry j of both banks
            comes from the same training sequence.
    """
    with torch.autocast(query.device.type, enabled=False):
        positive = (query * key).sum(dim=1, keepdim=True)
        similarity = query @ bank.to(query.dtype)
        blocks = [positive, similarity]
        if context:
            blocks.append(similarity *
                          (other_query @ other_bank.to(other_query.dtype)))
        return torch.cat(blocks, dim=1) / temperature


@torch.no_grad()
def cross_stream_positive_mask(other_query: torch.Tensor,
                               other_bank: torch.Tensor,
                               topk: int,
                               context: bool = True,
                               own_positives: Optional[torch.Tensor] = None
                               ) -> torch.Tensor:
    """Positives of stream X mined by stream Y: float mask of the layout of
    :func:`cross_stream_logits`.

    Column 0 (the key) and the ``topk`` bank entries most similar to stream
    Y's query are positive; with ``context`` the bank block is repeated.
    ``own_positives`` (N, 1 + K), e.g. AimCLR's nearest-neighbour mask of
    stream X itself, is added to the positive set (a union).
    """
    similarity = other_query @ other_bank.to(other_query.dtype)
    bank_mask = torch.zeros_like(similarity)
    bank_mask.scatter_(1, similarity.topk(topk, dim=1).indices, 1)
    if own_positives is not None:
        bank_mask = torch.maximum(bank_mask,
                                  own_positives[:, 1:].to(bank_mask.dtype))
    blocks = [bank_mask.new_ones(bank_mask.shape[0], 1), bank_mask]
    if context:
        blocks.append(bank_mask)
    return torch.cat(blocks, dim=1)


@MODELS.register_module()
class CrossStreamLoss(nn.Module):
    """Cross-stream knowledge mining loss of one stream (3s-CrosSCLR).

    For stream X and each other stream Y:
    ``l_XY = -sum_pos log_softmax(logits_XY) / |pos|`` per sample; the loss
    is the batch mean of the average of ``l_XY`` over the other streams.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.

    Input: a sequence of (logits, mask) pairs, one per other stream, each
    (N, 1 + K) or (N, 1 + 2K). Output: scalar.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(
        self, pairs: Sequence[Tuple[torch.Tensor, torch.Tensor]]
    ) -> torch.Tensor:
        loss = sum(positive_set_loss(logits, mask) for logits, mask in pairs)
        return self.loss_weight * loss / len(pairs)
