"""MSRAction3D converter: small files written here in the dataset's format
with each defect, and the real MSRAction3D skeletons where available."""
import pickle
import re
from collections import Counter

import numpy as np
import pytest

from skeleton_converters import (KINECT_V1_TO_NTU, MSR_TO_NTU,
                                 convert_msr_action3d, msr_to_ntu,
                                 read_msr_skeleton)

# MSRAction3D joint order, 1-based, as the dataset documents it.
MSR_NAMES = [
    'left shoulder', 'right shoulder', 'shoulder centre', 'spine', 'left hip',
    'right hip', 'hip centre', 'left elbow', 'right elbow', 'left wrist',
    'right wrist', 'left hand', 'right hand', 'left knee', 'right knee',
    'left ankle', 'right ankle', 'left foot', 'right foot', 'head'
]
# NTU RGB+D joints 1-25 and the MSR joint each must come from; the five
# joints Kinect v1 lacks as the Kinect v1 converter fills them.
NTU_FROM = [
    'hip centre', 'spine', 'shoulder centre', 'head', 'left shoulder',
    'left elbow', 'left wrist', 'left hand', 'right shoulder', 'right elbow',
    'right wrist', 'right hand', 'left hip', 'left knee', 'left ankle',
    'left foot', 'right hip', 'right knee', 'right ankle', 'right foot',
    'shoulder centre', 'left hand', 'left hand', 'right hand', 'right hand'
]


def frame_lines(joints):
    """Text lines of frames (T, 20, 3), confidence 1."""
    return [
        f'{x:.6f} {y:.6f} {z:.6f} 1.000000' for x, y, z in joints.reshape(
            -1, 3)
    ]


def write(folder, name, lines, end='\n'):
    (folder / f'{name}_skeleton3D.txt').write_text('\n'.join(lines) + end)


def skeletons(rng, frames):
    return rng.normal(size=(frames, 20, 3)) * 0.3 + [0, 0, 2.6]


