"""Every default of the batched augmentations is the paper's (spec section
5), checked on instances built without arguments: their draws and outputs,
not only their attributes."""
import inspect
import math

import pytest
import torch

from aimclr_mm.datasets.transforms import skeleton_augmentations as sa
from aimclr_mm.models.data_preprocessors.batch_augmentations import (
    BATCH_AUGMENTATIONS, BatchAxisMask, BatchGaussianBlur, BatchGaussianNoise,
    BatchRotate, BatchShear, BatchSpatialFlip, BatchTemporalCrop,
    BatchTemporalFlip)

N = 4000
NTU_FLIP = [
    0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 20,
    23, 24, 21, 22
]


def skeletons(n=N, t=60):
    return torch.randn(n, 1, t, 25, 3, generator=torch.Generator()
                       .manual_seed(0), dtype=torch.float64)


def draw(augmentation, x=None, seed=1):
    x = skeletons() if x is None else x
    return augmentation.draw(x, torch.Generator().manual_seed(seed))


def assert_rate(apply, p=0.5):
    # 4000 draws: the rate's standard error is under 0.008
    assert abs(apply.double().mean().item() - p) < 0.04


def test_shear_factors_uniform_in_half_unit():
    factors = draw(BatchShear())['factors']
    assert factors.shape == (N, 6)
    assert factors.abs().max() <= 0.5
    assert factors.abs().max() > 0.49
    # uniform on [-0.5, 0.5]: mean |a| = 0.25
    assert abs(factors.abs().mean().item() - 0.25) < 0.01


def test_temporal_crop_pads_a_sixth():
    drawn = draw(BatchTemporalCrop(), skeletons(t=60))
    assert drawn['padding_len'] == 10
    assert set(drawn['start'].tolist()) == set(range(21))


def test_spatial_flip_half_the_time_with_the_ntu_permutation():
    flip = BatchSpatialFlip()
    x = skeletons(n=N, t=2)
    drawn = draw(flip, x)
    assert_rate(drawn['apply'])
    out = flip.apply(x, **drawn)
    flipped = drawn['apply']
    assert torch.equal(out[flipped], x[flipped][:, :, :, NTU_FLIP])
    assert torch.equal(out[~flipped], x[~flipped])


def test_rotate_30_degrees_about_one_axis_1_about_the_others():
    degrees = draw(BatchRotate())['angles'] * 180. / math.pi
    main = degrees.max(dim=1).values
    others = degrees.sort(dim=1).values[:, :2]
    assert degrees.min() >= 0
    assert 29.9 < main.max() <= 30.
    assert others.max() <= 1.
    # main angle uniform on [0, 30] (mean 15); each axis the main one a third
    # of the time
    assert abs(main.mean().item() - 15.) < 0.6
    big = degrees > 1.
    assert torch.all(big.sum(dim=1) <= 1)
    for axis in range(3):
        assert abs(big[:, axis].double().mean().item() - 1 / 3) < 0.04


def test_gaussian_noise_half_the_time_std_one_centimetre():
    drawn = draw(BatchGaussianNoise(), skeletons(n=N, t=4))
    assert_rate(drawn['apply'])
    assert abs(drawn['noise'].std().item() - 0.01) < 2e-4


def test_gaussian_blur_half_the_time_15_taps_unnormalised():
    blur = BatchGaussianBlur()
    drawn = draw(blur)
    assert_rate(drawn['apply'])
    sigma = drawn['sigma']
    assert 0.1 <= sigma.min() < 0.11 and 1.99 < sigma.max() <= 2.
    kernel = blur.kernel(torch.tensor([2.]))
    assert kernel.shape == (1, 15)
    assert kernel[0, 7] == 1.  # the official kernel's centre tap
    assert kernel.sum() > 4.  # not normalised: scaled up by ~5x at sigma 2


def test_axis_mask_half_the_time_one_axis_uniform():
    mask = BatchAxisMask()
    x = skeletons(n=N, t=2) + 5.
    drawn = draw(mask, x)
    assert_rate(drawn['apply'])
    out = mask.apply(x, **drawn)
    zeroed = (out == 0).all(dim=(1, 2, 3))  # (N, C)
    assert torch.equal(zeroed.any(dim=1), drawn['apply'])
    assert torch.all(zeroed.sum(dim=1) <= 1)
    for axis in range(3):
        share = zeroed[drawn['apply'], axis].double().mean().item()
        assert abs(share - 1 / 3) < 0.05


def test_temporal_flip_half_the_time():
    flip = BatchTemporalFlip()
    x = skeletons(n=N, t=3)
    drawn = draw(flip, x)
    assert_rate(drawn['apply'])
    out = flip.apply(x, **drawn)
    assert torch.equal(out[drawn['apply']], x[drawn['apply']].flip(2))


@pytest.mark.parametrize('name', sorted(BATCH_AUGMENTATIONS))
def test_defaults_equal_the_numpy_transforms(name):
    """A default changed on one side only would make the device pipeline
    and the loader pipeline differ silently."""
    def defaults(cls):
        return {
            key: param.default
            for key, param in inspect.signature(cls).parameters.items()
            if key != 'seed' and param.default is not param.empty
        }

    batched = defaults(BATCH_AUGMENTATIONS[name])
    assert batched == defaults(getattr(sa, name))
