"""The built-in synthetic data set (tools/data/synthetic_skeletons.py) on a
small version: PoseDataset conventions, a split by performer, variation
where real recordings vary, classes that differ."""
import pickle
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmaction.datasets import PoseDataset
from skeleton_converters import parse_ntu_name
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]
syn = load_tool('data/synthetic_skeletons')
NUM_SUBJECTS, REPETITIONS = 4, 2
NUM_CLASSES = len(syn.ACTION_CLASSES)


@pytest.fixture(scope='module')
def data():
    return syn.make_synthetic_skeletons(NUM_SUBJECTS, REPETITIONS, seed=3)


@pytest.fixture(scope='module')
def ann_file(tmp_path_factory):
    out = tmp_path_factory.mktemp('synthetic') / 'synthetic_3d.pkl'
    code = load_tool('data/make_synthetic_skeletons').main([
        str(out), '--num-subjects', str(NUM_SUBJECTS), '--repetitions',
        str(REPETITIONS), '--seed', '3'
    ])
    assert code == 0
    return out


def by_class(data, name):
    label = syn.ACTION_CLASSES.index(name)
    return [a for a in data['annotations'] if a['label'] == label]


def body_frame(keypoint):
    """(T, 25, 3) of person 0, centred on the spine base of each frame."""
    person = keypoint[0].astype(np.float64)
    return person - person[:, :1]


@pytest.mark.parametrize('split,test_mode', [('xsub_train', False),
                                             ('xsub_val', True)])
def test_tool_output_loads_in_pose_dataset(ann_file, data, split, test_mode):
    pipeline = [
        dict(type='PreNormalize3D'),
        dict(type='UniformSampleFrames', clip_len=50, num_clips=1,
             test_mode=test_mode),
        dict(type='PoseDecode'),
        dict(type='FormatGCNInput', num_person=2),
        dict(type='PackActionInputs')
    ]
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = PoseDataset(ann_file=str(ann_file), pipeline=pipeline,
                              split=split, test_mode=test_mode)
        assert len(dataset) == len(data['split'][split])
        labels = set()
        for index in range(0, len(dataset), 3):
            sample = dataset[index]
            assert tuple(sample['inputs'].shape) == (1, 2, 50, 25, 3)
            assert np.isfinite(sample['inputs'].numpy()).all()
            labels.add(int(sample['data_samples'].gt_labels.item))
    assert labels == set(range(NUM_CLASSES))


def test_every_performer_does_every_action(data):
    annotations = data['annotations']
    assert len(annotations) == NUM_SUBJECTS * NUM_CLASSES * REPETITIONS
    names = [a['frame_dir'] for a in annotations]
    assert len(set(names)) == len(names)
    for a in annotations:
        assert a['keypoint'].dtype == np.float32
        assert a['keypoint'].shape[0] == 1 and a['keypoint'].shape[2:] == (
            25, 3)
        assert a['total_frames'] == a['keypoint'].shape[1] >= 40
        assert parse_ntu_name(a['frame_dir']).label == a['label']
    counts = np.bincount([a['label'] for a in annotations])
    assert counts.tolist() == [NUM_SUBJECTS * REPETITIONS] * NUM_CLASSES


def test_split_by_performer_and_by_camera(data):
    split = data['split']
    names = {a['frame_dir'] for a in data['annotations']}

    def field(split_name, name):
        return {getattr(parse_ntu_name(n), name) for n in split[split_name]}

    for train, val in (('xsub_train', 'xsub_val'),
                       ('xview_train', 'xview_val')):
        assert set(split[train]) | set(split[val]) == names
        assert not set(split[train]) & set(split[val])
    train, val = field('xsub_train', 'performer'), field('xsub_val',
                                                         'performer')
    assert train and val and not train & val
    assert train | val == set(range(1, NUM_SUBJECTS + 1))
    for name in ('xsub_train', 'xsub_val'):
        assert field(name, 'action') == set(range(1, NUM_CLASSES + 1))
    assert field('xview_val', 'camera') == {syn.XVIEW_VAL_CAMERA}
    assert syn.XVIEW_VAL_CAMERA not in field('xview_train', 'camera')


def test_performers_differ_in_body_and_manner():
    performers = [
        syn.draw_performer(np.random.default_rng([0, 0, s]))
        for s in range(20)
    ]
    for field in ('spine', 'upper_arm', 'thigh', 'tempo', 'amplitude',
                  'hunch'):
        values = np.array([getattr(p, field) for p in performers])
        assert values.std() / np.abs(values).mean() > 0.05, field
    assert {p.dominant for p in performers} == {'l', 'r'}


