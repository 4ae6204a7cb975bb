from .builder import (add_runner_args, build_runner, enable_amp,
                      fit_dataloaders, set_work_dir)
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, UnsafeCheckpointError,
                         load_from_local, use_safe_checkpoint_loading)
from .dist import close_dist, cpu_dist_cfg, init_cpu_dist
from .randomness import (capture_random_states, restore_random_states,
                         seed_worker)
from .resume import find_resumable_checkpoint

__all__ = [
    'add_runner_args', 'build_runner', 'enable_amp', 'fit_dataloaders',
    'set_work_dir',
    'SAFE_CHECKPOINT_GLOBALS', 'UnsafeCheckpointError', 'load_from_local',
    'use_safe_checkpoint_loading', 'close_dist', 'cpu_dist_cfg',
    'init_cpu_dist', 'capture_random_states', 'restore_random_states',
    'seed_worker', 'find_resumable_checkpoint'
]
