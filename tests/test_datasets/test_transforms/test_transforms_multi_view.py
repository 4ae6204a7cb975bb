import pickle

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from aimclr_mm.datasets.transforms import (SkeletonMultiView, SkeletonShear,
                                           SkeletonTemporalFlip)
from mmaction.datasets import PoseDataset
from mmaction.registry import TRANSFORMS

NORMAL = [dict(type='SkeletonTemporalCrop'), dict(type='SkeletonShear')]
EXTREME = NORMAL + [
    dict(type='SkeletonSpatialFlip'),
    dict(type='SkeletonRotate'),
    dict(type='SkeletonGaussianNoise'),
    dict(type='SkeletonGaussianBlur'),
    dict(type='SkeletonAxisMask'),
]
AIMCLR_VIEWS = [NORMAL, NORMAL, EXTREME]


def frame50_results(rng, dtype=np.float64):
    keypoint = rng.standard_normal((2, 50, 25, 3)).astype(dtype)
    keypoint[1] = 0
    return dict(
        keypoint=keypoint,
        frame_dir='S002C003P008R001A027',
        label=26,
        total_frames=50)


def test_aimclr_views_shape_and_independence():
    np.random.seed(0)
    results = frame50_results(np.random.default_rng(0))
    original = results['keypoint']
    before = original.copy()
    multi_view = TRANSFORMS.build(
        dict(type='SkeletonMultiView', views=AIMCLR_VIEWS))
    assert multi_view.num_views == 3

    out = multi_view(results)['keypoint']
    assert out.shape == (3, 2, 50, 25, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(original, before)
    # The two normal views use the same pipeline but their own draws.
    assert not np.allclose(out[0], out[1])
    assert not np.allclose(out[0], original.astype(np.float32))
    # No view leaks into another: the absent person stays zero in the normal
    # views (linear maps), whatever the extreme view's noise does.
    assert np.all(out[:2, 1] == 0)


def test_views_follow_global_numpy_seed():
    multi_view = SkeletonMultiView(views=AIMCLR_VIEWS)
    outputs = []
    for seed in (3, 3, 4):
        np.random.seed(seed)
        results = frame50_results(np.random.default_rng(1))
        outputs.append(multi_view(results)['keypoint'])
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert not np.array_equal(outputs[0], outputs[2])


def test_each_view_runs_its_own_pipeline():
    flip = dict(type='SkeletonTemporalFlip', p=1)
    multi_view = SkeletonMultiView(views=[[], [flip], [SkeletonShear(seed=0)]])
    results = frame50_results(np.random.default_rng(2))
    keypoint = results['keypoint']
    out = multi_view(results)['keypoint']
    np.testing.assert_array_equal(out[0], keypoint.astype(np.float32))
    np.testing.assert_array_equal(out[1], keypoint[:, ::-1].astype(np.float32))
    expected = SkeletonShear(seed=0)(dict(keypoint=keypoint))['keypoint']
    np.testing.assert_allclose(out[2], expected, rtol=1e-6)
    assert isinstance(multi_view.views[1].transforms[0], SkeletonTemporalFlip)


def test_shared_seed_across_views_rejected():
    seeded = [dict(type='SkeletonShear', seed=5)]
    with pytest.raises(ValueError, match='views 0 and 1.*SkeletonShear'):
        SkeletonMultiView(views=[seeded, seeded])
    SkeletonMultiView(views=[seeded, [dict(type='SkeletonShear', seed=6)]])


def test_bad_views():
    with pytest.raises(ValueError, match='non-empty'):
        SkeletonMultiView(views=[])
    with pytest.raises(TypeError, match='list of transforms'):
        SkeletonMultiView(views=[dict(type='SkeletonShear')])
    uneven = SkeletonMultiView(
        views=[[], [dict(type='PreNormalizeFrame50', clip_len=20)]])
    with pytest.raises(ValueError, match='S002C003P008R001A027.*differ'):
        uneven(frame50_results(np.random.default_rng(3)))


def test_view_returning_none_named():
    multi_view = SkeletonMultiView(views=[[lambda results: None]])
    with pytest.raises(RuntimeError, match='view 0.*S002C003P008R001A027'):
        multi_view(frame50_results(np.random.default_rng(4)))


def test_packed_by_pack_action_inputs():
    pipeline = [
        TRANSFORMS.build(dict(type='SkeletonMultiView', views=AIMCLR_VIEWS)),
        TRANSFORMS.build(dict(type='PackActionInputs')),
    ]
    results = frame50_results(np.random.default_rng(5))
    for transform in pipeline:
        results = transform(results)
    inputs = results['inputs']
    assert isinstance(inputs, torch.Tensor)
    assert inputs.shape == (3, 2, 50, 25, 3) and inputs.dtype == torch.float32
    assert int(results['data_samples'].gt_labels.item) == 26


def test_pose_dataset_pretraining_pipeline(tmp_path):
    """Raw PoseDataset pickle -> frame50 -> three views -> packed."""
    rng = np.random.default_rng(6)
    annotations = []
    for i, num_frames in enumerate((37, 120)):
        keypoint = rng.standard_normal((2, num_frames, 25, 3))
        keypoint[:, :, 0] += 3  # joint 0 non-zero: every frame valid
        annotations.append(
            dict(
                frame_dir=f'S001C001P001R001A00{i + 1}',
                label=i,
                total_frames=num_frames,
                keypoint=keypoint.astype(np.float32)))
    ann_file = tmp_path / 'tiny_3d.pkl'
    with open(ann_file, 'wb') as f:
        pickle.dump(
            dict(
                split=dict(xsub_train=[
                    'S001C001P001R001A001', 'S001C001P001R001A002'
                ]),
                annotations=annotations), f)

    # The runner sets this scope from ``default_scope`` in the config.
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = PoseDataset(
            ann_file=str(ann_file),
            split='xsub_train',
            pipeline=[
                dict(type='PreNormalizeFrame50'),
                dict(type='SkeletonMultiView', views=AIMCLR_VIEWS),
                dict(type='PackActionInputs'),
            ])
    assert len(dataset) == 2
    for index in range(2):
        sample = dataset[index]
        assert sample['inputs'].shape == (3, 2, 50, 25, 3)
        assert torch.isfinite(sample['inputs']).all()
        assert int(sample['data_samples'].gt_labels.item) == index
