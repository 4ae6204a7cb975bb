"""Batched torch augmentations against the numpy transforms: the same
output for the same draws, and draws from the same distributions."""
import numpy as np
import pytest
import torch
from scipy import stats

import aimclr_mm  # noqa: F401
from aimclr_mm.datasets.transforms import skeleton_augmentations as sa
from aimclr_mm.models.data_preprocessors.batch_augmentations import (
    BATCH_AUGMENTATIONS, build_batch_augmentation)
from mmaction.registry import MODELS

N = 8


def batch(seed=0, t=50):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, 2, t, 25, 3, generator=g, dtype=torch.float64)
    x[1, 1] = 0  # an absent second person
    return x


def numpy_reference(name, cfg, keypoint, params, i):
    """The numpy pure function of ``name`` on sample i with the same draw."""
    def gated(fn):
        return fn() if bool(params['apply'][i]) else keypoint

    if name == 'SkeletonShear':
        return sa.shear(keypoint, sa.shear_matrix(params['factors'][i]))
    if name == 'SkeletonTemporalCrop':
        return sa.temporal_crop(keypoint, int(params['start'][i]),
                                params['padding_len'])
    if name == 'SkeletonSpatialFlip':
        return gated(lambda: sa.spatial_flip(keypoint,
                                             sa.FLIP_INDICES['nturgb+d']))
    if name == 'SkeletonRotate':
        return sa.rotate(keypoint, params['angles'][i].numpy())
    if name == 'SkeletonGaussianNoise':
        return gated(lambda: sa.gaussian_noise(
            keypoint, params['noise'][i].numpy()))
    if name == 'SkeletonGaussianBlur':
        kernel = sa.gaussian_blur_kernel(
            float(params['sigma'][i]), normalize=cfg.get('normalize', False))
        return gated(lambda: sa.gaussian_blur(keypoint, kernel))
    if name == 'SkeletonAxisMask':
        return gated(lambda: sa.axis_mask(keypoint, int(params['axis'][i])))
    if name == 'SkeletonTemporalFlip':
        return gated(lambda: sa.temporal_flip(keypoint))
    raise KeyError(name)


CONFIGS = [
    dict(type='SkeletonShear', factor=0.5),
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonSpatialFlip', p=0.5),
    dict(type='SkeletonRotate', main_angle=30, other_angle=1),
    dict(type='SkeletonGaussianNoise', p=0.5, std=0.01),
    dict(type='SkeletonGaussianBlur', p=0.5, sigma_range=(0.1, 2)),
    dict(type='SkeletonGaussianBlur', p=0.5, normalize=True),
    dict(type='SkeletonAxisMask', p=0.5),
    dict(type='SkeletonTemporalFlip', p=0.5),
]


@pytest.mark.parametrize('cfg', CONFIGS, ids=lambda c: c['type'])
def test_same_output_as_numpy_for_the_same_draw(cfg):
    assert set(BATCH_AUGMENTATIONS) == {c['type'] for c in CONFIGS}
    aug = build_batch_augmentation(cfg)
    x = batch()
    params = aug.draw(x, torch.Generator().manual_seed(1))
    out = aug.apply(x, **params)
    assert out.shape == x.shape and out.dtype == x.dtype
    for i in range(N):
        expected = numpy_reference(cfg['type'], cfg, x[i].numpy(), params, i)
        np.testing.assert_allclose(out[i].numpy(), expected, atol=1e-12)
    if 'apply' in params:  # both branches were exercised
        assert 0 < int(params['apply'].sum()) < N


def test_float32_batch_matches_float64():
    x = batch(2)
    g = torch.Generator().manual_seed(3)
    for cfg in CONFIGS:
        aug = build_batch_augmentation(cfg)
        params = aug.draw(x, g)
        if 'noise' in params:
            params['noise'] = params['noise'].float()
        out32 = aug.apply(x.float(), **params)
        assert out32.dtype == torch.float32
        params64 = dict(params)
        if 'noise' in params:
            params64['noise'] = params['noise'].double()
        torch.testing.assert_close(
            out32.double(), aug.apply(x, **params64), atol=1e-5, rtol=1e-5)


def numpy_draws(transform, keypoint, draw, count):
    return np.array([draw(transform, keypoint) for _ in range(count)])


def torch_draws(cfg, count, t=50):
    aug = build_batch_augmentation(cfg)
    x = torch.zeros(count, 1, t, 25, 3)
    return aug.draw(x, torch.Generator().manual_seed(7))