def test_repetitions_vary_in_length_view_and_noise(data):
    walks = by_class(data, 'walk')
    lengths = [a['total_frames'] for a in walks]
    assert len(set(lengths)) > len(lengths) // 2
    # The same performer's repetitions are different recordings.
    same = [a for a in walks if parse_ntu_name(a['frame_dir']).performer == 1]
    first, second = (a['keypoint'][0] for a in same[:2])
    assert first.shape != second.shape or not np.allclose(first, second,
                                                          atol=0.05)
    # Seen from different cameras: the shoulder line's direction differs.
    yaws = []
    for a in data['annotations']:
        shoulders = a['keypoint'][0, :, syn.R_SHOULDER] - a['keypoint'][
            0, :, syn.L_SHOULDER]
        yaws.append(np.degrees(np.arctan2(shoulders[:, 2],
                                          shoulders[:, 0])).mean())
    assert np.ptp(yaws) > 60
    # Sensor jitter: joint tracks are not smooth.
    pelvis = data['annotations'][0]['keypoint'][0, :, syn.SPINE_BASE]
    assert np.abs(np.diff(pelvis, 2, axis=0)).mean() > 1e-3


def test_no_two_classes_are_alike(data):
    """Each class's mean body-frame motion is closer to its own samples
    than any other class's: nearest class mean classifies the training
    performers' samples well above chance."""

    def descriptor(a):
        person = body_frame(a['keypoint'])
        index = np.linspace(0, len(person) - 1, 20).round().astype(int)
        return person[index].ravel()

    split = set(data['split']['xsub_train'])
    train = [a for a in data['annotations'] if a['frame_dir'] in split]
    x = np.stack([descriptor(a) for a in train])
    y = np.array([a['label'] for a in train])
    means = np.stack([x[y == c].mean(0) for c in range(NUM_CLASSES)])
    distance = ((x[:, None] - means[None])**2).sum(-1)
    assert (distance.argmin(1) == y).mean() > 0.6
    # and no two class means coincide
    pairs = ((means[:, None] - means[None])**2).sum(-1)
    assert pairs[~np.eye(NUM_CLASSES, dtype=bool)].min() > 0.05


def test_sit_down_and_stand_up_are_time_reversed(data):

    def pelvis_drop(a):
        keypoint = a['keypoint'][0].astype(np.float64)
        height = keypoint[:, syn.SPINE_BASE] - keypoint[:, [
            syn.L_FOOT, syn.R_FOOT]].mean(1)
        height = np.linalg.norm(height, axis=-1)
        edge = max(len(height) // 8, 3)
        return height[-edge:].mean() - height[:edge].mean()

    down = [pelvis_drop(a) for a in by_class(data, 'sit_down')]
    up = [pelvis_drop(a) for a in by_class(data, 'stand_up')]
    assert np.median(down) < -0.15 and np.median(up) > 0.15


def test_waving_raises_the_dominant_hand():
    performer = syn.draw_performer(np.random.default_rng(0))
    for dominant, wrist, other in (('r', syn.R_WRIST, syn.L_WRIST),
                                   ('l', syn.L_WRIST, syn.R_WRIST)):
        keypoint = syn.synthesize_sample(
            syn.ACTION_CLASSES.index('wave_hands'),
            performer._replace(dominant=dominant), 2,
            np.random.default_rng(1))
        person = keypoint[0]
        assert np.percentile(person[:, wrist, 1] - person[:, other, 1],
                             90) > 0.3


def test_skeletons_are_rigid_bodies_in_front_of_the_sensor(data):
    for a in data['annotations']:
        person = a['keypoint'][0].astype(np.float64)
        upper_arm = np.linalg.norm(person[:, syn.R_ELBOW] -
                                   person[:, syn.R_SHOULDER], axis=-1)
        assert 0.2 < np.median(upper_arm) < 0.4
        assert np.median(np.abs(upper_arm - np.median(upper_arm))) < 0.03
        assert 1.5 < np.median(person[:, syn.SPINE_BASE, 2]) < 4.5


def test_deterministic_for_a_seed(tmp_path, data):
    again = syn.make_synthetic_skeletons(NUM_SUBJECTS, REPETITIONS, seed=3)
    assert again['split'] == data['split']
    for a, b in zip(again['annotations'], data['annotations']):
        np.testing.assert_array_equal(a['keypoint'], b['keypoint'])
    other = syn.make_synthetic_skeletons(NUM_SUBJECTS, REPETITIONS, seed=4)
    assert any(a['keypoint'].shape != b['keypoint'].shape
               or not np.array_equal(a['keypoint'], b['keypoint'])
               for a, b in zip(other['annotations'], data['annotations']))
    tool = load_tool('data/make_synthetic_skeletons')
    for name in ('a.pkl', 'b.pkl'):
        assert tool.main([str(tmp_path / name), '--seed', '9',
                          '--num-subjects', '2', '--repetitions', '1']) == 0
    assert (tmp_path / 'a.pkl').read_bytes() == (tmp_path /
                                                 'b.pkl').read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.pkl', 'b.pkl']
    with open(tmp_path / 'a.pkl', 'rb') as f:
        assert len(pickle.load(f)['annotations']) == 2 * NUM_CLASSES


def test_tool_rejects_bad_output_and_sizes(tmp_path, capsys):
    tool = load_tool('data/make_synthetic_skeletons')
    (tmp_path / 'file').write_text('')
    assert tool.main([str(tmp_path / 'file' / 'x.pkl')]) == 1
    assert 'not a folder' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'x.pkl'), '--num-subjects', '1'])
    with pytest.raises(ValueError):
        syn.make_synthetic_skeletons(num_subjects=1)
    assert [p.name for p in tmp_path.iterdir()] == ['file']
