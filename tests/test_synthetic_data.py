import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from aimclr_mm.datasets.converters import parse_ntu_name
from aimclr_mm.datasets.synthetic_skeletons import (ACTIONS, MAX_FRAMES,
                                                    MIN_FRAMES,
                                                    SYNTHETIC_ACTION_CLASSES,
                                                    make_synthetic_skeletons)
from mmaction.datasets import PoseDataset

REPO = Path(__file__).resolve().parents[1]
NUM_SUBJECTS = 3
SAMPLES_PER_CLASS = 4

# Joints (0-based NTU RGB+D)
PELVIS, HEAD, SPINE_SHOULDER = 0, 3, 20
L_SHOULDER, L_ELBOW, L_WRIST = 4, 5, 6
R_SHOULDER, R_ELBOW, R_WRIST = 8, 9, 10
FEET = (15, 19)


def load_tool():
    path = REPO / 'tools' / 'data' / 'make_synthetic_skeletons.py'
    spec = importlib.util.spec_from_file_location('make_synthetic', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def data():
    return make_synthetic_skeletons(NUM_SUBJECTS, SAMPLES_PER_CLASS, seed=3)


@pytest.fixture(scope='module')
def ann_file(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic') / 'synthetic_3d.pkl'
    code = load_tool().main([
        str(out), '--num-subjects',
        str(NUM_SUBJECTS), '--samples-per-class',
        str(SAMPLES_PER_CLASS), '--seed', '3'
    ])
    assert code == 0
    return out


def by_class(data, label):
    return [a['keypoint'] for a in data['annotations'] if a['label'] == label]


def label_of(name):
    return SYNTHETIC_ACTION_CLASSES.index(name)


def ntu_stgcn_pipeline(test_mode):
    """The pipeline of mmaction2's ST-GCN NTU-60 3D joint config."""
    sample = dict(type='UniformSampleFrames', clip_len=100)
    if test_mode:
        sample.update(num_clips=1, test_mode=True)
    return [
        dict(type='PreNormalize3D'),
        dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']), sample,
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackActionInputs')
    ]


@pytest.mark.parametrize('split,test_mode', [('xsub_train', False),
                                             ('xsub_val', True)])
def test_tool_output_loads_in_pose_dataset(ann_file, data, split, test_mode):
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = PoseDataset(
            ann_file=str(ann_file),
            pipeline=ntu_stgcn_pipeline(test_mode),
            split=split,
            test_mode=test_mode)
        assert len(dataset) == len(data['split'][split])
        labels = set()
        for index in range(0, len(dataset), 7):
            sample = dataset[index]
            inputs = sample['inputs']
            assert tuple(inputs.shape) == (1, 2, 100, 25, 3)
            assert np.isfinite(inputs.numpy()).all()
            labels.add(int(sample['data_samples'].gt_labels.item))
    assert len(labels) > 1
    assert labels <= set(range(len(SYNTHETIC_ACTION_CLASSES)))


def test_annotations_follow_pose_dataset_conventions(data):
    annotations = data['annotations']
    assert len(annotations) == len(ACTIONS) * SAMPLES_PER_CLASS
    names = [a['frame_dir'] for a in annotations]
    assert len(set(names)) == len(names)
    for a in annotations:
        keypoint = a['keypoint']
        assert keypoint.dtype == np.float32
        assert keypoint.ndim == 4 and keypoint.shape[2:] == (25, 3)
        assert a['total_frames'] == keypoint.shape[1]
        assert MIN_FRAMES <= a['total_frames'] <= MAX_FRAMES
        assert parse_ntu_name(a['frame_dir']).label == a['label']


def test_at_least_ten_classes_all_present(data):
    assert len(SYNTHETIC_ACTION_CLASSES) >= 10
    assert len(set(SYNTHETIC_ACTION_CLASSES)) == len(SYNTHETIC_ACTION_CLASSES)
    counts = np.bincount([a['label'] for a in data['annotations']])
    assert counts.tolist() == [SAMPLES_PER_CLASS] * len(ACTIONS)


def test_splits_are_disjoint_by_subject_and_by_camera(data):
    split = data['split']
    all_names = {a['frame_dir'] for a in data['annotations']}
    for train, val in (('xsub_train', 'xsub_val'), ('xview_train',
                                                    'xview_val')):
        assert set(split[train]) | set(split[val]) == all_names
        assert not set(split[train]) & set(split[val])

    def fields(name, field):
        return {getattr(parse_ntu_name(n), field) for n in split[name]}

    train_subjects = fields('xsub_train', 'performer')
    val_subjects = fields('xsub_val', 'performer')
    assert train_subjects and val_subjects
    assert not train_subjects & val_subjects
    assert train_subjects | val_subjects == set(range(1, NUM_SUBJECTS + 1))
    assert fields('xview_val', 'camera') == {1}
    assert fields('xview_train', 'camera') == {2, 3}
    # Every class is in both sides of the cross-subject split.
    for name in ('xsub_train', 'xsub_val'):
        assert fields(name, 'action') == set(range(1, len(ACTIONS) + 1))


def test_one_and_two_persons_and_variable_length(data):
    persons = {}
    for a in data['annotations']:
        persons.setdefault(a['label'], set()).add(a['keypoint'].shape[0])
    for label, action in enumerate(ACTIONS):
        if action.num_persons == 2:
            assert persons[label] == {2}
        else:
            assert 1 in persons[label]
    assert any(2 in persons[label] for label, action in enumerate(ACTIONS)
               if action.num_persons == 1), 'no bystander at all'
    lengths = [a['total_frames'] for a in data['annotations']]
    assert len(set(lengths)) > len(lengths) // 2


def test_deterministic_for_a_seed(tmp_path, data):
    again = make_synthetic_skeletons(NUM_SUBJECTS, SAMPLES_PER_CLASS, seed=3)
    assert again['split'] == data['split']
    for a, b in zip(again['annotations'], data['annotations']):
        assert a['frame_dir'] == b['frame_dir']
        np.testing.assert_array_equal(a['keypoint'], b['keypoint'])
    other = make_synthetic_skeletons(NUM_SUBJECTS, SAMPLES_PER_CLASS, seed=4)
    assert any(a['keypoint'].shape != b['keypoint'].shape
               or not np.array_equal(a['keypoint'], b['keypoint'])
               for a, b in zip(other['annotations'], data['annotations']))

    tool = load_tool()
    for name in ('a.pkl', 'b.pkl'):
        assert tool.main([
            str(tmp_path / name), '--seed', '9', '--num-subjects', '2',
            '--samples-per-class', '1'
        ]) == 0
    first, second = [(tmp_path / n).read_bytes() for n in ('a.pkl', 'b.pkl')]
    assert first == second
    # Written through a temporary file that does not stay behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.pkl', 'b.pkl']
    with open(tmp_path / 'a.pkl', 'rb') as f:
        assert len(pickle.load(f)['annotations']) == len(ACTIONS)


def test_tool_rejects_bad_output_and_sizes(tmp_path, capsys):
    tool = load_tool()
    (tmp_path / 'file').write_text('')
    assert tool.main([str(tmp_path / 'file' / 'x.pkl')]) == 1
    assert 'not a folder' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'x.pkl'), '--num-subjects', '1'])
    with pytest.raises(ValueError):
        make_synthetic_skeletons(num_subjects=1)
    assert [p.name for p in tmp_path.iterdir()] == ['file']  # nothing written