@pytest.fixture
def msr(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / 'msr'
    src.mkdir()
    good = skeletons(rng, 5)
    write(src, 'a01_s01_e01', frame_lines(good))
    gaps = skeletons(rng, 6)
    gaps[[1, 4]] = 0  # two frames where the sensor lost the subject
    write(src, 'a02_s02_e01', frame_lines(gaps), end='')
    write(src, 'a03_s03_e01', frame_lines(np.zeros((4, 20, 3))))
    write(src, 'a04_s01_e02', frame_lines(skeletons(rng, 5))[:-3])
    lines = frame_lines(skeletons(rng, 5))
    lines[41] = lines[41].replace(' ', ' 1,5 ', 1)[:-9]  # '0.1 1,5 0.2 0.3'
    write(src, 'a05_s02_e02', lines)
    write(src, 'a06_s03_e02', [''])
    lines = frame_lines(skeletons(rng, 5))
    lines[7] = 'nan 0.1 2.5 1.0'
    write(src, 'a07_s01_e03', lines)
    lines = frame_lines(skeletons(rng, 5))
    lines[-1] = lines[-1][:10]  # cut off mid-line
    write(src, 'a08_s04_e01', lines)
    write(src, 'a21_s01_e01', frame_lines(skeletons(rng, 3)))
    (src / 'notes.txt').write_text('not a skeleton\n')
    (src / 'README.md').write_text('ignored\n')
    return dict(src=src, good=good, gaps=gaps)


def convert(tmp_path, src):
    out = tmp_path / 'msr.pkl'
    report = convert_msr_action3d(str(src), str(out))
    with open(out, 'rb') as f:
        return pickle.load(f), report


def test_joint_mapping_to_ntu():
    assert len(MSR_TO_NTU) == 25 and sorted(set(MSR_TO_NTU)) == list(
        range(20))
    joints = np.arange(20 * 3, dtype=float).reshape(20, 3)
    ntu = msr_to_ntu(joints)
    assert ntu.shape == (25, 3)
    for ntu_joint, name in enumerate(NTU_FROM):
        np.testing.assert_array_equal(ntu[ntu_joint],
                                      joints[MSR_NAMES.index(name)])
    # e.g. the head, last in an MSR frame, is NTU joint 4
    np.testing.assert_array_equal(ntu[3], joints[19])
    # the joints Kinect v1 lacks are filled as the Kinect v1 converter does
    assert [MSR_NAMES[MSR_TO_NTU[k]] for k in range(20, 25)] == [
        NTU_FROM[KINECT_V1_TO_NTU[k]] for k in range(20, 25)
    ]


def test_read_skeleton_frames(msr):
    joints = read_msr_skeleton(str(msr['src'] / 'a01_s01_e01_skeleton3D.txt'))
    assert joints.shape == (5, 20, 4)
    np.testing.assert_allclose(joints[..., :3], msr['good'], atol=1e-6)
    np.testing.assert_array_equal(joints[..., 3], 1)


def test_files_become_samples(tmp_path, msr):
    data, report = convert(tmp_path, msr['src'])
    samples = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(samples) == ['a01_s01_e01', 'a02_s02_e01']
    good = samples['a01_s01_e01']
    assert good['label'] == 0 and good['total_frames'] == 5
    assert good['keypoint'].shape == (1, 5, 25, 3)
    assert good['keypoint'].dtype == np.float32
    # coordinates are kept as the files give them (metres, y up)
    np.testing.assert_allclose(
        good['keypoint'][0], msr_to_ntu(msr['good']), atol=1e-5)
    gaps = samples['a02_s02_e01']
    assert gaps['label'] == 1 and gaps['total_frames'] == 4
    np.testing.assert_allclose(
        gaps['keypoint'][0], msr_to_ntu(msr['gaps'][[0, 2, 3, 5]]), atol=1e-5)
    assert report['resolved_by_kind'] == {'zero_frames': 2}
    assert report['resolved'][0]['source'].endswith('a02_s02_e01'
                                                    '_skeleton3D.txt')
    assert report['num_classes'] == 2
    assert report['classes'][0] == 'high arm wave'


def test_defective_files_are_reported(tmp_path, msr):
    _, report = convert(tmp_path, msr['src'])
    got = Counter((s.get('sample'), s['kind']) for s in report['skipped'])
    assert got == Counter({
        ('a03_s03_e01', 'no_body'): 1,  # every frame all-zero
        (None, 'truncated'): 2,  # 97 joint lines; a cut-off last line
        (None, 'malformed'): 1,  # non-numeric token
        (None, 'no_frames'): 1,  # empty file
        (None, 'non_finite'): 1,
        ('a21_s01_e01', 'bad_label'): 1,
        (None, 'bad_name'): 1,  # notes.txt
    })
    reasons = sorted(s['reason'] for s in report['skipped'])
    assert any('a04_s01_e02_skeleton3D.txt: 97 joint lines, not a multiple '
               'of 20' in r for r in reasons)
    assert any("a05_s02_e02_skeleton3D.txt, line 42: non-numeric token "
               "'1,5'" in r for r in reasons)
    assert any('a06_s03_e02_skeleton3D.txt: zero frames' in r
               for r in reasons)
    assert any("a07_s01_e03_skeleton3D.txt, line 8: non-finite value 'nan'"
               in r for r in reasons)
    assert any('a08_s04_e01_skeleton3D.txt, line 100' in r and
               'truncated file' in r for r in reasons)
    assert any('a03_s03_e01_skeleton3D.txt: all 4 frames are all-zero' in r
               for r in reasons)


def test_split_by_subject_parity(tmp_path, msr):
    data, report = convert(tmp_path, msr['src'])
    assert data['split'] == {
        'xsub_train': ['a01_s01_e01'],
        'xsub_val': ['a02_s02_e01']
    }
    assert report['split_sizes'] == {'xsub_train': 1, 'xsub_val': 1}


def test_nothing_converted_writes_no_pickle(tmp_path):
    from skeleton_converters import ConversionFailed
    src = tmp_path / 'msr'
    src.mkdir()
    with pytest.raises(ConversionFailed, match='no aAA_sSS_eEE'):
        convert_msr_action3d(str(src), str(tmp_path / 'o.pkl'))
    write(src, 'a01_s01_e01', [''])
    with pytest.raises(ConversionFailed, match='no sample was converted'):
        convert_msr_action3d(str(src), str(tmp_path / 'o.pkl'))
    assert not (tmp_path / 'o.pkl').exists()
    assert (tmp_path / 'o.report.json').exists()


def _zero_frames(msr_action3d_dir):
    """All-zero frames and frame counts per file, read straight from the
    files."""
    counts = {}
    for path in sorted(msr_action3d_dir.glob('*_skeleton3D.txt')):
        values = np.loadtxt(path).reshape(-1, 20, 4)[..., :3]
        zero = ~np.any(values != 0, axis=(1, 2))
        counts[path.name[:11]] = (int(zero.sum()), len(values))
    return counts


def test_real_msr_action3d(tmp_path, msr_action3d_dir):
    from mmaction.datasets import PoseDataset
    data, report = convert(tmp_path, msr_action3d_dir)
    files = _zero_frames(msr_action3d_dir)
    assert len(files) == 567
    all_zero = [n for n, (z, t) in files.items() if z == t]
    assert all_zero == ['a13_s09_e02']
    assert report['num_samples'] == 566 and report['num_classes'] == 20
    assert report['split_sizes'] == {'xsub_train': 291, 'xsub_val': 275}
    assert [(s['sample'], s['kind'])
            for s in report['skipped']] == [('a13_s09_e02', 'no_body')]
    dropped = {
        re.search(r'a\d\d_s\d\d_e\d\d', r['source']).group(): r['count']
        for r in report['resolved']
    }
    assert dropped == {
        n: z
        for n, (z, t) in files.items() if 0 < z < t
    }
    assert len(dropped) == 19
    assert report['resolved_by_kind'] == {'zero_frames': 1075}
    samples = {a['frame_dir']: a for a in data['annotations']}
    for name, (zero, total) in files.items():
        if name in samples:
            assert samples[name]['total_frames'] == total - zero
            assert samples[name]['label'] == int(name[1:3]) - 1
    for name in data['split']['xsub_train']:
        assert int(name[5:7]) % 2 == 1
    for name in data['split']['xsub_val']:
        assert int(name[5:7]) % 2 == 0
    # the conventions frame50 assumes: y up (head above spine base), the
    # right shoulder at larger x than the left, as in the UTKinect output
    keypoint = np.concatenate([a['keypoint'][0] for a in samples.values()])
    assert np.isfinite(keypoint).all()
    assert (keypoint[:, 3, 1] > keypoint[:, 0, 1]).mean() > 0.99
    assert (keypoint[:, 8, 0] > keypoint[:, 4, 0]).mean() > 0.97
    assert 1.0 < np.median(keypoint[..., 2]) < 4.0  # metres from the sensor
    dataset = PoseDataset(
        str(tmp_path / 'msr.pkl'), pipeline=[], split='xsub_val')
    assert len(dataset) == 275
    assert {dataset[i]['label'] for i in range(len(dataset))} == set(range(20))
