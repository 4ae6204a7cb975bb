from typing import Optional, Sequence

from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from ..optim import fraction_to_step
from .utils import unwrapped_model


@HOOKS.register_module()
class TwoStageLossHook(Hook):
    """Switches AimCLR from InfoNCE to nearest-neighbour mining, or 3s-AimCLR
    to cross-stream mining.

    Before every training epoch the model's ``flag`` (``mining``, or
    ``cross_stream`` for ``CrossStreamAimCLR``) is set from the epoch index
    alone, so a resumed run lands in the right stage. The log history of
    the loss the stage does not use is dropped (every logged key ending in
    that name, so per-stream keys too), so the log never shows a stale
    value of it.

    Args:
        start_epoch (int, optional): 0-based index of the first epoch
            trained with NNM, mmengine's convention (as for ``MultiStepLR``
            milestones). The paper mines from epoch 151 of 300:
            ``start_epoch=150``, the epoch logged as ``Epoch(train) [151]``.
        start_fraction (float, optional): The same as a fraction of
            ``max_epochs`` (rounded to the nearest epoch), so a shorter run
            keeps the shape of the paper's: ``start_fraction=0.5`` is epoch
            150 of 300 and 50 of 100. Give exactly one of the two.
        flag (str): The model attribute set. Defaults to ``'mining'``.
        losses (Sequence[str]): The loss of the first stage and the one
            that replaces it. Defaults to ``('loss_infonce', 'loss_nnm')``;
            ``('loss_nnm', 'loss_ckm')`` with ``flag='cross_stream'``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 start_epoch: Optional[int] = None,
                 start_fraction: Optional[float] = None,
                 flag: str = 'mining',
                 losses: Sequence[str] = ('loss_infonce', 'loss_nnm')
                 ) -> None:
        if (start_epoch is None) == (start_fraction is None):
            raise ValueError(
                'TwoStageLossHook takes exactly one of start_epoch '
                f'({start_epoch}) and start_fraction ({start_fraction}); '
                'to give an epoch index to a config that has a fraction, '
                'also pass custom_hooks.0.start_fraction=None')
        if start_fraction is not None and not 0 <= start_fraction <= 1:
            raise ValueError('TwoStageLossHook start_fraction is a fraction '
                             f'of the run in [0, 1], got {start_fraction}')
        if len(losses) != 2:
            raise ValueError('TwoStageLossHook losses names the loss of each '
                             f'stage, two names, got {tuple(losses)}')
        self.start_epoch = start_epoch
        self.start_fraction = start_fraction
        self.flag = flag
        self.losses = tuple(losses)

    def before_train(self, runner) -> None:
        if self.start_fraction is not None:
            self.start_epoch = fraction_to_step(self.start_fraction, 0,
                                                runner.max_epochs)
            runner.logger.info(
                f'{self.losses[1]} replaces {self.losses[0]} ({self.flag}) '
                f'from epoch {self.start_epoch + 1} of {runner.max_epochs} '
                f'(start_fraction={self.start_fraction})')

    def before_train_epoch(self, runner) -> None:
        model = unwrapped_model(runner)
        second = runner.epoch >= self.start_epoch
        if second != getattr(model, self.flag):
            runner.logger.info(
                f'Epoch {runner.epoch + 1}: {self.flag} '
                f'{"on" if second else "off"} ({self.losses[int(second)]})')
        setattr(model, self.flag, second)
        unused = self.losses[0 if second else 1]
        scalars = runner.message_hub.log_scalars
        for key in [k for k in scalars
                    if k.startswith('train/') and k.endswith(unused)]:
            scalars.pop(key)