def test_skeletons_are_rigid_bodies_seen_by_a_kinect(data):
    for a in data['annotations']:
        keypoint = a['keypoint'].astype(np.float64)
        for person in keypoint:
            upper_arm = np.linalg.norm(
                person[:, R_ELBOW] - person[:, R_SHOULDER], axis=-1)
            # Bones keep their length up to sensor noise.
            assert 0.15 < np.median(upper_arm) < 0.4
            assert np.median(np.abs(upper_arm - np.median(upper_arm))) < 0.05
            # y up: the head is well above the feet; z: in front of the
            # sensor.
            height = person[:, HEAD, 1] - person[:, FEET, 1].mean(-1)
            assert np.median(height) > 0.8
            assert 1.0 < np.median(person[:, PELVIS, 2]) < 6.0


def raised_hand_height(keypoint, wrist):
    """How high a wrist gets above the shoulder line (90th percentile)."""
    actor = keypoint[0].astype(np.float64)
    return np.percentile(actor[:, wrist, 1] - actor[:, SPINE_SHOULDER, 1], 90)


def test_wave_right_and_left_raise_opposite_hands(data):
    for name, sign in (('wave right hand', 1), ('wave left hand', -1)):
        difference = [
            raised_hand_height(k, R_WRIST) - raised_hand_height(k, L_WRIST)
            for k in by_class(data, label_of(name))
        ]
        assert sign * np.median(difference) > 0.15, name


def test_crouch_down_and_stand_up_are_time_reversed(data):

    def pelvis_change(keypoint):
        pelvis = keypoint[0, :, PELVIS, 1].astype(np.float64)
        edge = max(len(pelvis) // 10, 3)
        return pelvis[-edge:].mean() - pelvis[:edge].mean()

    down = [pelvis_change(k) for k in by_class(data, label_of('crouch down'))]
    up = [pelvis_change(k) for k in by_class(data, label_of('stand up'))]
    assert np.median(down) < -0.15
    assert np.median(up) > 0.15


def test_jumping_moves_the_body_up_and_down_more_than_walking(data):

    def pelvis_range(keypoint):
        pelvis = keypoint[0, :, PELVIS, 1]
        return np.percentile(pelvis, 95) - np.percentile(pelvis, 5)

    jump = [pelvis_range(k) for k in by_class(data, label_of('jump'))]
    walk = [pelvis_range(k) for k in by_class(data, label_of('walk in place'))]
    assert np.median(jump) > 2 * np.median(walk)
