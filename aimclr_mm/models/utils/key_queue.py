import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size


def gather_from_all_ranks(x: torch.Tensor) -> torch.Tensor:
    """Concatenate x (B_r, ...) of every rank in rank order.

    Ranks may hold different batch sizes; the result is the same tensor on
    every rank.
    """
    if get_world_size() == 1:
        return x
    sizes = all_gather(torch.tensor([x.shape[0]], device=x.device))
    sizes = [int(s) for s in sizes]
    padded = x.new_zeros((max(sizes), ) + x.shape[1:])
    padded[:x.shape[0]] = x
    return torch.cat(
        [part[:size] for part, size in zip(all_gather(padded), sizes)])


class KeyQueue(nn.Module):
    """FIFO memory bank of L2-normalised key embeddings.

    Entries are the columns of ``bank`` (feature_dim, size), the official
    layout. Every step enqueues the keys of all ranks in rank order, so the
    bank is identical on every rank; the write position wraps around, so
    the size need not be a multiple of the batch size.

    Args:
        feature_dim (int): Embedding width. Defaults to 128.
        size (int): Number of entries. Defaults to 32768.
    """

    def __init__(self, feature_dim: int = 128, size: int = 32768) -> None:
        super().__init__()
        bank = F.normalize(torch.randn(feature_dim, size), dim=0)
        self.register_buffer('bank', bank)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))

    @property
    def size(self) -> int:
        return self.bank.shape[1]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Write keys (B, feature_dim) of this rank and all others."""
        keys = gather_from_all_ranks(keys.detach()).to(self.bank.dtype)
        keys = keys[-self.size:]
        index = (int(self.ptr) + torch.arange(
            keys.shape[0], device=keys.device)) % self.size
        self.bank[:, index] = keys.t()
        self.ptr[0] = (int(self.ptr) + keys.shape[0]) % self.size
