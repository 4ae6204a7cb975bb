from .collapse_monitor_hook import CollapseMonitorHook, EmbeddingCollapseError
from .pretrained_encoder_check_hook import PretrainedEncoderCheckHook
from .two_stage_loss_hook import TwoStageLossHook

__all__ = [
    'TwoStageLossHook', 'PretrainedEncoderCheckHook', 'CollapseMonitorHook',
    'EmbeddingCollapseError'
]
