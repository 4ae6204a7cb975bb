import math
from typing import Sequence

from mmaction.registry import PARAM_SCHEDULERS
from mmengine.optim import MultiStepLR
from mmengine.optim.scheduler.param_scheduler import INF


def fraction_to_step(fraction: float, begin: int, end: int) -> int:
    """The step ``fraction`` of the way through ``[begin, end)``, counted
    from ``begin`` (0-based), rounded to the nearest one (halves up)."""
    return math.floor(fraction * (end - begin) + 0.5)


@PARAM_SCHEDULERS.register_module()
class FractionalMultiStepLR(MultiStepLR):
    """``MultiStepLR`` with its milestones given as fractions of the run.

    A config that shortens or lengthens training (``train_cfg.max_epochs``)
    keeps the shape of its schedule: the paper's pretraining decays the lr
    at epoch index 250 of 300, ``milestones=[5 / 6]``, which is index 83
    (logged as epoch 84) of a 100-epoch run. The runner sets ``end`` to
    ``max_epochs`` when the config leaves it out.

    Args:
        milestones (Sequence[float]): Fractions in (0, 1) of
            ``end - begin``, increasing; each is rounded to the nearest
            epoch (or iteration).
        begin, end, by_epoch, gamma: As for ``MultiStepLR``.
    """

    def __init__(self,
                 optimizer,
                 milestones: Sequence[float],
                 begin: int = 0,
                 end: int = INF,
                 **kwargs):
        if end == INF:
            raise ValueError(
                'FractionalMultiStepLR needs the length of the run: give '
                '`end`, or build it through a Runner with a train loop')
        fractions = list(milestones)
        if (not all(0 < f < 1 for f in fractions)
                or sorted(fractions) != fractions):
            raise ValueError(
                'FractionalMultiStepLR milestones are increasing fractions '
                f'of the run in (0, 1), got {fractions}; use MultiStepLR '
                'for epoch indices')
        super().__init__(
            optimizer,
            milestones=[fraction_to_step(f, begin, end) for f in fractions],
            begin=begin,
            end=end,
            **kwargs)

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              begin=0,
                              end=INF,
                              by_epoch=True,
                              epoch_length=None,
                              **kwargs):
        """Iteration-based from an epoch-based config: the fractions stay,
        the span is converted."""
        assert by_epoch and epoch_length, \
            'needs by_epoch=True and the epoch length'
        return cls(
            *args,
            begin=int(begin * epoch_length),
            end=end if end == INF else int(end * epoch_length),
            by_epoch=False,
            **kwargs)
