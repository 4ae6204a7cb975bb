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

    :meth:`enqueue` gathers the keys at once (the collective runs in the
    same place on every rank) but writes them into the bank only at the
    next :meth:`flush`: a training step reads the bank in its
    logits and autograd keeps it for the backward, so writing it in place
    before the backward would fail, and copying the whole bank each step
    costs time. Pending keys are flushed whenever ``bank`` or ``ptr`` is
    read from outside, before the state dict is saved, and dropped when a
    state dict is loaded.

    Args:
        feature_dim (int): Embedding width. Defaults to 128.
        size (int): Number of entries. Defaults to 32768.
    """

    def __init__(self, feature_dim: int = 128, size: int = 32768) -> None:
        super().__init__()
        bank = F.normalize(torch.randn(feature_dim, size), dim=0)
        self.register_buffer('bank', bank)
        self.register_buffer('ptr', torch.zeros(1, dtype=torch.long))
        self._pending = None

    def __getattr__(self, name: str):
        # buffers are found through nn.Module.__getattr__; reading them from
        # outside sees the keys still pending
        if name in ('bank', 'ptr') and self.__dict__.get('_pending') \
                is not None:
            self.flush()
        return super().__getattr__(name)

    @property
    def size(self) -> int:
        return self._buffers['bank'].shape[1]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Enqueue keys (B, feature_dim) of this rank and all others; they
        are written into the bank at the next :meth:`flush`."""
        self.flush()
        self._pending = gather_from_all_ranks(keys.detach())

    @torch.no_grad()
    def flush(self) -> None:
        """Write the pending keys into the bank."""
        keys = self.__dict__.get('_pending')
        if keys is None:
            return
        self._pending = None
        bank, ptr = self._buffers['bank'], self._buffers['ptr']
        keys = keys.to(bank.dtype)[-self.size:]
        index = (int(ptr) + torch.arange(
            keys.shape[0], device=keys.device)) % self.size
        bank[:, index] = keys.t()
        ptr[0] = (int(ptr) + keys.shape[0]) % self.size

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        self.flush()
        super()._save_to_state_dict(destination, prefix, keep_vars)

    def _load_from_state_dict(self, *args, **kwargs):
        # the loaded bank already holds every key enqueued before it was
        # saved; keys pending here belong to the state being replaced
        self._pending = None
        super()._load_from_state_dict(*args, **kwargs)
