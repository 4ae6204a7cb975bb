"""Kinect v1 (UTKinect-Action3D format) converter: small files written
here, and the real UTKinect data where it is available."""
import pickle
import re
from collections import Counter

import numpy as np
import pytest

from skeleton_converters import (KINECT_V1_TO_NTU, convert_kinect_v1,
                                 kinect_v1_to_ntu, read_kinect_v1_joints)


def joint_rows(rng, frames):
    """Rows {frame number: (20, 3) joints} and their text lines."""
    joints = {f: rng.normal(size=(20, 3)) + [0, 0, 2.5] for f in frames}
    lines = [
        f'{f}   ' + '  '.join(f'{v:.6f}' for v in joints[f].ravel())
        for f in frames
    ]
    return joints, lines


@pytest.fixture
def kinect(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / 'src'
    (src / 'joints').mkdir(parents=True)
    frames = list(range(10, 70, 2))
    j1, lines = joint_rows(rng, frames)
    # frame 20 reported three times (three skeletons for one frame)
    other, extra = joint_rows(rng, [20, 20])
    at = frames.index(20) + 1
    lines[at:at] = extra
    (src / 'joints' / 'joints_s01_e01.txt').write_text('\n'.join(lines) + '\n')

    j2, lines = joint_rows(rng, frames)
    rows = [line.split() for line in lines]
    rows[frames.index(14)][5] = 'nan'
    rows[frames.index(50)][9] = '1,25'
    lines = ['  '.join(row) for row in rows]
    lines[-1] = lines[-1][:len(lines[-1]) // 2]  # cut off mid-row
    (src / 'joints' / 'joints_s02_e01.txt').write_text('\n'.join(lines))

    (src / 'joints' / 'joints_s03_e01.txt').write_text('\n\n')
    _, lines = joint_rows(rng, frames)
    (src / 'joints' / 'joints_s05_e01.txt').write_text('\n'.join(lines))
    (src / 'actionLabel.txt').write_text('\n'.join([
        's01_e01',
        'walk: 10 30',
        'sitDown: 28 40 ',  # overlaps walk; trailing space
        'carry: NaN NaN',
        'throw: 5 20',  # starts before the first frame
        'push: 60 80',  # ends after the last
        's02_e01',
        'walk: 10 20',  # holds the NaN of frame 14
        'pull: 30 40',
        'push: 46 54',  # holds frame 50's non-numeric token
        'sitDown: 60 68',  # holds the cut last row
        's03_e01',
        'walk: 10 20',
        's04_e01',
        'walk: 10 20',
        'walk 10 20',
    ]) + '\n')
    return dict(src=src, s01=j1, s02=j2, frames=frames)


def convert(tmp_path, src, **kwargs):
    out = tmp_path / 'utk.pkl'
    report = convert_kinect_v1(str(src), str(out), **kwargs)
    with open(out, 'rb') as f:
        return pickle.load(f), report


def test_joint_mapping_to_ntu():
    joints = np.arange(20 * 3, dtype=float).reshape(20, 3)
    ntu = kinect_v1_to_ntu(joints)
    assert ntu.shape == (25, 3)
    np.testing.assert_array_equal(ntu[:20], joints)
    # spine-shoulder <- shoulder centre, hand tips / thumbs <- hands
    for ntu_joint, kinect_joint in [(21, 3), (22, 8), (23, 8), (24, 12),
                                    (25, 12)]:
        np.testing.assert_array_equal(ntu[ntu_joint - 1],
                                      joints[kinect_joint - 1])
    assert len(KINECT_V1_TO_NTU) == 25


def test_repeated_frame_rows_keep_the_first(kinect):
    recording = read_kinect_v1_joints(
        str(kinect['src'] / 'joints' / 'joints_s01_e01.txt'))
    assert recording.num_repeated == 2
    np.testing.assert_array_equal(recording.frames, kinect['frames'])
    i = kinect['frames'].index(20)
    np.testing.assert_allclose(
        recording.joints[i], kinect['s01'][20], atol=1e-6)


def test_segments_become_samples(tmp_path, kinect):
    data, report = convert(tmp_path, kinect['src'])
    samples = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(samples) == [
        's01_e01_sitDown_28_40', 's01_e01_walk_10_30', 's02_e01_pull_30_40'
    ]
    walk = samples['s01_e01_walk_10_30']
    expected = np.stack([kinect['s01'][f] for f in range(10, 31, 2)])
    assert walk['label'] == 0 and walk['total_frames'] == 11
    assert walk['keypoint'].shape == (1, 11, 25, 3)
    np.testing.assert_allclose(
        walk['keypoint'][0], kinect_v1_to_ntu(expected), atol=1e-5)
    # overlapping segments both keep the shared frames 28 and 30
    sit = samples['s01_e01_sitDown_28_40']
    assert sit['label'] == 1 and sit['total_frames'] == 7
    np.testing.assert_allclose(sit['keypoint'][0, :2], walk['keypoint'][0,
                                                                        -2:])
    assert samples['s02_e01_pull_30_40']['label'] == 5
    assert report['classes'] == [
        'walk', 'sitDown', 'carry', 'throw', 'push', 'pull'
    ]
    assert report['resolved_by_kind'] == {'repeated_frames': 2}


def test_bad_input_is_reported(tmp_path, kinect):
    _, report = convert(tmp_path, kinect['src'])
    got = Counter((s.get('sample'), s['kind']) for s in report['skipped'])
    assert got == Counter({
        (None, 'non_finite'): 1,  # carry: NaN NaN
        ('s01_e01_throw_5_20', 'label_range'): 1,
        ('s01_e01_push_60_80', 'label_range'): 1,
        ('s02_e01_walk_10_20', 'non_finite'): 1,
        ('s02_e01_push_46_54', 'malformed'): 1,
        ('s02_e01_sitDown_60_68', 'truncated'): 1,
        ('s03_e01_walk_10_20', 'no_frames'): 1,
        ('s04_e01_walk_10_20', 'no_skeleton'): 1,
        (None, 'malformed'): 1,  # 'walk 10 20'
        (None, 'no_labels'): 1,  # joints_s05_e01 has no block
    })
    reasons = [s['reason'] for s in report['skipped']]
    assert any('line 4 (s01_e01 carry)' in r and 'NaN' in r for r in reasons)
    assert any("joints_s02_e01.txt, line 3: non-finite value 'nan'" in r
               for r in reasons)
    assert any("line 21: non-numeric token '1,25'" in r for r in reasons)


def test_split_by_subject_parity(tmp_path, kinect):
    data, report = convert(tmp_path, kinect['src'])
    assert data['split'] == {
        'xsub_train': ['s01_e01_walk_10_30', 's01_e01_sitDown_28_40'],
        'xsub_val': ['s02_e01_pull_30_40']
    }
    assert report['split_sizes'] == {'xsub_train': 2, 'xsub_val': 1}


def test_classes_option_fixes_label_ids(tmp_path, kinect):
    data, report = convert(
        tmp_path, kinect['src'], classes=['pull', 'sitDown', 'walk'])
    labels = {a['frame_dir']: a['label'] for a in data['annotations']}
    assert labels == {
        's01_e01_walk_10_30': 2,
        's01_e01_sitDown_28_40': 1,
        's02_e01_pull_30_40': 0
    }
    not_listed = [s for s in report['skipped'] if s['kind'] == 'bad_label']
    assert {s['sample']
            for s in not_listed} == {
                's01_e01_throw_5_20', 's01_e01_push_60_80',
                's02_e01_push_46_54'
            }


def _utkinect_counts(utkinect_dir):
    """Segments and repeated frame rows counted straight from the files."""
    segments = re.findall(r'^\s*\w+:\s*(\S+)\s+(\S+)\s*$',
                          (utkinect_dir / 'actionLabel.txt').read_text(), re.M)
    repeated = 0
    for path in (utkinect_dir / 'joints').glob('joints_*.txt'):
        frames = [
            line.split()[0] for line in path.read_text().splitlines()
            if line.strip()
        ]
        repeated += len(frames) - len(set(frames))
    return segments, repeated


def test_real_utkinect(tmp_path, utkinect_dir):
    from mmaction.datasets import PoseDataset
    data, report = convert(tmp_path, utkinect_dir)
    segments, repeated = _utkinect_counts(utkinect_dir)
    unusable = [s for s in segments if 'NaN' in s]
    assert len(unusable) == 1
    assert report['num_samples'] == len(segments) - 1 == 199
    assert report['num_classes'] == 10
    assert [s['kind'] for s in report['skipped']] == ['non_finite']
    assert 's10_e02 carry' in report['skipped'][0]['reason']
    assert report['resolved_by_kind'] == {'repeated_frames': repeated}
    names = {a['frame_dir'] for a in data['annotations']}
    # the overlapping push / pull of s10_e02 are both kept
    assert {'s10_e02_push_1944_1994', 's10_e02_pull_1982_2062'} <= names
    for name in data['split']['xsub_train']:
        assert int(name[1:3]) % 2 == 1
    for name in data['split']['xsub_val']:
        assert int(name[1:3]) % 2 == 0
    assert sorted(data['split']['xsub_train'] +
                  data['split']['xsub_val']) == sorted(names)
    for a in data['annotations']:
        assert a['keypoint'].shape == (1, a['total_frames'], 25, 3)
        assert np.isfinite(a['keypoint']).all()
    dataset = PoseDataset(
        str(tmp_path / 'utk.pkl'), pipeline=[], split='xsub_train')
    assert len(dataset) == len(data['split']['xsub_train'])
    assert Counter(dataset[i]['label']
                   for i in range(len(dataset))) == Counter(
                       {c: 10
                        for c in range(10)})
