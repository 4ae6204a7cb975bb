"""Build an mmengine Runner for the machine at hand (CUDA or CPU only)."""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

from mmaction.registry import RUNNERS
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.dist import is_distributed
from mmengine.runner import Runner

from ..hooks import add_batch_size_check
from ..hooks.settings_check_hook import SettingsCheckHook
from .checkpoint import log_load_mismatch, use_safe_checkpoint_loading
from .dist import cpu_dist_cfg, init_cpu_dist
from .resume import find_resumable_checkpoint

__all__ = [
    'add_runner_args', 'build_runner', 'enable_amp', 'set_work_dir',
    'fit_dataloaders'
]


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add the options every runner tool shares: ``--cfg-options``,
    ``--launcher`` and ``--local-rank`` (which also sets ``LOCAL_RANK``
    when no launcher did)."""

    class LocalRank(argparse.Action):

        def __call__(self, parser, namespace, value, option_string=None):
            setattr(namespace, self.dest, value)
            os.environ.setdefault('LOCAL_RANK', str(value))

    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, in xxx=yyy format; a list is '
        'written key="[a,b]" or key=a,b, without white space')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, action=LocalRank)
    os.environ.setdefault('LOCAL_RANK', '0')

_PLAIN_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper')


def set_work_dir(cfg: Config,
                 config_path: str,
                 work_dir: Optional[str] = None) -> Config:
    """Set ``cfg.work_dir``: ``work_dir`` if given, else the config's own,
    else ``work_dirs/<config file stem>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(config_path))[0]
        cfg.work_dir = osp.join('./work_dirs', stem)
    return cfg


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> Config:
    """Switch ``cfg.optim_wrapper`` to mixed precision.

    mmengine's ``AmpOptimWrapper`` is used on an accelerator and
    :class:`~aimclr_mm.engine.optim.CPUAmpOptimWrapper` on CPU.

    Args:
        cfg (Config): The config, changed in place.
        dtype (str, optional): ``'float16'`` or ``'bfloat16'``. Defaults to
            None: float16 on an accelerator, bfloat16 on CPU.
    """
    optim_wrapper = cfg.optim_wrapper
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type not in _PLAIN_WRAPPERS:
        raise ValueError('Mixed precision cannot replace the custom optim '
                         f'wrapper `{wrapper_type}`.')
    if get_device() == 'cpu':
        optim_wrapper.type = 'CPUAmpOptimWrapper'
        optim_wrapper.pop('use_fsdp', None)
    else:
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    if dtype is not None:
        optim_wrapper.dtype = dtype
    return cfg


def fit_dataloaders(cfg: Config) -> Config:
    """Give no dataloader more workers than the machine has CPUs (the
    configs' 4 are for a GPU server; PyTorch warns past the CPU count) and
    turn ``persistent_workers`` off in every dataloader that loads in the
    main process (``num_workers=0``), where PyTorch refuses it."""
    cpus = os.cpu_count() or 1
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not isinstance(loader, dict):
            continue
        if loader.get('num_workers', 0) > cpus:
            loader['num_workers'] = cpus
        if not loader.get('num_workers', 0):
            loader['persistent_workers'] = False
    return cfg


def check_optimizer(cfg: Config) -> None:
    """Refuse an optimizer momentum outside [0, 1): torch's SGD accepts any
    non-negative value, and one >= 1 diverges without an error."""
    optimizer = (cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    momentum = optimizer.get('momentum') if isinstance(optimizer,
                                                       dict) else None
    if momentum is not None and not 0 <= momentum < 1:
        raise ValueError('optim_wrapper.optimizer.momentum must be in '
                         f'[0, 1), got {momentum}')


def check_annotation_files(cfg: Config, loaders: Sequence[str]) -> None:
    """Refuse a missing annotation file of the dataloaders a run uses, with
    the config key, before the Runner logs its whole config (mmengine would
    fail only when it builds the dataset)."""
    for name in loaders:
        dataset = (cfg.get(name) or {}).get('dataset')
        key = f'{name}.dataset'
        while isinstance(dataset, dict):
            path = dataset.get('ann_file')
            if path and not osp.exists(path):
                raise FileNotFoundError(
                    f'{key}.ann_file: {path} does not exist (relative paths '
                    f'are from {os.getcwd()}); prepare the data '
                    '(docs/data_preparation.md) or pass '
                    f'--cfg-options {key}.ann_file=PATH')
            dataset, key = dataset.get('dataset'), f'{key}.dataset'


def build_runner(cfg: Config, loaders: Sequence[str] = ()) -> Runner:
    """Build the Runner of ``cfg`` (``runner_type`` or mmengine's Runner).

    With ``cfg.launcher`` other than ``'none'`` and no accelerator, the
    config is adapted to gloo and a CPU DDP wrapper, and the process group is
    started here, because mmengine's ``init_dist`` needs CUDA. Every runner
    gets a :class:`~aimclr_mm.engine.hooks.BatchSizeCheckHook` and a
    :class:`~aimclr_mm.engine.hooks.SettingsCheckHook`; an optimizer
    momentum outside [0, 1) is refused (:func:`check_optimizer`). Dataloaders
    with ``num_workers=0`` get ``persistent_workers=False``. Local
    checkpoints are loaded with :func:`use_safe_checkpoint_loading`. With
    ``resume=True`` and no ``load_from``, the run resumes from
    :func:`find_resumable_checkpoint` of the work directory, which passes
    over a missing or truncated checkpoint that ``last_checkpoint`` names;
    with no checkpoint there it says so and starts from scratch, as mmengine
    does. The annotation files of ``loaders`` (the dataloaders the run will
    use) must exist (:func:`check_annotation_files`).
    """
    check_annotation_files(cfg, loaders)
    check_optimizer(cfg)
    fit_dataloaders(cfg)
    use_safe_checkpoint_loading()
    notes, fresh_start = [], False
    if cfg.get('resume') and cfg.get('load_from') is None \
            and cfg.get('work_dir'):
        path, notes = find_resumable_checkpoint(cfg.work_dir)
        if path is not None:
            cfg.load_from = path
        else:
            fresh_start = True
    launcher = cfg.get('launcher', 'none')
    if launcher != 'none' and get_device() == 'cpu':
        cpu_dist_cfg(cfg)
        if not is_distributed():
            dist_cfg = dict(cfg.env_cfg.dist_cfg)
            dist_cfg.pop('init_backend', None)
            init_cpu_dist(launcher, **dist_cfg)
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    add_batch_size_check(runner)
    log_load_mismatch(runner.logger)
    if not any(isinstance(h, SettingsCheckHook) for h in runner.hooks):
        runner.register_hook(SettingsCheckHook())
    if fresh_start:
        runner.logger.warning(
            f'--resume: no checkpoint to resume from in {cfg.work_dir}; '
            'training starts from scratch. '
            'Give the checkpoint as `--resume PATH` to resume from '
            'another directory.')
    for note in notes:
        runner.logger.warning(note)
    return runner
