from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Automatic mixed precision training on CPU.

    mmengine's ``AmpOptimWrapper`` requires CUDA (or another accelerator).
    This wrapper runs the forward pass and loss inside
    ``torch.autocast(device_type='cpu', dtype=dtype)`` and otherwise behaves
    like :class:`mmengine.optim.OptimWrapper`.

    Args:
        dtype (str or torch.dtype, optional): ``'bfloat16'`` or
            ``'float16'``; None means bfloat16. Defaults to ``'bfloat16'``.
        loss_scale (str, float, dict or None): Gradient scaling.
            ``'auto'`` uses a dynamic ``torch.amp.GradScaler`` for float16,
            whose gradients can underflow, and none for bfloat16, which has
            the exponent range of float32. ``'dynamic'``, a float (static
            scale) or a dict of ``GradScaler`` arguments force a scaler;
            None disables it. Defaults to ``'auto'``.
        **kwargs: Arguments of :class:`OptimWrapper`.
    """

    valid_dtypes = ('bfloat16', 'float16')

    def __init__(self,
                 dtype: Optional[Union[str, torch.dtype]] = 'bfloat16',
                 loss_scale: Optional[Union[str, float, dict]] = 'auto',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype is None:
            dtype = 'bfloat16'
        elif isinstance(dtype, torch.dtype):
            dtype = str(dtype).replace('torch.', '')
        if dtype not in self.valid_dtypes:
            raise ValueError(
                f'dtype must be one of {self.valid_dtypes}, got {dtype}')
        self.cast_dtype = getattr(torch, dtype)

        if loss_scale == 'auto':
            loss_scale = 'dynamic' if dtype == 'float16' else None
        self._scale_update_param = None
        if loss_scale is None:
            self.loss_scaler = None
        elif loss_scale == 'dynamic':
            self.loss_scaler = torch.amp.GradScaler('cpu')
        elif isinstance(loss_scale, float):
            # A static scale: ``update`` resets it to the same value.
            self._scale_update_param = loss_scale
            self.loss_scaler = torch.amp.GradScaler(
                'cpu', init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = torch.amp.GradScaler('cpu', **loss_scale)
        else:
            raise TypeError('loss_scale must be "auto", "dynamic", a float, '
                            f'a dict or None, got {loss_scale}')

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Back-propagate the (scaled) loss."""
        if self.loss_scaler is None:
            super().backward(loss, **kwargs)
            return
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Update the parameters, skipping steps with inf/NaN gradients when
        a loss scaler is used."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> dict:
        """Optimizer state plus ``loss_scaler`` when one is used."""
        state_dict = super().state_dict()
        if self.loss_scaler is not None:
            state_dict['loss_scaler'] = self.loss_scaler.state_dict()
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the optimizer state and, if present, the loss scaler's."""
        state_dict = dict(state_dict)
        loss_scaler_state = state_dict.pop('loss_scaler', None)
        if loss_scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(loss_scaler_state)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient accumulation context of :class:`OptimWrapper` with CPU
        autocast enabled."""
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
