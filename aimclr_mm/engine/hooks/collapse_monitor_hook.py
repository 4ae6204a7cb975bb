import math
from typing import Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook

from .utils import unwrapped_model


class EmbeddingCollapseError(RuntimeError):
    """Raised by :class:`CollapseMonitorHook` with ``stop=True``."""


@HOOKS.register_module()
class CollapseMonitorHook(Hook):
    """Watches the embedding statistics of contrastive pretraining.

    AimCLR logs ``query_std`` (std across the batch of the normal-query
    embeddings), ``key_cos`` (mean cosine between the batch's keys) and the
    mean positive and negative logits every iteration. When all embeddings
    of a batch become one vector, the logits are all equal, InfoNCE and D3M
    sit at ln(1 + K) and their gradients vanish: the run goes on without
    learning anything. This hook calls a batch collapsed when ``query_std``
    is below ``std_thr`` or ``key_cos`` above ``cos_thr``, and after
    ``patience`` collapsed iterations in a row it warns once, or with
    ``stop=True`` stops the run with :class:`EmbeddingCollapseError`.

    Args:
        std_thr (float): ``query_std`` below this is collapsed. Unit vectors
            in D dimensions spread at random give about 1 / sqrt(D) (0.088
            for D = 128). Defaults to 1e-3.
        cos_thr (float): ``key_cos`` above this is collapsed. Defaults to
            0.999.
        patience (int): Collapsed iterations in a row before the warning.
            Defaults to 20.
        stop (bool): Raise instead of warning. Defaults to False.
    """

    priority = 'LOW'

    def __init__(self,
                 std_thr: float = 1e-3,
                 cos_thr: float = 0.999,
                 patience: int = 20,
                 stop: bool = False) -> None:
        self.std_thr = std_thr
        self.cos_thr = cos_thr
        self.patience = patience
        self.stop = stop
        self._streak = 0
        self._first: Optional[int] = None
        self._warned = False

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or 'query_std' not in outputs:
            return
        std = float(outputs['query_std'])
        cos = float(outputs.get('key_cos', 0.0))
        if not (std < self.std_thr or cos > self.cos_thr):
            self._streak = 0
            return
        if self._streak == 0:
            self._first = runner.iter + 1
        self._streak += 1
        if self._streak < self.patience or self._warned:
            return
        self._warned = True
        message = self._message(runner, std, cos)
        if self.stop:
            raise EmbeddingCollapseError(message)
        runner.logger.warning(message)

    def _message(self, runner, std: float, cos: float) -> str:
        model = unwrapped_model(runner)
        queue = getattr(model, 'queue', None)
        plateau = (f' (ln(1 + K) = {math.log(1 + queue.size):.4f} for this '
                   f'{queue.size}-key bank)') if queue is not None else ''
        return (
            f'Embeddings collapsed: for {self._streak} iterations in a row '
            f'(since iteration {self._first}, epoch {runner.epoch + 1}) '
            f'query_std = {std:.2e} < {self.std_thr:g} or key_cos = '
            f'{cos:.5f} > {self.cos_thr:g}. All embeddings of a batch are '
            'nearly one vector: the logits are equal, the contrastive losses '
            f'sit at their plateau{plateau} and the encoder no longer '
            'learns. See docs/collapse.md for the cause and the recipe that '
            'avoids it.')
