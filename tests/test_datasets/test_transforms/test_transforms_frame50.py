import numpy as np
import pytest
import torch

from aimclr_mm.datasets.transforms import PreNormalizeFrame50
from aimclr_mm.datasets.transforms.frame50 import (align_shoulders,
                                                   resize_frames)
from mmaction.registry import TRANSFORMS

NAME = 'S001C002P003R002A013'


def rotate_y(points, theta):
    """Textbook rotation about y by ``theta`` (per frame) of (T, V, 3)."""
    cos, sin = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x, y, z = np.moveaxis(points, -1, 0)
    return np.stack((cos * x + sin * z, y, -sin * x + cos * z), axis=-1)


def canonical_pose(rng, num_joints=25):
    """A pose centred on joint 20 whose shoulders (4 -> 8) lie along +x."""
    pose = rng.uniform(-0.8, 0.8, (num_joints, 3))
    pose[20] = 0
    pose[4] = [-0.2, 0.05, 0.03]
    pose[8] = [0.18, 0.02, 0.03]
    return pose


def moving_person(rng, num_frames, dtype=np.float64):
    """One person turning about y and walking, shape (T, 25, 3), with the
    canonical pose it is a rigid motion of."""
    pose = canonical_pose(rng)
    theta = rng.uniform(-np.pi, np.pi, num_frames)
    offset = rng.uniform(-2, 2, (num_frames, 1, 3))
    frames = rotate_y(
        np.broadcast_to(pose, (num_frames, ) + pose.shape), theta) + offset
    return frames.astype(dtype), pose


def results_for(keypoint, **kwargs):
    return dict(keypoint=keypoint, frame_dir=NAME, label=3, **kwargs)


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_rigid_motion_is_undone(dtype):
    rng = np.random.default_rng(0)
    person, pose = moving_person(rng, 50, dtype)
    keypoint = np.stack((person, np.zeros_like(person)))
    original = keypoint.copy()

    results = PreNormalizeFrame50()(results_for(keypoint))
    out = results['keypoint']
    assert out.shape == (2, 50, 25, 3) and out.dtype == dtype
    assert results['total_frames'] == 50
    tol = 1e-5 if dtype == np.float32 else 1e-12
    # 50 valid frames resize to themselves, so every frame is the pose.
    np.testing.assert_allclose(
        out[0], np.broadcast_to(pose, out[0].shape), atol=tol)
    assert np.all(out[1] == 0)
    np.testing.assert_array_equal(keypoint, original)


def test_frame50_on_longer_sequence():
    rng = np.random.default_rng(1)
    person, _ = moving_person(rng, 83)
    # A second person present only in part of the sequence.
    second, _ = moving_person(rng, 83)
    second[:30] = 0
    keypoint = np.stack((person, second))
    out = PreNormalizeFrame50()(results_for(keypoint))['keypoint']

    assert out.shape == (2, 50, 25, 3)
    np.testing.assert_array_equal(out[:, :, 20], 0)
    shoulder = out[:, :, 8] - out[:, :, 4]
    present = np.any(out[:, :, 0] != 0, axis=-1)
    np.testing.assert_allclose(shoulder[..., 2], 0, atol=1e-12)
    assert np.all(shoulder[..., 0][present] > 0)
    # Frames of the second person before it appears stay exactly zero.
    assert np.all(out[1, :15] == 0) and np.any(out[1, -10:] != 0)


def test_matches_opencv_resize_of_centred_frames():
    """The official frame50 data was resized with cv2.INTER_LINEAR."""
    cv2 = pytest.importorskip('cv2')
    rng = np.random.default_rng(2)
    person, _ = moving_person(rng, 83, np.float32)
    out = PreNormalizeFrame50()(results_for(person[None]))['keypoint'][0]
    centred = person - person[:, 20:21]
    expected = cv2.resize(centred, (25, 50), interpolation=cv2.INTER_LINEAR)
    # The rotation about y keeps y and the distance to the y axis.
    np.testing.assert_allclose(out[..., 1], expected[..., 1], atol=1e-5)
    np.testing.assert_allclose(
        np.hypot(out[..., 0], out[..., 2]),
        np.hypot(expected[..., 0], expected[..., 2]),
        atol=1e-5)
    for num_frames in (1, 7, 50, 300):
        series = rng.standard_normal((num_frames, 4, 3)).astype(np.float32)
        np.testing.assert_allclose(
            resize_frames(series[None], 50)[0],
            cv2.resize(series, (4, 50), interpolation=cv2.INTER_LINEAR),
            atol=1e-5)


