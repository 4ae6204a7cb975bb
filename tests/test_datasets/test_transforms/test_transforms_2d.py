"""2D skeletons (mmaction2's COCO keypoint files): the augmentations with
given draws, frame50, keypoint scores and the streams."""
import numpy as np
import pytest
import torch
from mmaction.datasets.transforms import JointToBone, ToMotion

from aimclr_mm.datasets.transforms import (PreNormalizeFrame50,
                                           SkeletonAxisMask, SkeletonMultiView,
                                           SkeletonRotate, SkeletonShear)
from aimclr_mm.datasets.transforms import skeleton_augmentations as sa
from aimclr_mm.models.data_preprocessors import SkeletonDataPreprocessor
from aimclr_mm.models.data_preprocessors.batch_augmentations import (
    BatchAxisMask, BatchMultiView, BatchRotate, BatchShear)


def coco(seed=0, persons=1, frames=12, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (persons, frames, 17, 2)).astype(dtype)


def test_shear_2d_with_given_factors():
    point = np.array([[[[1., 2.]]]])
    out = sa.shear(point, sa.shear_matrix([0.3, -0.2]))
    np.testing.assert_allclose(out[0, 0, 0], [1. + 0.3 * 2., -0.2 + 2.])


def test_shear_2d_draws_two_factors_per_sequence():
    keypoint = coco()
    shear = SkeletonShear(seed=3)
    out = shear(dict(keypoint=keypoint))['keypoint']
    factors = np.random.default_rng(3).uniform(-0.5, 0.5, 2)
    np.testing.assert_allclose(
        out, keypoint @ sa.shear_matrix(factors).T.astype(np.float32),
        rtol=1e-6)
    assert out.shape == keypoint.shape and out.dtype == np.float32


def test_rotate_2d_turns_in_plane_by_minus_the_angle():
    out = sa.rotate_2d(np.array([[1., 0.], [0., 1.]]), np.pi / 2)
    np.testing.assert_allclose(out, [[0., -1.], [1., 0.]], atol=1e-12)


def test_rotate_2d_draw_is_uniform_up_to_the_main_angle():
    keypoint = coco()
    out = SkeletonRotate(seed=5)(dict(keypoint=keypoint))['keypoint']
    angle = np.deg2rad(np.random.default_rng(5).uniform(0., 30.))
    np.testing.assert_allclose(out, sa.rotate_2d(keypoint, angle),
                               rtol=1e-5, atol=1e-6)
    # a rotation keeps every distance to the origin
    np.testing.assert_allclose(
        np.linalg.norm(out, axis=-1), np.linalg.norm(keypoint, axis=-1),
        rtol=1e-5)


def test_axis_mask_2d_zeroes_x_or_y_only():
    seen = set()
    mask = SkeletonAxisMask(p=1., seed=0)
    for _ in range(40):
        out = mask(dict(keypoint=coco() + 5.))['keypoint']
        zero = [axis for axis in range(2) if not out[..., axis].any()]
        assert len(zero) == 1
        seen.add(zero[0])
    assert seen == {0, 1}


@pytest.mark.parametrize('cls,fn', [
    (BatchShear, lambda kp, p: sa.shear(kp, sa.shear_matrix(p['factors']))),
    (BatchRotate, lambda kp, p: sa.rotate_2d(kp, float(p['angles']))),
])
def test_batched_2d_equals_numpy_for_the_same_draw(cls, fn):
    x = torch.from_numpy(coco(persons=2)).double()[None].repeat(3, 1, 1, 1, 1)
    augmentation = cls()
    params = augmentation.draw(x, torch.Generator().manual_seed(0))
    out = augmentation.apply(x, **params)
    for i in range(3):
        drawn = {k: v[i] for k, v in params.items()}
        np.testing.assert_allclose(
            out[i].numpy(), fn(x[i].numpy(), drawn), rtol=1e-12, atol=1e-12)


def test_batched_axis_mask_2d_picks_x_or_y():
    x = torch.ones(400, 1, 4, 17, 2)
    drawn = BatchAxisMask(p=1.).draw(x, torch.Generator().manual_seed(0))
    assert set(drawn['axis'].tolist()) == {0, 1}


