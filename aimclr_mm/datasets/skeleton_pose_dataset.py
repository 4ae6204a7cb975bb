import os.path as osp
from typing import Callable, Dict, List, Optional, Union

from mmaction.datasets import PoseDataset
from mmaction.registry import DATASETS

from .pose_validation import check_on_invalid, checked_split, load_pose_file


@DATASETS.register_module()
class SkeletonPoseDataset(PoseDataset):
    """mmaction2's ``PoseDataset`` that loads its annotation file safely and
    checks every sample before training.

    The file is unpickled by :func:`aimclr_mm.utils.load_pickle`, which
    refuses anything but data. The split must exist and list samples, each
    of them with an annotation; every sample is checked by
    :func:`~aimclr_mm.datasets.pose_validation.check_sample`. Bad samples
    raise one error naming the file and listing them all by ``frame_dir``,
    or are left out and listed in a warning.

    Args:
        ann_file (str): PoseDataset pickle.
        pipeline (list[dict | callable]): Transforms.
        split (str, optional): Split to use, e.g. ``'xsub_train'``; None
            uses every annotation.
        num_joints (int, optional): Joints V per person (25 for the NTU
            RGB+D layout). None accepts any. Defaults to 25.
        num_coords (int, optional): Coordinates C per joint. None accepts
            any. Defaults to 3.
        num_classes (int, optional): Labels must lie in [0, num_classes).
            Defaults to None: any non-negative label.
        on_invalid (str): ``'error'`` (default) or ``'skip'``.
        **kwargs: Other arguments of ``PoseDataset``.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[Dict, Callable]],
                 split: Optional[str] = None,
                 num_joints: Optional[int] = 25,
                 num_coords: Optional[int] = 3,
                 on_invalid: str = 'error',
                 **kwargs) -> None:
        self.num_joints = num_joints
        self.num_coords = num_coords
        self.on_invalid = check_on_invalid(on_invalid)
        super().__init__(ann_file, pipeline, split=split, **kwargs)

    def load_data_list(self) -> List[Dict]:
        data_list = checked_split(
            load_pose_file(self.ann_file), self.split, self)
        # kept for the checks of a run's settings (SettingsCheckHook): the
        # data list itself is serialised away after loading
        self.label_set = sorted(
            {int(anno['label']) for anno in data_list if 'label' in anno})
        if 'video' in self.data_prefix:
            # As PoseDataset does, without changing the loaded annotations.
            data_list = [dict(anno) for anno in data_list]
            for anno in data_list:
                for key in ('filename', 'frame_dir'):
                    if key in anno:
                        anno[key] = osp.join(self.data_prefix['video'],
                                             anno[key])
        return data_list
