from .atomic_checkpoint_hook import AtomicCheckpointHook
from .batch_size_check_hook import BatchSizeCheckHook, add_batch_size_check
from .collapse_monitor_hook import CollapseMonitorHook, EmbeddingCollapseError
from .finite_check_hook import FiniteCheckHook, non_finite_tensors
from .pretrained_encoder_check_hook import PretrainedEncoderCheckHook
from .random_state_hook import RandomStateHook
from .settings_check_hook import (SettingsCheckHook, bank_size_warning,
                                  check_head_classes)
from .two_stage_loss_hook import TwoStageLossHook

__all__ = [
    'AtomicCheckpointHook', 'BatchSizeCheckHook', 'add_batch_size_check',
    'CollapseMonitorHook', 'EmbeddingCollapseError', 'FiniteCheckHook',
    'non_finite_tensors', 'PretrainedEncoderCheckHook', 'RandomStateHook',
    'TwoStageLossHook', 'SettingsCheckHook', 'bank_size_warning',
    'check_head_classes'
]
