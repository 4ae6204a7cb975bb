from typing import Callable, Dict, List, Optional, Union

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS

from .pose_validation import check_on_invalid, checked_split, load_pose_file


def query_split_of(bank_split: str) -> str:
    """The test split paired with a training split: ``'xsub_train'`` ->
    ``'xsub_val'``, mmaction2's naming for NTU RGB+D and PKU-MMD."""
    if not isinstance(bank_split, str) or not bank_split.endswith('_train'):
        raise ValueError(
            f'Cannot derive the test split of the training split '
            f'{bank_split!r} (it does not end with "_train"); set the '
            'query split explicitly')
    return bank_split[:-len('train')] + 'val'


def training_split_settings(cfg) -> dict:
    """The settings of the dataset in ``cfg.train_dataloader`` that names
    the split, through wrappers (e.g. ``RepeatDataset``): its
    ``ann_file``, ``split`` and data options."""
    train = cfg.train_dataloader['dataset']
    while 'split' not in train and 'dataset' in train:
        train = train['dataset']
    return train


@DATASETS.register_module()
class KNNDataset(BaseActionDataset):
    """Two splits of one PoseDataset annotation file for KNN evaluation:
    the training split, the feature bank, followed by the test split, the
    queries.

    Every packed sample carries ``knn_bank`` (True for the bank) in its
    data sample's metainfo, which :class:`KNNMetric` reads. The annotation
    file is loaded once for both splits, safely and with both splits
    checked as :class:`SkeletonPoseDataset` checks its split, so that a bad
    sample fails when the dataset is built, not at the first validation.

    Args:
        ann_file (str): PoseDataset pickle with a ``split`` dict.
        bank_split (str): Split whose features form the bank, e.g.
            ``'xsub_train'``.
        query_split (str, optional): Split classified by its nearest bank
            features. Defaults to ``bank_split`` with ``_train`` replaced by
            ``_val``.
        pipeline (list[dict | callable]): Transforms producing one clip
            per sample, without augmentation.
        num_joints, num_coords, num_classes, on_invalid: As in
            :class:`SkeletonPoseDataset`.
        **kwargs: Other arguments of ``BaseActionDataset``.
    """

    def __init__(self,
                 ann_file: Optional[str],
                 pipeline: List[Union[Dict, Callable]],
                 bank_split: Optional[str] = None,
                 query_split: Optional[str] = None,
                 num_joints: Optional[int] = 25,
                 num_coords: Optional[int] = 3,
                 on_invalid: str = 'error',
                 **kwargs) -> None:
        if ann_file is None or bank_split is None:
            raise ValueError(
                'KNNDataset: ann_file and bank_split must be set (KNNValLoop '
                'and tools/knn_eval.py take them from the training '
                f'dataloader); got ann_file={ann_file!r}, '
                f'bank_split={bank_split!r}')
        self.bank_split = bank_split
        self.query_split = query_split or query_split_of(bank_split)
        self.num_joints = num_joints
        self.num_coords = num_coords
        self.on_invalid = check_on_invalid(on_invalid)
        kwargs.setdefault('test_mode', True)
        super().__init__(
            ann_file, pipeline=pipeline, modality='Pose', **kwargs)

    def load_data_list(self) -> List[Dict]:
        data = load_pose_file(self.ann_file)
        data_list = []
        for split, is_bank in ((self.bank_split, True),
                               (self.query_split, False)):
            samples = checked_split(data, split, self)
            data_list.extend(dict(anno, knn_bank=is_bank) for anno in samples)
        return data_list

    def prepare_data(self, idx: int) -> Dict:
        data_info = self.get_data_info(idx)
        packed = self.pipeline(data_info)
        packed['data_samples'].set_metainfo(
            dict(knn_bank=data_info['knn_bank']))
        return packed
