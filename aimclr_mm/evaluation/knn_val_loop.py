import copy
from typing import Dict, Tuple, Union

from mmengine.runner import ValLoop
from torch.utils.data import DataLoader

from mmaction.registry import LOOPS

from ..datasets import KNNDataset
from ..datasets.pose_validation import pose_dataset_of


#: Settings of the training dataset's checks that the KNN dataset shares
#: unless its config sets them.
VALIDATION_KEYS = ('num_joints', 'num_coords', 'num_classes', 'on_invalid')


def annotation_of(dataset) -> Tuple[str, str]:
    """``(ann_file, split)`` of a PoseDataset, looking through dataset
    wrappers that keep the wrapped dataset as ``.dataset``."""
    seen = dataset
    dataset = pose_dataset_of(dataset)
    ann_file = getattr(dataset, 'ann_file', None)
    split = getattr(dataset, 'split', None)
    if not ann_file or not split:
        raise ValueError(
            f'Cannot find the annotation file and split of the training '
            f'dataset {type(seen).__name__}; set ann_file and bank_split of '
            'the KNNDataset explicitly')
    return ann_file, split


@LOOPS.register_module()
class KNNValLoop(ValLoop):
    """Validation loop for KNN evaluation of the encoder during pretraining.

    A :class:`KNNDataset` in the validation dataloader whose ``ann_file``
    or ``bank_split`` is unset takes them from the training dataloader: the
    training split is the bank, and the test split is the one named like it
    with ``_val`` for ``_train`` (unless ``query_split`` is set). One
    pretraining config thus evaluates on the data set it trains on, and
    checks it the same way: the KNN dataset takes the training dataset's
    ``num_joints``, ``num_coords``, ``num_classes`` and ``on_invalid``
    where its config does not set them. The
    metrics (``knn/top1_k*``) are logged and written to ``vis_data/``
    every ``train_cfg.val_interval`` epochs, which traces KNN accuracy
    against epochs.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The KNN dataloader.
        evaluator (Evaluator or dict or list): Usually ``KNNMetric``.
        fp16 (bool): Validate in fp16. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator,
                 fp16: bool = False) -> None:
        if isinstance(dataloader, dict):
            dataloader = copy.deepcopy(dataloader)
            dataset = dataloader['dataset']
            if dataset.get('type') in ('KNNDataset', KNNDataset) and (
                    dataset.get('ann_file') is None
                    or dataset.get('bank_split') is None):
                ann_file, split = annotation_of(
                    runner.train_dataloader.dataset)
                if dataset.get('ann_file') is None:
                    dataset['ann_file'] = ann_file
                if dataset.get('bank_split') is None:
                    dataset['bank_split'] = split
                train = pose_dataset_of(runner.train_dataloader.dataset)
                for key in VALIDATION_KEYS:
                    if key not in dataset and getattr(train, key,
                                                      None) is not None:
                        dataset[key] = getattr(train, key)
        super().__init__(runner, dataloader, evaluator, fp16)
