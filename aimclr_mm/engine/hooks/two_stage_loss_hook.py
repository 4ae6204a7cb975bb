from typing import Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from ..optim import fraction_to_step
from .utils import unwrapped_model


@HOOKS.register_module()
class TwoStageLossHook(Hook):
    """Switches AimCLR from InfoNCE to nearest-neighbour mining.

    Before every training epoch the model's ``mining`` flag is set from the
    epoch index alone, so a resumed run lands in the right stage. The log
    history of the loss the stage does not use is dropped, so the log never
    shows a stale value of it.

    Args:
        start_epoch (int, optional): 0-based index of the first epoch
            trained with NNM, mmengine's convention (as for ``MultiStepLR``
            milestones). The paper mines from epoch 151 of 300:
            ``start_epoch=150``, the epoch logged as ``Epoch(train) [151]``.
        start_fraction (float, optional): The same as a fraction of
            ``max_epochs`` (rounded to the nearest epoch), so a shorter run
            keeps the shape of the paper's: ``start_fraction=0.5`` is epoch
            150 of 300 and 50 of 100. Give exactly one of the two.
    """

    priority = 'NORMAL'

    def __init__(self,
                 start_epoch: Optional[int] = None,
                 start_fraction: Optional[float] = None) -> None:
        if (start_epoch is None) == (start_fraction is None):
            raise ValueError(
                'TwoStageLossHook takes exactly one of start_epoch '
                f'({start_epoch}) and start_fraction ({start_fraction}); '
                'to give an epoch index to a config that has a fraction, '
                'also pass custom_hooks.0.start_fraction=None')
        if start_fraction is not None and not 0 <= start_fraction <= 1:
            raise ValueError('TwoStageLossHook start_fraction is a fraction '
                             f'of the run in [0, 1], got {start_fraction}')
        self.start_epoch = start_epoch
        self.start_fraction = start_fraction

    def before_train(self, runner) -> None:
        if self.start_fraction is not None:
            self.start_epoch = fraction_to_step(self.start_fraction, 0,
                                                runner.max_epochs)
            runner.logger.info(
                f'Nearest-neighbour mining from epoch {self.start_epoch + 1} '
                f'of {runner.max_epochs} (start_fraction='
                f'{self.start_fraction})')

    def before_train_epoch(self, runner) -> None:
        model = unwrapped_model(runner)
        mining = runner.epoch >= self.start_epoch
        if mining != model.mining:
            runner.logger.info(
                f'Epoch {runner.epoch + 1}: nearest-neighbour mining '
                f'{"on" if mining else "off"} (NNM loss replaces InfoNCE)'
                if mining else f'Epoch {runner.epoch + 1}: InfoNCE loss')
        model.mining = mining
        unused = 'train/loss_infonce' if mining else 'train/loss_nnm'
        runner.message_hub.log_scalars.pop(unused, None)