def test_first_length_frames_are_resized():
    """As the official preprocessing: ``length`` counts the frames where
    person 0's first joint is non-zero and the first ``length`` frames are
    resized, whatever lies inside them."""
    rng = np.random.default_rng(3)
    person, _ = moving_person(rng, 61)
    keypoint = np.stack((person, np.zeros_like(person)))
    expected = PreNormalizeFrame50()(results_for(keypoint))['keypoint']
    # Raw NTU-style zero frames at the end are cut.
    padded = np.zeros((2, 90, 25, 3))
    padded[:, :61] = keypoint
    out = PreNormalizeFrame50()(results_for(padded))['keypoint']
    np.testing.assert_allclose(out, expected, atol=1e-12)
    # An empty frame inside does not stretch the length: 61 valid frames, so
    # frames 0..60 (the empty frame 20 included) are resized and the last
    # valid frame, 61, is left out.
    holed = np.zeros((2, 90, 25, 3))
    holed[:, np.r_[0:20, 21:62]] = keypoint
    out = PreNormalizeFrame50()(results_for(holed))['keypoint']
    centred = holed[:, :61] - holed[:, :61, 20:21]
    first = align_shoulders(resize_frames(centred, 50), 4, 8)
    np.testing.assert_allclose(out, first, atol=1e-12)
    assert not np.allclose(out, expected, atol=1e-3)


def test_persons_padded_and_truncated():
    rng = np.random.default_rng(4)
    people = np.stack([moving_person(rng, 40)[0] for _ in range(3)])
    one = PreNormalizeFrame50()(results_for(people[:1]))['keypoint']
    three = PreNormalizeFrame50()(results_for(people))['keypoint']
    assert one.shape == three.shape == (2, 50, 25, 3)
    assert np.all(one[1] == 0)
    np.testing.assert_allclose(three[0], one[0])
    single = PreNormalizeFrame50(
        clip_len=32, num_person=1)(
            results_for(people))
    assert single['keypoint'].shape == (1, 32, 25, 3)
    assert single['total_frames'] == 32


def test_joint_arguments_on_a_20_joint_layout(utkinect_dir):
    """Real Kinect v1 skeletons: centre on the shoulder centre (index 2)."""
    raw = np.loadtxt(utkinect_dir / 'joints' / 'joints_s01_e01.txt')
    frame_numbers, rows = raw[:, 0], raw[:, 1:]
    segment = (frame_numbers >= 252) & (frame_numbers <= 390)
    _, first = np.unique(frame_numbers[segment], return_index=True)
    keypoint = rows[segment][first].reshape(1, -1, 20, 3)

    transform = PreNormalizeFrame50(center_joint=2, shoulder_joints=(4, 8))
    out = transform(results_for(keypoint))['keypoint']
    assert out.shape == (2, 50, 20, 3) and np.isfinite(out).all()
    np.testing.assert_array_equal(out[0, :, 2], 0)
    shoulder = out[0, :, 8] - out[0, :, 4]
    np.testing.assert_allclose(shoulder[:, 2], 0, atol=1e-12)
    assert np.all(shoulder[:, 0] > 0.1)
    assert np.all(out[1] == 0)
    with pytest.raises(ValueError, match='joint 20 does not exist'):
        PreNormalizeFrame50()(results_for(keypoint))


def test_keypoint_score_follows_frames():
    rng = np.random.default_rng(5)
    person, _ = moving_person(rng, 30)
    score = np.broadcast_to(np.linspace(0, 1, 30)[None, :, None],
                            (1, 30, 25)).copy()
    results = PreNormalizeFrame50()(
        results_for(person[None], keypoint_score=score))
    assert results['keypoint_score'].shape == (2, 50, 25)
    assert np.all(np.diff(results['keypoint_score'][0, :, 0]) >= 0)
    assert np.all(results['keypoint_score'][1] == 0)


@pytest.mark.parametrize('keypoint, match', [
    (np.zeros((2, 0, 25, 3)), 'empty'),
    (np.zeros((0, 10, 25, 3)), 'empty'),
    (np.zeros((10, 25, 3)), r'\(M, T, V, C\)'),
    (np.ones((2, 10, 25, 4)), 'C=2 or 3'),
    (np.ones((2, 10, 25, 3), dtype=np.int64), 'floating point'),
])
def test_malformed_input_named(keypoint, match):
    with pytest.raises((ValueError, TypeError), match=f'{NAME}.*{match}'):
        PreNormalizeFrame50()(results_for(keypoint))


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_non_finite_coordinates_named(bad):
    keypoint = np.ones((2, 10, 25, 3))
    keypoint[1, 4, 7, 2] = bad
    with pytest.raises(ValueError, match=f'{NAME}.*NaN or infinite'):
        PreNormalizeFrame50()(results_for(keypoint))


def test_missing_first_person_named():
    keypoint = np.zeros((2, 10, 25, 3))
    keypoint[1] = 1
    with pytest.raises(ValueError, match=f'{NAME}.*no valid frame'):
        PreNormalizeFrame50()(results_for(keypoint))


def test_downstream_format_and_pack():
    rng = np.random.default_rng(6)
    person, _ = moving_person(rng, 70, np.float32)
    pipeline = [
        TRANSFORMS.build(dict(type='PreNormalizeFrame50')),
        TRANSFORMS.build(dict(type='FormatGCNInput', num_person=2)),
        TRANSFORMS.build(dict(type='PackActionInputs')),
    ]
    results = results_for(person[None])
    for transform in pipeline:
        results = transform(results)
    inputs = results['inputs']
    assert inputs.shape == (1, 2, 50, 25, 3) and inputs.dtype == torch.float32
    assert int(results['data_samples'].gt_labels.item) == 3
