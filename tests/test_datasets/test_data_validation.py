"""Annotation files are checked when a dataset is built: every bad sample is
named with its reason and the file, before the first training iteration."""
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope

from aimclr_mm.datasets import InvalidDataError, KNNDataset
from aimclr_mm.datasets import pose_validation
from aimclr_mm.engine.runner import build_runner
from aimclr_mm.utils import CorruptPickleError
from mmaction.registry import DATASETS
from pose_data import write_pose_dataset

REPO = Path(__file__).resolve().parents[2]
PRETRAIN_CONFIG = REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'
PIPELINE = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]


def _write(path, annotations, split):
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)
    return str(path)


def _build(ann_file, split='xsub_train', **kwargs):
    init_default_scope('mmaction')
    return DATASETS.build(
        dict(
            type='SkeletonPoseDataset',
            ann_file=ann_file,
            split=split,
            pipeline=PIPELINE,
            **kwargs))


def _nan(anno):
    anno['keypoint'][0, 3, 7, 1] = np.nan


def _joints17(anno):
    anno['keypoint'] = anno['keypoint'][:, :, :17]


def _two_d(anno):
    anno['keypoint'] = anno['keypoint'][..., :2]


def _zero_frames(anno):
    anno['keypoint'] = anno['keypoint'][:, :0]
    anno['total_frames'] = 0


def _label(anno):
    anno['label'] = 7


BAD_SAMPLES = {
    'nan': (_nan, 'keypoint has 1 non-finite value (NaN or inf)'),
    '17 joints': (_joints17, 'has 17 joints, expected 25'),
    '2D': (_two_d, 'has 2 coordinates per joint, expected 3'),
    'zero frames': (_zero_frames, 'has zero frames'),
    'label': (_label, 'label 7 is out of range [0, 2)'),
}


@pytest.mark.parametrize('case', sorted(BAD_SAMPLES))
def test_a_bad_sample_is_named_with_its_file(tmp_path, case):
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [3, 3],
                                            [2, 2])
    corrupt, reason = BAD_SAMPLES[case]
    bad = annotations[5]  # A001_000, in xsub_train
    corrupt(bad)
    path = _write(tmp_path / 'a.pkl', annotations, split)
    with pytest.raises(InvalidDataError) as info:
        _build(path, num_classes=2)
    message = str(info.value)
    assert f"{path}, split 'xsub_train': 1 invalid of 6 samples" in message
    assert f'  {bad["frame_dir"]}: ' in message
    assert reason in message
    # The other split does not hold it.
    assert len(_build(path, 'xsub_val', num_classes=2)) == 4


def test_every_bad_sample_is_listed_or_skipped(tmp_path, monkeypatch):
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [3, 3],
                                            [2, 2])
    names = {}
    for i, case in enumerate(sorted(BAD_SAMPLES)):
        corrupt, reason = BAD_SAMPLES[case]
        index = [0, 1, 2, 5, 6][i]  # all in xsub_train
        corrupt(annotations[index])
        names[annotations[index]['frame_dir']] = reason
    split['xsub_train'].append('S999')
    names['S999'] = "listed in split 'xsub_train' but has no annotation"
    path = _write(tmp_path / 'a.pkl', annotations, split)
    with pytest.raises(InvalidDataError) as info:
        _build(path, num_classes=2)
    listed = dict(
        re.findall(r'^  (\S+): (.+)$', str(info.value), flags=re.M))
    assert listed.keys() == names.keys()
    for name, reason in names.items():
        assert reason in listed[name], name
    assert "on_invalid='skip'" in str(info.value)

    logged = []
    monkeypatch.setattr(pose_validation, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    dataset = _build(path, num_classes=2, on_invalid='skip')
    assert [dataset.get_data_info(i)['frame_dir']
            for i in range(len(dataset))] == ['A001_002']
    (message, kwargs), = logged
    assert kwargs['level'] == 30  # logging.WARNING
    assert f"{path}, split 'xsub_train': skipped 6 invalid of 7" in message
    assert all(f'  {name}: ' in message for name in names)


def test_split_problems_name_the_file(tmp_path):
    path = str(tmp_path / 'a.pkl')
    write_pose_dataset(path, [2], [1], empty_splits=('xview_train', ))
    with pytest.raises(InvalidDataError,
                       match=re.escape(f"{path} has no split 'xset_train'; "
                                       "its splits are ['xsub_train', "
                                       "'xsub_val', 'xview_train']")):
        _build(path, 'xset_train')
    with pytest.raises(InvalidDataError,
                       match=re.escape(f"{path}: split 'xview_train' is "
                                       'empty')):
        _build(path, 'xview_train')
    with pytest.raises(InvalidDataError, match='has no valid samples'):
        _build(path, on_invalid='skip', num_joints=17)
    with pytest.raises(ValueError, match='on_invalid'):
        _build(path, on_invalid='ignore')


def test_truncated_and_foreign_files_name_the_file(tmp_path):
    path = tmp_path / 'a.pkl'
    write_pose_dataset(path, [2], [1])
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 3])
    with pytest.raises(CorruptPickleError, match=re.escape(str(path))):
        _build(str(path))
    path.write_bytes(pickle.dumps({'acc/top1': 0.5}))
    with pytest.raises(InvalidDataError,
                       match='is not a PoseDataset annotation file'):
        _build(str(path))


