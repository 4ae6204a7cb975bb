"""PKU-MMD converter on small skeleton and label files written here."""
import pickle

import numpy as np
import pytest

from skeleton_converters import (ConversionFailed, convert_pku_mmd,
                                 read_split_list)

FRAMES = 60


def video_joints(rng, second_from=None):
    """Joints (T, 2, 25, 3); the second body is present from frame
    ``second_from`` on (never when None)."""
    joints = rng.normal(size=(FRAMES, 2, 25, 3)) + np.array([0, 0, 3.0])
    joints[:, 1] = 0 if second_from is None else joints[:, 1]
    if second_from is not None:
        joints[:second_from, 1] = 0
    return joints


def rows_text(joints):
    return [' '.join(f'{v:.5f}' for v in frame.ravel()) for frame in joints]


@pytest.fixture
def pku(tmp_path):
    """A part I layout: 4 skeleton files, 4 label files, a split list."""
    rng = np.random.default_rng(0)
    skel, label = tmp_path / 'skeleton', tmp_path / 'label'
    skel.mkdir()
    label.mkdir()
    clean = video_joints(rng, second_from=30)
    (skel / '0001-M.txt').write_text('\n'.join(rows_text(clean)) + '\n')
    (label / '0001-M.txt').write_text('\n'.join([
        '5,0,20,1',  # one person
        '12,30,50,2',  # two persons
        '52,0,10,1',  # no such action
        '3,50,80,1',  # beyond the 60 frames of the file
        '3,a,10,1',  # non-numeric
        '7,20,20,1',  # empty
    ]) + '\n')

    messy = video_joints(rng)
    rows = [row.split() for row in rows_text(messy)]
    rows[10][7] = 'NaN'
    rows[25] += ['0.1'] * 75  # a third body in one frame
    rows[40][3] = '0.2.5'
    rows = [' '.join(row) for row in rows]
    rows[59] = rows[59][:len(rows[59]) // 2]  # cut off mid-line
    (skel / '0002-L.txt').write_text('\n'.join(rows))
    (label / '0002-L.txt').write_text('\n'.join([
        '1,0,9,1', '1,5,15,1', '2,20,30,1', '2,35,45,1', '3,50,60,1',
        '4,46,50,1'
    ]) + '\n')

    (skel / '0003-R.txt').write_text('')  # zero frames
    (label / '0003-R.txt').write_text('8,0,10,1\n')
    (skel / '0004-L.txt').write_text('\n'.join(rows_text(clean)) + '\n')
    (label / '0005-L.txt').write_text('8,0,10,1\n')

    xsub = tmp_path / 'cross-subject.txt'
    xsub.write_text('Training videos: \n0001-M, 0003-R, 0004-L\n'
                    'Validataion videos: \n0002-L, 0009-L\n')
    return dict(skel=skel, label=label, xsub=xsub, clean=clean, messy=messy)


def convert(tmp_path, pku, **kwargs):
    out = tmp_path / 'pku.pkl'
    report = convert_pku_mmd(
        str(pku['skel']),
        str(pku['label']),
        str(out),
        part=1,
        xsub_list=str(pku['xsub']),
        **kwargs)
    with open(out, 'rb') as f:
        return pickle.load(f), report


def by_name(data):
    return {a['frame_dir']: a for a in data['annotations']}


def test_segments_become_samples(tmp_path, pku):
    data, report = convert(tmp_path, pku)
    samples = by_name(data)
    assert sorted(samples) == [
        '0001-M_001', '0001-M_002', '0002-L_001', '0002-L_006'
    ]
    one = samples['0001-M_001']
    assert one['label'] == 4 and one['total_frames'] == 20
    np.testing.assert_allclose(
        one['keypoint'],
        pku['clean'][0:20, :1].transpose(1, 0, 2, 3),
        atol=1e-5)
    two = samples['0001-M_002']
    assert two['label'] == 11 and two['keypoint'].shape == (2, 20, 25, 3)
    np.testing.assert_allclose(
        two['keypoint'], pku['clean'][30:50].transpose(1, 0, 2, 3), atol=1e-5)
    np.testing.assert_allclose(
        samples['0002-L_006']['keypoint'][0],
        pku['messy'][46:50, 0],
        atol=1e-5)


def test_bad_lines_and_ranges_are_reported(tmp_path, pku):
    _, report = convert(tmp_path, pku)
    skipped = {
        (s['source'].split('/')[-2] + '/' + s['source'].split('/')[-1],
         s.get('sample')):
        s
        for s in report['skipped']
    }
    kinds = {k: s['kind'] for k, s in skipped.items()}
    assert kinds == {
        ('label/0001-M.txt', '0001-M_003'): 'bad_label',
        ('label/0001-M.txt', '0001-M_004'): 'label_range',
        ('label/0001-M.txt', None): 'malformed',
        ('label/0001-M.txt', '0001-M_006'): 'label_range',
        ('skeleton/0002-L.txt', '0002-L_002'): 'non_finite',
        ('skeleton/0002-L.txt', '0002-L_003'): 'malformed',
        ('skeleton/0002-L.txt', '0002-L_004'): 'malformed',
        ('skeleton/0002-L.txt', '0002-L_005'): 'truncated',
        ('skeleton/0003-R.txt', '0003-R_001'): 'no_frames',
        ('skeleton/0004-L.txt', None): 'no_labels',
        ('label/0005-L.txt', None): 'no_skeleton',
    }
    reasons = {k: s['reason'] for k, s in skipped.items()}
    assert 'line 11: non-finite' in reasons[('skeleton/0002-L.txt',
                                             '0002-L_002')]
    assert 'line 26: expected 150 values, found 225' in reasons[(
        'skeleton/0002-L.txt', '0002-L_003')]
    assert "'0.2.5'" in reasons[('skeleton/0002-L.txt', '0002-L_004')]
    assert 'outside the 60 frames' in reasons[('label/0001-M.txt',
                                               '0001-M_004')]
    assert 'line 5' in reasons[('label/0001-M.txt', None)]


def test_splits_follow_the_lists(tmp_path, pku):
    data, report = convert(tmp_path, pku)
    assert data['split'] == {
        'xsub_train': ['0001-M_001', '0001-M_002'],
        'xsub_val': ['0002-L_001', '0002-L_006']
    }
    assert any('0009-L' in w for w in report['warnings'])
    assert any('--xview-list' in w for w in report['warnings'])

    xview = tmp_path / 'cross-view.txt'
    xview.write_text('Training videos:\n0002-L\nTesting videos:\n0001-M\n')
    data, report = convert(tmp_path, pku, xview_list=str(xview))
    assert data['split']['xview_train'] == ['0002-L_001', '0002-L_006']
    assert data['split']['xview_val'] == ['0001-M_001', '0001-M_002']


@pytest.mark.parametrize('text, message', [
    ('0001-M, 0002-L\n', 'before a "Training videos:"'),
    ('Training videos:\n0001-M\n', 'needs a "Training videos:"'),
    ('Training videos:\n0001-M, 0002-L\nValidation videos:\n0002-L\n',
     'in both parts'),
])
def test_bad_split_list_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / 'split.txt'
    path.write_text(text)
    with pytest.raises(ConversionFailed, match=message):
        read_split_list(str(path))


def test_output_loads_in_pose_dataset(tmp_path, pku):
    from mmaction.datasets import PoseDataset
    convert(tmp_path, pku)
    dataset = PoseDataset(
        str(tmp_path / 'pku.pkl'), pipeline=[], split='xsub_val')
    assert [dataset[i]['frame_dir']
            for i in range(len(dataset))] == ['0002-L_001', '0002-L_006']
