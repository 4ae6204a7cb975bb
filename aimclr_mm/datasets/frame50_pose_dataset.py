import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional, Union

import numpy as np
from mmaction.registry import DATASETS, TRANSFORMS
from mmengine.logging import print_log

from .skeleton_pose_dataset import SkeletonPoseDataset
from .transforms import PreNormalizeFrame50


def frame50_cache_path(ann_file: str, split: Optional[str],
                       params: Dict) -> str:
    """Cache file beside ``ann_file``, named by a digest of the file's size
    and modification time, the split and the frame50 parameters: a changed
    annotation file or parameter gives another name, so a stale cache is
    never read."""
    stat = os.stat(ann_file)
    key = json.dumps(
        dict(
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            split=split,
            params=params),
        sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return f'{ann_file}.frame50-{digest}.npz'


def _save_atomically(path: str, arrays: Dict[str, np.ndarray]) -> None:
    """Write an ``.npz`` under a temporary name and rename it into place, so
    a reader sees either no file or the whole file."""
    fd, tmp = tempfile.mkstemp(
        dir=osp.dirname(path) or '.', suffix='.npz.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


@DATASETS.register_module()
class Frame50PoseDataset(SkeletonPoseDataset):
    """:class:`SkeletonPoseDataset` (safe loading, every sample checked)
    whose sequences are brought to the frame50 form once per data set rather
    than per sample and epoch.

    ``PreNormalizeFrame50`` is deterministic, so its output is computed when
    the annotations load and, with ``cache=True``, saved beside the
    annotation file (``<ann_file>.frame50-<digest>.npz``, written
    atomically). The digest covers the annotation file's size and
    modification time, the split and the frame50 parameters, so editing any
    of them recomputes. The pipeline then starts after frame50.

    Args:
        ann_file (str): mmaction2 PoseDataset pickle.
        pipeline (list[dict | callable]): Transforms after frame50.
        split (str, optional): Split name, as ``PoseDataset``.
        frame50 (dict): Arguments of :class:`PreNormalizeFrame50`.
            Defaults to ``dict(clip_len=50, num_person=2)``.
        pre_pipeline (list[dict | callable]): Deterministic transforms run
            once before frame50, e.g. mmaction2's ``PreNormalize2D`` for
            pixel coordinates. Defaults to none.
        cache (bool): Save and reuse the preprocessed sequences on disk.
            False preprocesses in memory at every start. Defaults to True.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[Dict, Callable]],
                 split: Optional[str] = None,
                 frame50: Dict = dict(clip_len=50, num_person=2),
                 pre_pipeline: List[Union[Dict, Callable]] = (),
                 cache: bool = True,
                 **kwargs) -> None:
        self.frame50 = PreNormalizeFrame50(**frame50)
        self.frame50_params = dict(
            clip_len=self.frame50.clip_len,
            num_person=self.frame50.num_person,
            center_joint=self.frame50.center_joint,
            shoulder_joints=list(self.frame50.shoulder_joints))
        # named only when off, so that the caches of 3D files keep their names
        if not self.frame50.keep_score:
            self.frame50_params['keep_score'] = False
        self.pre_pipeline = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in pre_pipeline
        ]
        if self.pre_pipeline:
            # a transform's repr names its arguments, so the cache follows
            self.frame50_params['pre_pipeline'] = [
                repr(t) for t in self.pre_pipeline
            ]
        self.cache = cache
        super().__init__(ann_file, pipeline=pipeline, split=split, **kwargs)

    def load_data_list(self) -> List[Dict]:
        data_list = super().load_data_list()
        names = np.array([str(item['frame_dir']) for item in data_list])
        path = frame50_cache_path(self.ann_file, self.split,
                                  self.frame50_params) if self.cache else None
        arrays = self._read_cache(path, names) if path else None
        if arrays is None:
            arrays = self._pre_normalize(data_list, names)
            if path:
                self._write_cache(path, arrays)
        for i, item in enumerate(data_list):
            item['keypoint'] = arrays['keypoint'][i]
            if 'keypoint_score' in arrays:
                item['keypoint_score'] = arrays['keypoint_score'][i]
            else:
                item.pop('keypoint_score', None)
            item['total_frames'] = self.frame50.clip_len
        return data_list

    def _pre_normalize(self, data_list: List[Dict],
                       names: np.ndarray) -> Dict[str, np.ndarray]:
        outputs = []
        for item in data_list:
            results = dict(item)
            if self.pre_pipeline:
                # a copy, as PreNormalize2D writes into the array, and in
                # float32 as frame50 computes (mmaction2's 2D files: float16)
                keypoint = item['keypoint']
                results['keypoint'] = keypoint.astype(
                    np.result_type(keypoint.dtype, np.float32))
                for transform in self.pre_pipeline:
                    results = transform(results)
            outputs.append(self.frame50(results))
        if not outputs:
            raise ValueError(f'Frame50PoseDataset: split {self.split!r} of '
                             f'{self.ann_file} has no samples')
        arrays = dict(
            frame_dir=names,
            keypoint=np.stack([out['keypoint'] for out in outputs]))
        if all('keypoint_score' in out for out in outputs):
            arrays['keypoint_score'] = np.stack(
                [out['keypoint_score'] for out in outputs])
        return arrays

    def _read_cache(self, path: str,
                    names: np.ndarray) -> Optional[Dict[str, np.ndarray]]:
        if not osp.exists(path):
            return None
        with np.load(path, allow_pickle=False) as cached:
            arrays = {key: cached[key] for key in cached.files}
        if not np.array_equal(arrays.get('frame_dir'), names):
            print_log(
                f'Frame50PoseDataset: {path} does not hold the samples of '
                f'split {self.split!r} in order; recomputing it',
                logger='current')
            return None
        print_log(f'Frame50PoseDataset: read {len(names)} frame50 '
                  f'sequences from {path}', logger='current')
        return arrays

    def _write_cache(self, path: str, arrays: Dict[str, np.ndarray]) -> None:
        try:
            _save_atomically(path, arrays)
        except OSError as error:
            print_log(
                f'Frame50PoseDataset: could not write the frame50 cache '
                f'{path} ({error}); preprocessing again at the next start',
                logger='current', level=30)
            return
        print_log(f'Frame50PoseDataset: wrote {len(arrays["keypoint"])} '
                  f'frame50 sequences to {path}', logger='current')
