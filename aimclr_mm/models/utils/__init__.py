from .key_queue import KeyQueue, gather_from_all_ranks
from .momentum_encoder import MomentumEncoder

__all__ = ['KeyQueue', 'MomentumEncoder', 'gather_from_all_ranks']
