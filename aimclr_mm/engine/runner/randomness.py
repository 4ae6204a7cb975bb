"""Random states of a training process, as plain checkpoint values."""
import random
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.registry import FUNCTIONS
from torch.utils.data import get_worker_info

__all__ = ['capture_random_states', 'restore_random_states', 'seed_worker']


def capture_random_states() -> Dict:
    """Python ``random``, numpy's global and torch's CPU and CUDA states.

    Only tensors and plain types, so that ``weights_only`` loading takes
    them without an allowlist.
    """
    version, internal, gauss_next = random.getstate()
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    return dict(
        python=dict(
            version=version, internal=list(internal), gauss_next=gauss_next),
        numpy=dict(
            name=name,
            keys=[int(key) for key in keys],
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached_gaussian)),
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all()
        if torch.cuda.is_available() else [])


def restore_random_states(states: Dict) -> Optional[str]:
    """Set the states :func:`capture_random_states` returned.

    Returns:
        str, optional: Why the CUDA states were not restored, if so.
    """
    python = states['python']
    random.setstate((python['version'], tuple(python['internal']),
                     python['gauss_next']))
    numpy = states['numpy']
    np.random.set_state(
        (numpy['name'], np.asarray(numpy['keys'], dtype=np.uint32),
         numpy['pos'], numpy['has_gauss'], numpy['cached_gaussian']))
    torch.set_rng_state(states['torch'].cpu())
    cuda = states.get('cuda') or []
    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if cuda and len(cuda) == available:
        torch.cuda.set_rng_state_all([state.cpu() for state in cuda])
    elif cuda or available:
        return (f'the checkpoint holds {len(cuda)} CUDA random states and '
                f'this process sees {available} CUDA devices')
    return None


# mmengine looks worker_init_fn types up in its root registry only.
@FUNCTIONS.register_module()
def seed_worker(worker_id: int, rank: Optional[int] = None) -> None:
    """Seed a dataloader worker from the seed torch drew for it.

    torch draws a base seed from the main process's random state each time
    a dataloader iterator starts (every epoch, unless workers persist) and
    gives worker ``i`` the seed ``base + i``. Seeding numpy, ``random`` and
    torch from it and the rank gives every worker of every rank and epoch
    its own stream, which a resumed run reproduces because the main
    process's state is in the checkpoint (mmengine's default seeds each
    worker alike in every epoch).

    Use as ``train_dataloader.worker_init_fn=dict(type='seed_worker')``.

    Args:
        worker_id (int): Index of the worker.
        rank (int, optional): Process rank. Defaults to None: the rank of
            the process group, which forked workers inherit.
    """
    info = get_worker_info()
    rank = get_rank() if rank is None else rank
    state = np.random.SeedSequence([info.seed, rank,
                                    worker_id]).generate_state(4)
    np.random.seed(state)
    random.seed(int(state[0]) << 32 | int(state[1]))
    torch.manual_seed(int(state[2]) << 32 | int(state[3]))
