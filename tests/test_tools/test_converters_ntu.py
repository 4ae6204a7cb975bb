"""NTU RGB+D .skeleton converter on small files written here."""
import pickle

import numpy as np
import pytest

from skeleton_converters import (InputError, convert_ntu, parse_ntu_name,
                                 read_ntu_skeleton)


def make_body(rng, centre, motion, frames):
    """A body (T, 25, 3): a random pose around ``centre`` moving by
    ``motion`` metres per frame along x."""
    pose = rng.normal(scale=0.2, size=(25, 3)) + centre
    shift = np.arange(frames)[:, None, None] * np.array([motion, 0, 0])
    return pose[None] + shift


def ntu_text(frames):
    """.skeleton text; ``frames`` is a list of lists of bodies, each a
    (25, 3) array or a (bodyID, (25, 3) array) pair (default: the bodyID is
    the listing position)."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for b, body in enumerate(bodies):
            body_id, joints = body if isinstance(body, tuple) else (b, body)
            lines.append(f'{72057594037927936 + body_id} 0 1 1 1 1 0 0.01 '
                         '-0.02 2')
            lines.append('25')
            lines.extend(f'{x:.6f} {y:.6f} {z:.6f} 0.4 0.3 900.1 500.2 '
                         '0.1 0.2 0.3 0.9 2' for x, y, z in joints)
    return '\n'.join(lines) + '\n'


def write(folder, name, frames=None, text=None):
    path = folder / f'{name}.skeleton'
    path.write_text(ntu_text(frames) if text is None else text)
    return path


def two_body_frames(rng, frames=6):
    a = make_body(rng, [0, 0, 3], 0.05, frames)
    b = make_body(rng, [1, 0, 3], 0.01, frames)
    return [[a[t], b[t]] for t in range(frames)], a, b


def convert(tmp_path, raw, **kwargs):
    out = tmp_path / 'out' / 'ntu.pkl'
    out.parent.mkdir(exist_ok=True)
    report = convert_ntu(str(raw), str(out), **kwargs)
    with open(out, 'rb') as f:
        data = pickle.load(f)
    return data, report


def annotation(data, name):
    return next(a for a in data['annotations'] if a['frame_dir'] == name)


def test_parse_ntu_name():
    name = parse_ntu_name('S017C003P020R002A060')
    assert (name.setup, name.camera, name.performer, name.replication,
            name.action, name.label) == (17, 3, 20, 2, 60, 59)
    with pytest.raises(InputError, match='not an NTU sample name'):
        parse_ntu_name('S017C003P020R002')


def test_read_skeleton_keeps_xyz_per_body_id(tmp_path):
    rng = np.random.default_rng(0)
    frames, a, b = two_body_frames(rng)
    frames[2] = [(1, b[2])]  # first person briefly untracked
    data = read_ntu_skeleton(
        str(write(tmp_path, 'S001C001P001R001A001', frames)))
    assert data.shape == (2, 6, 25, 3)
    np.testing.assert_allclose(data[1], b, atol=1e-6)
    np.testing.assert_allclose(
        np.delete(data[0], 2, 0), np.delete(a, 2, 0), atol=1e-6)
    assert not data[0, 2].any()


def test_converts_with_most_active_bodies_first(tmp_path):
    rng = np.random.default_rng(1)
    frames, a, b = two_body_frames(rng)
    frames = [[y, x] for x, y in frames]  # the calmer body listed first
    write(tmp_path, 'S001C002P001R001A013', frames)
    data, report = convert(tmp_path, tmp_path)
    ann = annotation(data, 'S001C002P001R001A013')
    assert ann['label'] == 12 and ann['total_frames'] == 6
    assert ann['keypoint'].dtype == np.float32
    assert ann['keypoint'].shape == (2, 6, 25, 3)
    np.testing.assert_allclose(ann['keypoint'][0], a, atol=1e-5)
    np.testing.assert_allclose(ann['keypoint'][1], b, atol=1e-5)
    assert report['num_skipped'] == 0


def test_three_bodies_keeps_two_most_active_and_reports(tmp_path):
    rng = np.random.default_rng(2)
    frames, a, b = two_body_frames(rng)
    # a small static object detected as a third body in one frame, listed
    # between the two persons
    clutter = np.full((25, 3), [2.0, 0.0, 4.0]) + rng.normal(
        scale=1e-3, size=(25, 3))
    frames[3] = [(0, a[3]), (7, clutter), (1, b[3])]
    write(tmp_path, 'S001C001P001R001A050', frames)
    data, report = convert(tmp_path, tmp_path)
    keypoint = annotation(data, 'S001C001P001R001A050')['keypoint']
    np.testing.assert_allclose(keypoint, np.stack([a, b]), atol=1e-5)
    assert report['resolved_by_kind'] == {'extra_bodies': 1}
    assert 'S001C001P001R001A050' in report['resolved'][0]['detail']


def test_new_body_id_for_the_same_person_is_merged(tmp_path):
    rng = np.random.default_rng(10)
    a = make_body(rng, [0, 0, 3], 0.05, 6)
    # tracking lost after frame 3: the sensor lists the person with a new id
    frames = [[(0, a[t])] for t in range(3)] + [[(4, a[t])]
                                                for t in range(3, 6)]
    write(tmp_path, 'S001C001P001R001A001', frames)
    data, report = convert(tmp_path, tmp_path)
    keypoint = data['annotations'][0]['keypoint']
    np.testing.assert_allclose(keypoint, a[None], atol=1e-5)
    assert report['resolved'] == []


def test_single_body_gives_one_person(tmp_path):
    rng = np.random.default_rng(3)
    a = make_body(rng, [0, 0, 3], 0.02, 4)
    write(tmp_path, 'S001C001P001R001A001', [[a[t]] for t in range(4)])
    data, _ = convert(tmp_path, tmp_path)
    assert data['annotations'][0]['keypoint'].shape == (1, 4, 25, 3)


@pytest.mark.parametrize(
    'damage, kind, message',
    [
        # cut inside a joint line
        (lambda t: t[:t.index('\n',
                              len(t) // 2) - 30], 'truncated', 'truncated'),
        # cut after the joints of a body: the rest of the frames are missing
        (lambda t: '\n'.join(t.splitlines()[:-25]) + '\n', 'truncated',
         'truncated'),
        (lambda t: t.replace('0.4 0.3 900.1', '0.4 0.3 9x0.1', 1), 'malformed',
         "non-numeric token '9x0.1'"),
        (lambda t: t.replace('0.4 0.3 900.1', 'nan 0.3 900.1', 1),
         'non_finite', "non-finite value 'nan'"),
        (lambda t: '0\n', 'no_frames', 'zero frames'),
        (lambda t: '3\n0\n0\n0\n', 'no_body', 'no body'),
        (lambda t: t.replace('\n25\n', '\n24\n', 1), 'malformed',
         'has 24 joints'),
        (lambda t: t + '1\n', 'malformed', 'after the last'),
    ])
def test_bad_file_is_skipped_and_reported(tmp_path, damage, kind, message):
    rng = np.random.default_rng(4)
    frames, _, _ = two_body_frames(rng)
    write(tmp_path, 'S001C001P001R001A001', frames)
    bad = write(
        tmp_path, 'S001C001P002R001A001', text=damage(ntu_text(frames)))
    data, report = convert(tmp_path, tmp_path)
    assert [a['frame_dir']
            for a in data['annotations']] == ['S001C001P001R001A001']
    assert report['num_skipped'] == 1
    skip = report['skipped'][0]
    assert skip['kind'] == kind
    assert str(bad) in skip['reason'] and message in skip['reason']


def test_nan_coordinate_is_reported_with_its_line(tmp_path):
    rng = np.random.default_rng(5)
    frames, a, _ = two_body_frames(rng)
    text = ntu_text(frames).splitlines()
    # frame 2, body 1, joint 4: after the frame count, frame 1 (a body
    # count and two bodies of 27 lines), frame 2's body count, info, '25'
    lineno = 1 + (1 + 2 * 27) + 1 + 2 + 4
    text[lineno - 1] = 'NaN ' + text[lineno - 1].split(' ', 1)[1]
    bad = write(tmp_path, 'S001C001P002R001A001', text='\n'.join(text))
    with pytest.raises(InputError, match=f'line {lineno}: non-finite') as e:
        read_ntu_skeleton(str(bad))
    assert e.value.kind == 'non_finite'


def test_missing_list_and_names(tmp_path):
    rng = np.random.default_rng(6)
    frames, _, _ = two_body_frames(rng, 3)
    for name in ['S001C001P001R001A001', 'S001C001P001R001A002']:
        write(tmp_path, name, frames)
    write(tmp_path, 'notes', frames)
    missing = tmp_path / 'missing.txt'
    missing.write_text('S001C001P001R001A002\nS009C001P001R001A002\n')
    data, report = convert(tmp_path, tmp_path, missing_list=str(missing))
    assert [a['frame_dir']
            for a in data['annotations']] == ['S001C001P001R001A001']
    assert report['skipped_by_kind'] == {'bad_name': 1, 'missing_list': 1}


def test_standard_splits(tmp_path):
    rng = np.random.default_rng(7)
    frames, _, _ = two_body_frames(rng, 3)
    names = [
        'S001C001P001R001A001', 'S001C002P003R001A001', 'S002C003P038R002A060',
        'S003C001P040R001A005'
    ]
    for name in names:
        write(tmp_path, name, frames)
    data, report = convert(tmp_path, tmp_path)
    assert report['dataset'] == 'ntu60'
    split = data['split']
    assert set(split) == {'xsub_train', 'xsub_val', 'xview_train', 'xview_val'}
    assert split['xsub_train'] == [names[0], names[2]]
    assert split['xsub_val'] == [names[1], names[3]]
    assert split['xview_train'] == [names[1], names[2]]
    assert split['xview_val'] == [names[0], names[3]]

    # a setup of NTU-120 turns on its benchmarks: performer 45 and even
    # setups train
    write(tmp_path, 'S018C001P045R001A061', frames)
    data, report = convert(tmp_path, tmp_path)
    assert report['dataset'] == 'ntu120'
    split = data['split']
    assert set(split) == {'xsub_train', 'xsub_val', 'xset_train', 'xset_val'}
    assert 'S018C001P045R001A061' in split['xsub_train']
    assert split['xset_train'] == [names[2], 'S018C001P045R001A061']
    # forcing NTU-60 reports the NTU-120 file instead of mislabelling it
    data, report = convert(tmp_path, tmp_path, dataset='ntu60')
    assert report['skipped_by_kind'] == {'not_in_dataset': 1}
    assert len(data['annotations']) == 4


@pytest.mark.slow  # a pool of two processes
def test_workers_give_the_same_result(tmp_path):
    rng = np.random.default_rng(8)
    for p in range(1, 5):
        frames, _, _ = two_body_frames(rng, 3 + p)
        write(tmp_path, f'S001C001P{p:03d}R001A001', frames)
    write(tmp_path, 'S001C001P009R001A001', text='2\n1\n')
    serial, report1 = convert(tmp_path, tmp_path)
    parallel, report2 = convert(tmp_path, tmp_path, workers=2)
    assert [a['frame_dir'] for a in serial['annotations']] == \
        [a['frame_dir'] for a in parallel['annotations']]
    for a, b in zip(serial['annotations'], parallel['annotations']):
        np.testing.assert_array_equal(a['keypoint'], b['keypoint'])
    assert report1['skipped'] == report2['skipped']
    assert serial['split'] == parallel['split']


def test_output_loads_in_pose_dataset(tmp_path):
    from mmaction.datasets import PoseDataset
    rng = np.random.default_rng(9)
    frames, _, _ = two_body_frames(rng, 5)
    for name in ['S001C001P001R001A001', 'S001C001P003R001A002']:
        write(tmp_path, name, frames)
    convert(tmp_path, tmp_path)
    dataset = PoseDataset(
        str(tmp_path / 'out' / 'ntu.pkl'), pipeline=[], split='xsub_train')
    assert len(dataset) == 1
    sample = dataset[0]
    assert sample['frame_dir'] == 'S001C001P001R001A001'
    assert sample['keypoint'].shape == (2, 5, 25, 3)
