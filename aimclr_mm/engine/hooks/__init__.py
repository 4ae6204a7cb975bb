from .batch_size_check_hook import BatchSizeCheckHook, add_batch_size_check
from .pretrained_encoder_check_hook import PretrainedEncoderCheckHook
from .two_stage_loss_hook import TwoStageLossHook

__all__ = [
    'BatchSizeCheckHook', 'add_batch_size_check', 'TwoStageLossHook',
    'PretrainedEncoderCheckHook'
]
