from .knn_val_loop import KNNValLoop
from .metrics import *  # noqa: F401,F403

__all__ = ['KNNValLoop']