def test_layout_is_configurable(tmp_path):
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [2], [1])
    for anno in annotations:
        _joints17(anno)
        _two_d(anno)
    path = _write(tmp_path / 'coco.pkl', annotations, split)
    assert len(_build(path, num_joints=17, num_coords=2)) == 2
    assert len(_build(path, num_joints=None, num_coords=None)) == 2


def test_knn_dataset_checks_both_splits(tmp_path):
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [3, 3],
                                            [2, 2])
    _label(annotations[3])  # A000_003, in xsub_val
    path = _write(tmp_path / 'a.pkl', annotations, split)
    assert len(KNNDataset(path, PIPELINE, 'xsub_train')) == 10
    with pytest.raises(InvalidDataError,
                       match=re.escape(f"{path}, split 'xsub_val'") +
                       r'[\s\S]*A000_003: label 7 is out of range'):
        KNNDataset(path, PIPELINE, 'xsub_train', num_classes=2)
    dataset = KNNDataset(
        path, PIPELINE, 'xsub_train', num_classes=2, on_invalid='skip')
    assert len(dataset) == 9


class IterationCounter(Hook):

    def __init__(self):
        self.iterations = 0

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.iterations += 1


def _pretrain_runner(tmp_path, ann_file, **train_loader):
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.train_dataloader.dataset.update(ann_file=ann_file, num_classes=2)
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.update(train_loader)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.model.queue_size = 16
    cfg.work_dir = str(tmp_path / 'work')
    runner = build_runner(cfg)
    counter = IterationCounter()
    runner.register_hook(counter)
    return runner, counter


def _nothing_trained(tmp_path, counter):
    assert counter.iterations == 0
    assert not list((tmp_path / 'work').rglob('*.pth'))


def test_bad_validation_sample_fails_before_training(tmp_path):
    """The KNN validation of pretraining (first run at epoch 10) checks its
    samples when the runner starts."""
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [4, 4],
                                            [2, 2])
    _nan(annotations[4])  # A000_004, in xsub_val
    path = _write(tmp_path / 'a.pkl', annotations, split)
    runner, counter = _pretrain_runner(tmp_path, path)
    with pytest.raises(
            InvalidDataError,
            match=re.escape(f"KNNDataset: {path}, split 'xsub_val'") +
            r'[\s\S]*A000_004: keypoint has 1 non-finite value'):
        runner.train()
    _nothing_trained(tmp_path, counter)


def test_batch_larger_than_split_fails_before_training(tmp_path):
    path = str(tmp_path / 'a.pkl')
    write_pose_dataset(path, [3, 3], [2, 2])
    runner, counter = _pretrain_runner(tmp_path, path, batch_size=8)
    assert runner.cfg.train_dataloader.drop_last
    with pytest.raises(
            ValueError,
            match=re.escape(f"train_dataloader: split 'xsub_train' of {path} "
                            'has 6 samples, fewer than batch_size=8 with '
                            'drop_last=True')):
        runner.train()
    _nothing_trained(tmp_path, counter)


def test_when_every_sample_is_invalid_the_hint_does_not_suggest_skip(
        tmp_path):
    """A 2D file given to a 3D config: skipping would leave nothing."""
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [2], [1])
    for anno in annotations:
        _two_d(anno)
    path = _write(tmp_path / 'a.pkl', annotations, split)
    with pytest.raises(InvalidDataError) as info:
        _build(path)
    message = str(info.value)
    assert "Every sample is invalid, so on_invalid='skip' would leave none" \
        in message
    assert "set on_invalid='skip'" not in message
    assert 'num_coords' in message


def test_integer_keypoints_are_named_with_file_and_sample(tmp_path):
    # The transforms take floating-point keypoints only; an int32 array
    # would otherwise fail in the first batch, naming no file.
    annotations, split = write_pose_dataset(tmp_path / 'a.pkl', [2], [1])
    annotations[0]['keypoint'] = annotations[0]['keypoint'].astype(np.int32)
    path = _write(tmp_path / 'a.pkl', annotations, split)
    with pytest.raises(InvalidDataError) as info:
        _build(path)
    assert str(info.value).startswith(
        f"SkeletonPoseDataset: {path}, split 'xsub_train': 1 invalid of 2 "
        'samples:\n  A000_000: keypoint has dtype int32, not floating point\n')


def test_a_directory_is_not_an_annotation_file(tmp_path):
    with pytest.raises(InvalidDataError) as info:
        _build(str(tmp_path))
    assert str(info.value).endswith(
        f'{tmp_path} is a directory, not an annotation file: give the path '
        'of the PoseDataset .pkl file itself')