def same_distribution(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert stats.ks_2samp(a, b).pvalue > 1e-3, (a.mean(), b.mean())


def same_rate(flags_numpy, flags_torch):
    table = [[int(np.sum(flags_numpy)), int(np.size(flags_numpy) -
                                             np.sum(flags_numpy))],
             [int(flags_torch.sum()),
              int(flags_torch.numel() - flags_torch.sum())]]
    assert stats.chi2_contingency(table).pvalue > 1e-3, table


COUNT = 3000


def test_draws_follow_the_numpy_distributions():
    keypoint = np.zeros((1, 50, 25, 3))

    shear = sa.SkeletonShear(factor=0.5, seed=0)
    matrices = numpy_draws(shear, keypoint,
                           lambda t, k: t._sample_matrix(), COUNT)
    order = [(0, 1), (1, 0), (2, 0), (0, 2), (1, 2), (2, 1)]
    factors = torch_draws(dict(type='SkeletonShear', factor=0.5),
                          COUNT)['factors']
    for j, (r, c) in enumerate(order):
        same_distribution(matrices[:, r, c], factors[:, j])

    crop = sa.SkeletonTemporalCrop(seed=0)
    starts = numpy_draws(crop, keypoint, lambda t, k: t._sample_start(8),
                         COUNT)
    drawn = torch_draws(dict(type='SkeletonTemporalCrop'), COUNT)
    assert drawn['padding_len'] == 8
    assert set(starts) == set(drawn['start'].tolist()) == set(range(17))
    assert stats.chi2_contingency([
        np.bincount(starts, minlength=17),
        np.bincount(drawn['start'].numpy(), minlength=17)
    ]).pvalue > 1e-3

    rotate = sa.SkeletonRotate(seed=0)
    angles = numpy_draws(rotate, keypoint, lambda t, k: t._sample_angles(),
                         COUNT)
    torch_angles = torch_draws(dict(type='SkeletonRotate'), COUNT)['angles']
    for axis in range(3):
        same_distribution(angles[:, axis], torch_angles[:, axis])

    blur = sa.SkeletonGaussianBlur(seed=0)
    sigmas = [
        p['sigma'] for p in (blur._sample_params(keypoint)
                             for _ in range(COUNT)) if p is not None
    ]
    drawn = torch_draws(dict(type='SkeletonGaussianBlur'), COUNT)
    same_distribution(sigmas, drawn['sigma'])
    same_rate(np.full(len(sigmas), True).tolist() + [False] *
              (COUNT - len(sigmas)), drawn['apply'])

    mask = sa.SkeletonAxisMask(seed=0)
    axes = [p['axis'] for p in (mask._sample_params(keypoint)
                                for _ in range(COUNT)) if p is not None]
    drawn = torch_draws(dict(type='SkeletonAxisMask'), COUNT)
    assert stats.chi2_contingency([
        np.bincount(axes, minlength=3),
        np.bincount(drawn['axis'][drawn['apply']].numpy(), minlength=3)
    ]).pvalue > 1e-3

    noise = sa.SkeletonGaussianNoise(std=0.01, seed=0)
    values = np.concatenate([
        p['noise'].ravel()[:20] for p in (noise._sample_params(keypoint)
                                          for _ in range(200))
        if p is not None
    ])
    drawn = torch_draws(dict(type='SkeletonGaussianNoise', std=0.01), 200)
    same_distribution(values, drawn['noise'][:, 0, :1, :20, 0].ravel())

    for name in ('SkeletonSpatialFlip', 'SkeletonTemporalFlip',
                 'SkeletonGaussianNoise'):
        transform = getattr(sa, name)(seed=0)
        gates = [transform._sample_params(keypoint) is not None
                 for _ in range(COUNT)]
        same_rate(gates, torch_draws(dict(type=name), COUNT)['apply'])


VIEWS = [[dict(type='SkeletonTemporalCrop'), dict(type='SkeletonShear')]] * 2
EXTREME = VIEWS[0] + [dict(type=n) for n in (
    'SkeletonSpatialFlip', 'SkeletonRotate', 'SkeletonGaussianNoise',
    'SkeletonGaussianBlur', 'SkeletonAxisMask')]


def test_data_preprocessor_augments_training_batches_only():
    pre = MODELS.build(
        dict(type='SkeletonDataPreprocessor', stream='motion',
             augment_views=VIEWS + [EXTREME], augment_seed=0))
    x = [torch.randn(2, 50, 25, 3) for _ in range(4)]
    out = pre(dict(inputs=x, data_samples=None), training=True)['inputs']
    assert out.shape == (4, 3, 2, 50, 25, 3)
    assert not torch.equal(out[:, 0], out[:, 1])
    # motion derived after augmentation: the last frame is zero
    assert torch.all(out[..., -1, :, :] == 0)
    again = MODELS.build(
        dict(type='SkeletonDataPreprocessor', stream='motion',
             augment_views=VIEWS + [EXTREME], augment_seed=0))
    assert torch.equal(
        again(dict(inputs=x, data_samples=None), training=True)['inputs'],
        out)
    clips = [torch.randn(1, 2, 50, 25, 3) for _ in range(4)]
    evaluated = pre(dict(inputs=clips, data_samples=None))['inputs']
    assert evaluated.shape == (4, 1, 2, 50, 25, 3)
    with pytest.raises(ValueError, match=r'\(N, M, T, V, C\)'):
        pre(dict(inputs=clips, data_samples=None), training=True)


def test_seeded_config_rejected():
    with pytest.raises(ValueError, match='seed'):
        build_batch_augmentation(dict(type='SkeletonShear', seed=3))
    with pytest.raises(ValueError, match='No batched version'):
        build_batch_augmentation(dict(type='PreNormalizeFrame50'))


def test_device_augmentation_config_builds_three_views():
    from pathlib import Path

    from mmengine.config import Config
    cfg = Config.fromfile(
        Path(__file__).resolve().parents[3] / 'configs' / 'device_aug' /
        'aimclr_stgcn_ntu60_xsub_joint.py')
    assert cfg.train_dataloader.dataset.pipeline == [
        dict(type='PackActionInputs')
    ]
    pre = MODELS.build(cfg.model.data_preprocessor)
    x = [torch.randn(2, 50, 25, 3) for _ in range(2)]
    out = pre(dict(inputs=x, data_samples=None), training=True)['inputs']
    assert out.shape == (2, 3, 2, 50, 25, 3)
    assert not torch.equal(out[:, 0], out[:, 2])
