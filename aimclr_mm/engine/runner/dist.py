"""Distributed training without CUDA.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its default
DDP wrapper passes ``device_ids``; both fail on CPU. :func:`init_cpu_dist`
starts a gloo process group from the launcher's environment before the
Runner sets up its own, and :func:`cpu_dist_cfg` adapts a config so that
the Runner wraps the model for CPU data parallelism.
"""
import datetime
import os
import subprocess
from typing import Optional

import torch.distributed as torch_dist
from mmaction.registry import MODEL_WRAPPERS
from mmengine.config import Config
from torch.nn.parallel import DistributedDataParallel

__all__ = ['init_cpu_dist', 'cpu_dist_cfg']


def _env_from_slurm(port: Optional[int] = None) -> None:
    """Fill torch's ``env://`` variables from a slurm job step."""
    node_list = os.environ['SLURM_NODELIST']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')


def _env_from_mpi() -> None:
    """Fill torch's ``env://`` variables from Open MPI's."""
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('The environment variable MASTER_ADDR is not set')
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']


def init_cpu_dist(launcher: str,
                  backend: str = 'gloo',
                  timeout: Optional[float] = None,
                  port: Optional[int] = None,
                  **kwargs) -> None:
    """Initialise the default process group for CPU processes.

    Args:
        launcher (str): ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        backend (str): Backend of the process group. NCCL needs CUDA, so it
            is replaced by ``'gloo'``. Defaults to ``'gloo'``.
        timeout (float, optional): Timeout in seconds. Defaults to None.
        port (int, optional): Master port for slurm. Defaults to None.
        **kwargs: Other arguments of ``init_process_group``.
    """
    if launcher == 'slurm':
        _env_from_slurm(port)
    elif launcher == 'mpi':
        _env_from_mpi()
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher}')
    if backend == 'nccl':
        backend = 'gloo'
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend=backend,
        init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


def cpu_dist_cfg(cfg: Config) -> Config:
    """Adapt ``env_cfg.dist_cfg`` and ``model_wrapper_cfg`` (in place) for
    data-parallel training on CPU processes."""
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg') is None:
        cfg.env_cfg.dist_cfg = dict()
    if cfg.env_cfg.dist_cfg.get('backend', 'nccl') == 'nccl':
        cfg.env_cfg.dist_cfg.backend = 'gloo'

    wrapper_cfg = cfg.get('model_wrapper_cfg')
    if wrapper_cfg is None:
        # The Runner's default wrapper, less the CUDA ``device_ids``.
        wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_type = MODEL_WRAPPERS.get(
        wrapper_cfg.get('type', 'MMDistributedDataParallel'))
    if isinstance(wrapper_type, type) and issubclass(wrapper_type,
                                                     DistributedDataParallel):
        # An explicit None keeps the Runner from filling in the local rank.
        wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
    return cfg


def close_dist() -> None:
    """Destroy the process group, if any, before the process exits.

    Left to interpreter shutdown, gloo's threads can abort rank 0
    (``terminate called without an active exception``) after the run has
    finished and written its results.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        # every rank done with its collectives before any tears down
        torch_dist.barrier()
        torch_dist.destroy_process_group()
