from .aimclr_stgcn import AimCLRSTGCN

__all__ = ['AimCLRSTGCN']
