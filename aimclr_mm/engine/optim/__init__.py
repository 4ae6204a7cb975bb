from .cpu_amp_optimizer_wrapper import CPUAmpOptimWrapper
from .fractional_multi_step_lr import FractionalMultiStepLR, fraction_to_step

__all__ = ['CPUAmpOptimWrapper', 'FractionalMultiStepLR', 'fraction_to_step']
