from .batch_size_check_hook import BatchSizeCheckHook, add_batch_size_check
from .collapse_monitor_hook import CollapseMonitorHook, EmbeddingCollapseError
from .pretrained_encoder_check_hook import PretrainedEncoderCheckHook
from .two_stage_loss_hook import TwoStageLossHook

__all__ = [
    'BatchSizeCheckHook', 'add_batch_size_check', 'CollapseMonitorHook',
    'EmbeddingCollapseError', 'TwoStageLossHook', 'PretrainedEncoderCheckHook'
]
