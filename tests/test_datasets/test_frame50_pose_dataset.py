import os

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from aimclr_mm.datasets import Frame50PoseDataset
from aimclr_mm.datasets.transforms import PreNormalizeFrame50
from mmaction.datasets import PoseDataset
from pose_data import write_pose_dataset

PIPELINE = [dict(type='PackActionInputs')]


def build(ann_file, **kwargs):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return Frame50PoseDataset(
            ann_file=str(ann_file), split='xsub_train', pipeline=PIPELINE,
            **kwargs)


def caches(tmp_path):
    return sorted(p.name for p in tmp_path.glob('*.frame50-*.npz'))


@pytest.fixture
def ann_file(tmp_path):
    path = tmp_path / 'poses.pkl'
    write_pose_dataset(path, [3, 2], [1, 1], frames=37)
    return path


def test_same_sequences_as_per_sample_frame50(ann_file, tmp_path):
    dataset = build(ann_file)
    with DefaultScope.overwrite_default_scope('mmaction'):
        reference = PoseDataset(
            ann_file=str(ann_file), split='xsub_train',
            pipeline=[dict(type='PreNormalizeFrame50')] + PIPELINE)
    assert len(dataset) == len(reference) == 5
    for i in range(len(dataset)):
        ours, theirs = dataset[i], reference[i]
        assert ours['inputs'].shape == (2, 50, 25, 3)
        assert ours['inputs'].equal(theirs['inputs'])
        assert ours['data_samples'].gt_labels.item.equal(
            theirs['data_samples'].gt_labels.item)
    assert len(caches(tmp_path)) == 1


def test_cache_is_reused_and_invalidated(ann_file, tmp_path, monkeypatch):
    first = build(ann_file)
    [name] = caches(tmp_path)

    def fail(self, results):
        raise AssertionError('frame50 recomputed although cached')

    monkeypatch.setattr(PreNormalizeFrame50, 'transform', fail)
    again = build(ann_file)
    assert again[3]['inputs'].equal(first[3]['inputs'])
    assert caches(tmp_path) == [name]
    monkeypatch.undo()

    # other parameters, another cache
    short = build(ann_file, frame50=dict(clip_len=20, num_person=2))
    assert short[0]['inputs'].shape == (2, 20, 25, 3)
    assert len(caches(tmp_path)) == 2
    # a rewritten annotation file, another cache
    write_pose_dataset(ann_file, [3, 2], [1, 1], frames=37, seed=1)
    stat = os.stat(ann_file)
    os.utime(ann_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    rewritten = build(ann_file)
    assert len(caches(tmp_path)) == 3
    assert not rewritten[3]['inputs'].equal(first[3]['inputs'])
    assert not list(tmp_path.glob('*.tmp'))


def test_opt_out_writes_nothing(ann_file, tmp_path):
    dataset = build(ann_file, cache=False)
    assert dataset[0]['inputs'].shape == (2, 50, 25, 3)
    assert caches(tmp_path) == []


def test_bad_sample_named(tmp_path):
    path = tmp_path / 'poses.pkl'
    annotations, _ = write_pose_dataset(path, [2], [0], frames=10)
    import pickle
    with open(path, 'rb') as f:
        data = pickle.load(f)
    data['annotations'][1]['keypoint'][0, 3, 7, 1] = np.nan
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    with pytest.raises(ValueError, match='A000_001.*NaN'):
        build(path)
    assert caches(tmp_path) == []
