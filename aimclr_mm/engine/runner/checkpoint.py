"""Checkpoint loading that never unpickles arbitrary objects.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True``, which
refuses the few non-tensor objects that mmengine writes into checkpoint
metadata. :func:`use_safe_checkpoint_loading` allowlists exactly those
objects and makes mmengine's loader for local paths (used by ``load_from``,
``resume`` and ``init_cfg=dict(type='Pretrained')``) load with
``weights_only=True``; any other pickled global is refused with
:class:`UnsafeCheckpointError`. Importing this module changes nothing: the
runner tools (through :func:`~aimclr_mm.engine.runner.build_runner`) opt in.
"""
import logging
import os.path as osp
import pickle
from typing import Callable, List, Optional, Union

import numpy as np
import mmengine.runner.runner as mmengine_runner
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import \
    _load_checkpoint_to_model as _mmengine_load_checkpoint_to_model

from aimclr_mm.utils.weights_only import refusal_reason

__all__ = [
    'UnsafeCheckpointError', 'SAFE_CHECKPOINT_GLOBALS', 'load_from_local',
    'use_safe_checkpoint_loading', 'log_load_mismatch'
]

# ``HistoryBuffer.__getstate__`` stores its statistics methods; pickle
# protocol 2 writes a method as ``getattr(HistoryBuffer, name)``.
_HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles an object outside the allowlist."""


def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to the pickled methods of HistoryBuffer."""
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr is only allowed on HistoryBuffer '
        f'statistics methods, got getattr({obj!r}, {name!r})')


def _numpy_globals() -> list:
    """numpy arrays and scalars of boolean and numeric dtypes.

    The array and scalar constructors are named under both numpy 1.x and
    2.x module paths (``numpy.core`` became ``numpy._core``). Object, string
    and structured dtypes stay refused.
    """
    reconstruct = np.empty(0).__reduce__()[0]
    scalar = np.float64(0).__reduce__()[0]
    named = [(fn, f'numpy.{pkg}.multiarray.{fn.__name__}')
             for fn in (reconstruct, scalar) for pkg in ('core', '_core')]
    codes = '?' + np.typecodes['AllInteger'] + np.typecodes['AllFloat']
    # numpy >= 1.25 gives each dtype its own class, which unpickling builds.
    dtype_classes = {type(np.dtype(code)) for code in codes} - {np.dtype}
    return [
        np.ndarray, np.dtype, *named,
        *sorted(dtype_classes, key=lambda cls: cls.__name__)
    ]


#: Globals found in checkpoints written by mmengine's Runner: the message
#: hub's ``HistoryBuffer`` log scalars (numpy arrays inside) and numpy
#: scalars in its runtime info (e.g. ``eta``).
SAFE_CHECKPOINT_GLOBALS: List[Union[Callable, tuple]] = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
    *_numpy_globals(),
]


def _refusal_reason(filename: str, error: Exception) -> str:
    """Say which pickled object made ``weights_only`` loading fail (zip and
    legacy files), without torch's advice to set ``weights_only=False``."""
    with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
        return refusal_reason(filename, error)


def load_from_local(filename: str,
                    map_location: Optional[Union[str, Callable]] = None):
    """Load a local checkpoint with ``torch.load(weights_only=True)``.

    Raises:
        UnsafeCheckpointError: if the file pickles any global that is
            neither a torch default nor in :data:`SAFE_CHECKPOINT_GLOBALS`.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {filename}: '
            f'{_refusal_reason(filename, error)}. Checkpoints may only hold '
            'tensors, plain containers and the objects in '
            'aimclr_mm.engine.runner.SAFE_CHECKPOINT_GLOBALS; convert the '
            'file to a plain state dict with code you trust.') from None


def use_safe_checkpoint_loading() -> None:
    """Make mmengine load local checkpoints with :func:`load_from_local`.

    Replaces mmengine's loader of paths without a URL prefix (``load_from``,
    ``resume``, ``Pretrained`` init) for the rest of the process. The runner
    tools call it; code that imports :mod:`aimclr_mm` as a plugin keeps
    mmengine's loader unless it calls this. Calling it again does nothing.
    """
    # '' is mmengine's fallback scheme: every path without a URL prefix.
    if CheckpointLoader._schemes.get('') is not load_from_local:
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_from_local, force=True)


def _load_checkpoint_to_model_logged(model, checkpoint, strict=False,
                                     logger=None,
                                     revise_keys=[(r'^module\.', '')]):
    return _mmengine_load_checkpoint_to_model(model, checkpoint, strict,
                                              logger or 'current',
                                              revise_keys)


def log_load_mismatch(logger: logging.Logger) -> None:
    """Send mmengine's warning of a non-strict ``load_from`` to ``logger``,
    cut to counts per module (:class:`MismatchSummary`).

    ``Runner.load_checkpoint`` passes no logger, so mmengine ``print``s the
    warning, every key on one line; here the runner module's loader gets
    the current logger. Calling it again does nothing more.
    """
    from ..hooks.pretrained_encoder_check_hook import MismatchSummary
    mmengine_runner._load_checkpoint_to_model = \
        _load_checkpoint_to_model_logged
    if not any(isinstance(f, MismatchSummary) for f in logger.filters):
        logger.addFilter(MismatchSummary())
