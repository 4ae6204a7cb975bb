from .atomic_checkpoint_hook import AtomicCheckpointHook
from .finite_check_hook import FiniteCheckHook, non_finite_tensors
from .pretrained_encoder_check_hook import PretrainedEncoderCheckHook
from .random_state_hook import RandomStateHook
from .two_stage_loss_hook import TwoStageLossHook

__all__ = [
    'AtomicCheckpointHook', 'FiniteCheckHook', 'non_finite_tensors',
    'TwoStageLossHook', 'PretrainedEncoderCheckHook', 'RandomStateHook'
]