def test_batched_score_channel_moves_with_flips_only():
    """With score_channel, the score is never sheared, rotated, blurred,
    noised or masked; a spatial flip moves it with its joint."""
    x = torch.randn(6, 1, 10, 17, 3, dtype=torch.float64)
    x[..., 2] = torch.rand(6, 1, 10, 17, dtype=torch.float64)
    extreme = [dict(type=t) for t in (
        'SkeletonShear', 'SkeletonRotate', 'SkeletonGaussianNoise',
        'SkeletonGaussianBlur', 'SkeletonAxisMask')]
    out = BatchMultiView([extreme], score_channel=True)(
        x, torch.Generator().manual_seed(0))[:, 0]
    assert torch.equal(out[..., 2], x[..., 2])
    assert not torch.equal(out[..., :2], x[..., :2])
    flip = [dict(type='SkeletonSpatialFlip', p=1., layout='coco')]
    out = BatchMultiView([flip], score_channel=True)(
        x, torch.Generator().manual_seed(0))[:, 0]
    assert torch.equal(out, x[:, :, :, list(sa.FLIP_INDICES['coco'])])


def test_multi_view_appends_the_augmented_score():
    keypoint = coco()
    score = np.random.default_rng(1).uniform(0, 1, keypoint.shape[:3])
    views = [[dict(type='SkeletonSpatialFlip', p=1., layout='coco')],
             [dict(type='SkeletonShear')]]
    out = SkeletonMultiView(views)(
        dict(keypoint=keypoint, keypoint_score=score))
    assert 'keypoint_score' not in out
    assert out['keypoint'].shape == (2, 1, 12, 17, 3)
    flip = list(sa.FLIP_INDICES['coco'])
    np.testing.assert_allclose(out['keypoint'][0, ..., 2],
                               score[:, :, flip], rtol=1e-6)
    np.testing.assert_allclose(out['keypoint'][1, ..., 2], score, rtol=1e-6)


def test_frame50_2d_centres_on_the_shoulders_and_keeps_the_view():
    keypoint = coco(persons=1, frames=50, dtype=np.float16)
    score = np.full(keypoint.shape[:3], 0.5, np.float16)
    out = PreNormalizeFrame50(num_person=2, layout='coco')(
        dict(keypoint=keypoint, keypoint_score=score))
    kp = keypoint.astype(np.float32)
    centre = kp[:, :, [5, 6]].mean(axis=2, keepdims=True)
    assert out['keypoint'].dtype == np.float32
    assert out['keypoint'].shape == (2, 50, 17, 2)
    # 50 frames to 50 frames: centring only, no rotation in 2D
    np.testing.assert_allclose(out['keypoint'][:1], kp - centre, atol=1e-6)
    assert not out['keypoint'][1].any()
    assert out['keypoint_score'].shape == (2, 50, 17)
    dropped = PreNormalizeFrame50(layout='coco', keep_score=False)(
        dict(keypoint=keypoint, keypoint_score=score))
    assert 'keypoint_score' not in dropped


def test_frame50_knows_each_layouts_centre():
    with pytest.raises(ValueError, match='unknown layout'):
        PreNormalizeFrame50(layout='kinetics')
    assert PreNormalizeFrame50(layout='openpose').center_joint == 1
    assert PreNormalizeFrame50().shoulder_joints == (4, 8)


@pytest.mark.parametrize('stream', ['motion', 'bone'])
def test_streams_with_scores_as_mmaction2(stream):
    """(x, y, score) COCO skeletons: the same features as mmaction2's
    ToMotion / JointToBone, scores averaged over the two joints."""
    rng = np.random.default_rng(0)
    keypoint = rng.normal(0, 1, (2, 10, 17, 3)).astype(np.float32)
    keypoint[..., 2] = rng.uniform(0, 1, (2, 10, 17))
    if stream == 'motion':
        expected = ToMotion(dataset='coco')(dict(keypoint=keypoint))
        expected = expected['motion']
    else:
        expected = JointToBone(dataset='coco')(
            dict(keypoint=keypoint.copy()))['keypoint']
    preprocessor = SkeletonDataPreprocessor(
        stream=stream, layout='coco', score_channel=True)
    out, _ = preprocessor.preprocess([torch.from_numpy(keypoint)], None)
    np.testing.assert_allclose(out[0].numpy(), expected, atol=1e-6)
