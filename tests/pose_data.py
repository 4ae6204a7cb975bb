"""Small PoseDataset pickles of random 3D skeletons for tests."""
import pickle
from typing import Sequence, Tuple

import numpy as np


def write_pose_dataset(path,
                       train_per_class: Sequence[int],
                       val_per_class: Sequence[int],
                       splits: Tuple[str, str] = ('xsub_train', 'xsub_val'),
                       frames: int = 20,
                       seed: int = 0,
                       empty_splits: Sequence[str] = ()):
    """Write an mmaction2 PoseDataset pickle.

    Class ``c`` has ``train_per_class[c]`` sequences in ``splits[0]`` and
    ``val_per_class[c]`` in ``splits[1]``; every sequence is one person of
    random joints, keypoint (1, frames, 25, 3) float32.

    Returns:
        tuple: the annotations and the split dict written.
    """
    rng = np.random.default_rng(seed)
    annotations = []
    split = {name: [] for name in (*splits, *empty_splits)}
    for label, (num_train, num_val) in enumerate(
            zip(train_per_class, val_per_class)):
        for i in range(num_train + num_val):
            name = f'A{label:03d}_{i:03d}'
            annotations.append(
                dict(
                    frame_dir=name,
                    label=label,
                    total_frames=frames,
                    keypoint=rng.standard_normal(
                        (1, frames, 25, 3)).astype(np.float32)))
            split[splits[0] if i < num_train else splits[1]].append(name)
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)
    return annotations, split


def write_ntu_like(root):
    """14 sequences of 1-2 persons in root/data/skeleton/ntu60_3d.pkl: 10
    in xsub_train, 4 in xsub_val."""
    rng = np.random.default_rng(0)
    annotations = []
    for i in range(14):
        frames = int(rng.integers(20, 60))
        persons = 1 + (i % 3 == 0)
        keypoint = rng.normal(0, 0.3, (persons, frames, 25, 3)) + [0, 0, 3]
        annotations.append(
            dict(
                frame_dir=f'S001C001P{i:03d}R001A001',
                label=i % 3,
                total_frames=frames,
                keypoint=keypoint.astype(np.float32)))
    names = [a['frame_dir'] for a in annotations]
    split = dict(xsub_train=names[:10], xsub_val=names[10:])
    (root / 'data' / 'skeleton').mkdir(parents=True)
    with open(root / 'data' / 'skeleton' / 'ntu60_3d.pkl', 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)
