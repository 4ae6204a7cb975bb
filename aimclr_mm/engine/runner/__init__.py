from .builder import (add_runner_args, build_runner, enable_amp,
                      fit_dataloaders, set_work_dir)
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, UnsafeCheckpointError,
                         load_from_local)
from .dist import close_dist, cpu_dist_cfg, init_cpu_dist

__all__ = [
    'add_runner_args', 'build_runner', 'enable_amp', 'fit_dataloaders',
    'set_work_dir',
    'SAFE_CHECKPOINT_GLOBALS', 'UnsafeCheckpointError', 'load_from_local',
    'close_dist', 'cpu_dist_cfg', 'init_cpu_dist'
]
