from .builder import build_runner, enable_amp, set_work_dir
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, UnsafeCheckpointError,
                         load_from_local)
from .dist import cpu_dist_cfg, init_cpu_dist

__all__ = [
    'build_runner', 'enable_amp', 'set_work_dir', 'SAFE_CHECKPOINT_GLOBALS',
    'UnsafeCheckpointError', 'load_from_local', 'cpu_dist_cfg', 'init_cpu_dist'
]
