from typing import Optional

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from torch.utils.data import DataLoader

from mmaction.registry import HOOKS

from ...datasets.pose_validation import pose_dataset_of


def check_batches(dataloader: DataLoader, name: str) -> None:
    """Raise if ``dataloader`` yields no batch: with ``drop_last=True`` a
    split smaller than the batch trains (or tests) nothing, silently."""
    batch_size = getattr(dataloader, 'batch_size', None)
    if not getattr(dataloader, 'drop_last', False) or not batch_size:
        return
    if len(dataloader) > 0:
        return
    dataset = dataloader.dataset
    inner = pose_dataset_of(dataset)
    ann_file = getattr(inner, 'ann_file', None)
    split = getattr(inner, 'split', None)
    what = f'split {split!r} of {ann_file}' if ann_file else \
        type(dataset).__name__
    world_size = get_world_size()
    per_rank = len(dataloader.sampler) if hasattr(dataloader.sampler,
                                                  '__len__') else None
    ranks = f' ({per_rank} on each of {world_size} processes)' \
        if world_size > 1 and per_rank is not None else ''
    raise ValueError(
        f'{name}_dataloader: {what} has {len(dataset)} samples{ranks}, '
        f'fewer than batch_size={batch_size} with drop_last=True, so an '
        'epoch would run 0 iterations. Lower the batch size or set '
        'drop_last=False.')


@HOOKS.register_module()
class BatchSizeCheckHook(Hook):
    """Fails before the first iteration when a dataloader with
    ``drop_last=True`` has fewer samples than one batch: the run would
    otherwise train zero iterations per epoch and still save checkpoints.

    Checks the training and validation dataloaders before training and the
    test dataloader before testing. ``tools/train.py``, ``tools/test.py``
    and ``tools/knn_eval.py`` add it to every runner.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        check_batches(runner.train_dataloader, 'train')
        val_loop = runner.val_loop
        if val_loop is not None:
            check_batches(val_loop.dataloader, 'val')

    def before_test(self, runner) -> None:
        check_batches(runner.test_dataloader, 'test')


def add_batch_size_check(runner, hook: Optional[Hook] = None) -> None:
    """Register :class:`BatchSizeCheckHook` unless the runner has one."""
    if not any(isinstance(h, BatchSizeCheckHook) for h in runner.hooks):
        runner.register_hook(hook or BatchSizeCheckHook())
