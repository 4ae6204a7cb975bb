from .eadm import EADM
from .projection_mlp import ProjectionMLP

__all__ = ['EADM', 'ProjectionMLP']
