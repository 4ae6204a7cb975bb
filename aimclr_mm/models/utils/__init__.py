from .key_queue import KeyQueue, gather_from_all_ranks
from .momentum_encoder import MomentumEncoder
from .official_checkpoint import convert_official_state_dict

__all__ = [
    'KeyQueue', 'MomentumEncoder', 'gather_from_all_ranks',
    'convert_official_state_dict'
]
