from .aimclr import AimCLR

__all__ = ['AimCLR']
