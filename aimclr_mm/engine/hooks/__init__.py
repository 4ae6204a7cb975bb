from .two_stage_loss_hook import TwoStageLossHook

__all__ = ['TwoStageLossHook']
