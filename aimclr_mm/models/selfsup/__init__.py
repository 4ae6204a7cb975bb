from .aimclr import AimCLR
from .cross_stream_aimclr import CrossStreamAimCLR

__all__ = ['AimCLR', 'CrossStreamAimCLR']
