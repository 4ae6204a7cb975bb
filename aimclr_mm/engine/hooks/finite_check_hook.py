import math
from itertools import chain
from typing import Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.hooks import Hook

from mmaction.registry import HOOKS

from .utils import unwrapped_model


def non_finite_tensors(named: Iterable[Tuple[str, object]]) -> List[str]:
    """Names of the floating-point tensors holding NaN or Inf.

    Non-tensor values and integer tensors (e.g. ``num_batches_tracked``,
    the queue pointer) are skipped.
    """
    named = [(name, value) for name, value in named
             if torch.is_tensor(value) and value.is_floating_point()
             and value.numel() > 0]
    if not named:
        return []
    # One device synchronisation when everything is finite.
    finite = torch.stack(
        [torch.isfinite(value.detach()).all() for _, value in named])
    if bool(finite.all()):
        return []
    return [name for (name, _), ok in zip(named, finite.tolist()) if not ok]


def _value(value) -> float:
    return float(value.detach().float().mean()) if torch.is_tensor(value) \
        else float(value)


@HOOKS.register_module()
class FiniteCheckHook(Hook):
    """Stops training at the first non-finite loss or weight.

    mmengine has no such check: a NaN loss trains on and is checkpointed.

    After every training iteration the loss terms the model returned
    (``loss``, ``loss_infonce``, ...) are checked; every ``interval``
    iterations also the parameters and buffers after the optimizer step,
    which catches a non-finite gradient applied while the loss was still
    finite, or an overflowing BatchNorm statistic (a step skipped by a
    mixed-precision loss scaler leaves them finite).
    The error names the iteration, the terms or tensors and the last
    checkpoint written; it is raised before any later checkpoint could be
    saved, so the checkpoints on disk keep finite weights.

    Args:
        interval (int): Check the parameters every ``interval`` iterations.
            Defaults to 1.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        terms = {name: _value(value)
                 for name, value in (outputs or {}).items()
                 if name.startswith('loss')}
        bad = [
            name for name, value in terms.items()
            if not math.isfinite(value)
        ]
        if bad:
            finite = [f'{name}={value:.4g}' for name, value in terms.items()
                      if name not in bad]
            self._stop(
                runner, batch_idx,
                'non-finite loss ' + ', '.join(
                    f'{name}={terms[name]}' for name in bad) +
                (f' (finite: {", ".join(finite)})' if finite else ''))
        if self.every_n_train_iters(runner, self.interval):
            model = unwrapped_model(runner)
            bad = non_finite_tensors(
                chain(model.named_parameters(), model.named_buffers()))
            if bad:
                self._stop(
                    runner, batch_idx,
                    f'{len(bad)} weight tensor(s) non-finite after the '
                    f'step ({", ".join(bad[:5])}'
                    f'{", ..." if len(bad) > 5 else ""}) while the loss terms '
                    'were finite (' +
                    ', '.join(f'{k}={v:.4g}' for k, v in terms.items()) +
                    '): a non-finite gradient was applied or a statistic '
                    'overflowed')

    @staticmethod
    def _stop(runner, batch_idx: int, what: str) -> None:
        last = runner.message_hub.get_info('last_ckpt')
        kept = f'the last checkpoint written is {last}' if last else \
            'no checkpoint was written yet'
        try:
            num_batches = f' of {len(runner.train_dataloader)}'
        except TypeError:
            num_batches = ''
        raise FloatingPointError(
            f'FiniteCheckHook: {what} at iteration {runner.iter + 1} '
            f'(epoch {runner.epoch + 1}, batch {batch_idx + 1}'
            f'{num_batches}). Training stopped; {kept}. Lower the learning '
            'rate (optim_wrapper.optimizer.lr) or clip gradients '
            '(optim_wrapper.clip_grad=dict(max_norm=...)) and resume or '
            'restart from it.')
