from typing import Optional

from mmengine.hooks import Hook

from mmaction.registry import HOOKS

from ...datasets.pose_validation import pose_dataset_of
from .utils import unwrapped_model


def _what(dataset) -> str:
    inner = pose_dataset_of(dataset)
    ann_file = getattr(inner, 'ann_file', None)
    split = getattr(inner, 'split', None)
    return f'split {split!r} of {ann_file}' if ann_file else \
        type(dataset).__name__


def check_head_classes(model, dataset) -> None:
    """Raise unless a classification head has exactly the classes of the
    training labels, 0 ... max label (a head too small cannot learn some
    labels; one too large is a config left at another data set's count)."""
    head = getattr(model, 'cls_head', None)
    num_classes = getattr(head, 'num_classes', None)
    # the labels SkeletonPoseDataset saw at load (of the whole split, which
    # a class-balanced subset of it covers)
    labels = getattr(pose_dataset_of(dataset), 'label_set', None)
    if num_classes is None or not labels:
        return
    needed = max(labels) + 1
    if needed != num_classes:
        raise ValueError(
            f'model.cls_head.num_classes={num_classes}, but the labels of '
            f'{_what(dataset)} are 0 ... {max(labels)} ({needed} classes, '
            f'{len(labels)} present): set model.cls_head.num_classes='
            f'{needed} (and the datasets\' num_classes) for this data')


def bank_size_warning(model, dataset) -> Optional[str]:
    """A warning when the memory bank holds more keys than the training
    split has sequences: the bank then keeps stale keys of the same
    sequences, which count as negatives of their own newer views."""
    models = getattr(model, 'streams', None)
    queue = getattr(model, 'queue', None)
    if queue is None and models is not None:
        queue = next(iter(models.values())).queue
    if queue is None or not len(dataset) or queue.size <= len(dataset):
        return None
    return (f'model.queue_size={queue.size} is larger than the '
            f'{len(dataset)} sequences of {_what(dataset)}: the bank holds '
            'several keys of each sequence, older ones counting as negatives '
            f'of its newer views. A bank of at most {len(dataset)} keys '
            'avoids that.')


@HOOKS.register_module()
class SettingsCheckHook(Hook):
    """Checks, before the first iteration, that the model's settings fit the
    training data: a classification head has the classes of the labels
    (:func:`check_head_classes`), and a memory bank no larger than the
    training split is recommended (:func:`bank_size_warning`).
    :func:`~aimclr_mm.engine.runner.build_runner` adds it to every
    runner."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = unwrapped_model(runner)
        dataset = runner.train_dataloader.dataset
        check_head_classes(model, dataset)
        warning = bank_size_warning(model, dataset)
        if warning:
            runner.logger.warning(warning)
