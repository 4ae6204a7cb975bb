from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from .utils import unwrapped_model


@HOOKS.register_module()
class TwoStageLossHook(Hook):
    """Switches AimCLR from InfoNCE to nearest-neighbour mining.

    Before every training epoch the model's ``mining`` flag is set from the
    epoch index alone, so a resumed run lands in the right stage. The log
    history of the loss the stage does not use is dropped, so the log never
    shows a stale value of it.

    Args:
        start_epoch (int): 0-based index of the first epoch trained with
            NNM, mmengine's convention (as for ``MultiStepLR`` milestones).
            The paper mines from epoch 151 of 300: ``start_epoch=150``, the
            epoch logged as ``Epoch(train) [151]``.
    """

    priority = 'NORMAL'

    def __init__(self, start_epoch: int) -> None:
        self.start_epoch = start_epoch

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
