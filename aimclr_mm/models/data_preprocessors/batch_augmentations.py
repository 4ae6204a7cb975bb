"""The eight skeleton augmentations on a whole batch, in torch, on the
batch's device.

Each augmentation is configured like its numpy transform in
``aimclr_mm.datasets.transforms.skeleton_augmentations`` (same type name
and arguments, no ``seed``), draws its random numbers per sample from the
same distributions (:meth:`draw`), and applies them to skeletons
(N, M, T, V, C) in one go (:meth:`apply`). ``draw`` and ``apply`` are
separate so that the numpy transforms' pure functions can be fed the same
numbers.

Skeletons may be 3D or 2D (C = 3 or 2): shear and rotation are then 2x2
and in-plane, as in the numpy transforms. With ``score_channel`` the last
channel of the batch is mmaction2's keypoint score: crops and flips move it
with its joint, the other augmentations change coordinates only.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch

from aimclr_mm.datasets.transforms.skeleton_augmentations import (
    FLIP_INDICES, SHEAR_POSITIONS)

Params = Dict[str, Union[torch.Tensor, int]]


def _uniform(low, high, shape, generator, device) -> torch.Tensor:
    """Uniform in [low, high); low and high broadcast against shape."""
    u = torch.rand(shape, generator=generator, device=device,
                   dtype=torch.float64)
    return low + (high - low) * u


def _gate(p: float, n: int, generator, device) -> torch.Tensor:
    """(n,) bool, true with probability p."""
    return torch.rand(n, generator=generator, device=device,
                      dtype=torch.float64) < p


def _per_sample(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(N,) mask viewed to broadcast against x (N, ...)."""
    return mask.view((-1, ) + (1, ) * (x.dim() - 1))


class BatchShear:
    """See ``SkeletonShear``: six factors uniform in [-factor, factor] per
    sample, official order (a12, a21, a31, a13, a23, a32); two (a12, a21)
    for 2D skeletons."""
    changes_coordinates = True

    def __init__(self, factor: float = 0.5) -> None:
        self.factor = factor

    def draw(self, x: torch.Tensor, generator) -> Params:
        num_factors = 2 if x.shape[-1] == 2 else 6
        factors = _uniform(-self.factor, self.factor,
                           (x.shape[0], num_factors), generator, x.device)
        return dict(factors=factors)

    @staticmethod
    def apply(x: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
        n, num_factors = factors.shape
        size = 3 if num_factors == 6 else 2
        matrix = torch.eye(
            size, dtype=factors.dtype, device=factors.device).repeat(n, 1, 1)
        rows, cols = zip(*SHEAR_POSITIONS[:num_factors])
        matrix[:, rows, cols] = factors
        return torch.einsum('nmtvc,ndc->nmtvd', x, matrix.to(x.dtype))


class BatchTemporalCrop:
    """See ``SkeletonTemporalCrop``: start uniform in [0, 2 * pad] per
    sample, pad = T // padding_ratio, mirrored ('symmetric') padding."""
    changes_coordinates = False

    def __init__(self, padding_ratio: int = 6) -> None:
        self.padding_ratio = padding_ratio

    def draw(self, x: torch.Tensor, generator) -> Params:
        padding_len = x.shape[2] // self.padding_ratio
        start = torch.randint(
            2 * padding_len + 1, (x.shape[0], ),
            generator=generator,
            device=x.device)
        return dict(start=start, padding_len=padding_len)

    @staticmethod
    def apply(x: torch.Tensor, start: torch.Tensor,
              padding_len: int) -> torch.Tensor:
        n, m, t = x.shape[:3]
        index = (start[:, None] - padding_len +
                 torch.arange(t, device=x.device))
        index = torch.where(index < 0, -index - 1, index)
        index = torch.where(index >= t, 2 * t - index - 1, index)
        index = index.view(n, 1, t, 1, 1).expand(n, m, t, *x.shape[3:])
        return torch.gather(x, 2, index)


class BatchSpatialFlip:
    """See ``SkeletonSpatialFlip``: per sample with probability p, joint j
    becomes joint ``layout[j]``."""
    changes_coordinates = False

    def __init__(self,
                 p: float = 0.5,
                 layout: Union[str, Sequence[int]] = 'nturgb+d') -> None:
        self.p = p
        self.flip_indices = list(FLIP_INDICES[layout] if isinstance(
            layout, str) else layout)

    def draw(self, x: torch.Tensor, generator) -> Params:
        return dict(apply=_gate(self.p, x.shape[0], generator, x.device))

    def apply(self, x: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
        flipped = x[:, :, :, self.flip_indices]
        return torch.where(_per_sample(apply, x), flipped, x)


def rotation_matrix(angles: torch.Tensor) -> torch.Tensor:
    """``Rz @ Ry @ Rx`` (N, 3, 3) of the official (transposed) rotations
    about x, y, z for angles (N, 3) in radians."""
    cos, sin = angles.cos().unbind(1), angles.sin().unbind(1)
    zero, one = torch.zeros_like(cos[0]), torch.ones_like(cos[0])

    def matrix(rows):
        return torch.stack([torch.stack(row, 1) for row in rows], 1)

    rot_x = matrix([[one, zero, zero], [zero, cos[0], sin[0]],
                    [zero, -sin[0], cos[0]]])
    rot_y = matrix([[cos[1], zero, -sin[1]], [zero, one, zero],
                    [sin[1], zero, cos[1]]])
    rot_z = matrix([[cos[2], sin[2], zero], [-sin[2], cos[2], zero],
                    [zero, zero, one]])
    return rot_z @ rot_y @ rot_x


class BatchRotate:
    """See ``SkeletonRotate``: per sample a main axis uniform among x, y, z,
    its angle uniform in [0, main_angle] degrees, the others in
    [0, other_angle]; for 2D skeletons one in-plane angle (about z) uniform
    in [0, main_angle]."""
    changes_coordinates = True

    def __init__(self, main_angle: float = 30., other_angle: float = 1.):
        self.main_angle = main_angle
        self.other_angle = other_angle

    def draw(self, x: torch.Tensor, generator) -> Params:
        n = x.shape[0]
        if x.shape[-1] == 2:
            degrees = _uniform(0., float(self.main_angle), (n, ), generator,
                               x.device)
            return dict(angles=degrees * (math.pi / 180.))
        main = torch.randint(3, (n, ), generator=generator, device=x.device)
        high = torch.full((n, 3), float(self.other_angle),
                          dtype=torch.float64, device=x.device)
        high[torch.arange(n, device=x.device), main] = float(self.main_angle)
        degrees = _uniform(0., high, (n, 3), generator, x.device)
        return dict(angles=degrees * (math.pi / 180.))

    @staticmethod
    def apply(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
        if angles.dim() == 1:  # 2D: the x-y block of the official Rz
            about_z = torch.nn.functional.pad(angles[:, None], (2, 0))
            matrix = rotation_matrix(about_z)[:, :2, :2]
        else:
            matrix = rotation_matrix(angles)
        return torch.einsum('nmtvc,ndc->nmtvd', x, matrix.to(x.dtype))


class BatchGaussianNoise:
    """See ``SkeletonGaussianNoise``: per sample with probability p, i.i.d.
    N(0, std^2) on every entry."""
    changes_coordinates = True

    def __init__(self, p: float = 0.5, std: float = 0.01) -> None:
        self.p = p
        self.std = std

    def draw(self, x: torch.Tensor, generator) -> Params:
        noise = torch.randn(
            x.shape, generator=generator, device=x.device,
            dtype=x.dtype) * self.std
        return dict(
            apply=_gate(self.p, x.shape[0], generator, x.device),
            noise=noise)

    @staticmethod
    def apply(x: torch.Tensor, apply: torch.Tensor,
              noise: torch.Tensor) -> torch.Tensor:
        return torch.where(_per_sample(apply, x), x + noise.to(x.dtype), x)


class BatchGaussianBlur:
    """See ``SkeletonGaussianBlur``: per sample with probability p, a
    Gaussian kernel of sigma uniform in sigma_range along time, zero
    padding, not normalised unless ``normalize``."""
    changes_coordinates = True

    def __init__(self,
                 p: float = 0.5,
                 sigma_range: Tuple[float, float] = (0.1, 2.),
                 kernel_size: int = 15,
                 normalize: bool = False) -> None:
        self.p = p
        self.sigma_range = tuple(sigma_range)
        self.kernel_size = kernel_size
        self.normalize = normalize

    def draw(self, x: torch.Tensor, generator) -> Params:
        n = x.shape[0]
        return dict(
            apply=_gate(self.p, n, generator, x.device),
            sigma=_uniform(*self.sigma_range, (n, ), generator, x.device))

    def kernel(self, sigma: torch.Tensor) -> torch.Tensor:
        """(N, kernel_size) float64 taps."""
        radius = self.kernel_size // 2
        taps = torch.arange(-radius, radius + 1, device=sigma.device,
                            dtype=torch.float64)
        kernel = torch.exp(-taps**2 / (2. * sigma[:, None]**2))
        if self.normalize:
            kernel = kernel / kernel.sum(dim=1, keepdim=True)
        return kernel

    def apply(self, x: torch.Tensor, apply: torch.Tensor,
              sigma: torch.Tensor) -> torch.Tensor:
        radius = self.kernel_size // 2
        kernel = self.kernel(sigma).to(x.dtype)
        # (N, M, T, V, C) -> windows (N, M, V, C, T, K) along time
        padded = torch.nn.functional.pad(
            x.permute(0, 1, 3, 4, 2), (radius, radius))
        windows = padded.unfold(-1, self.kernel_size, 1)
        blurred = (windows * kernel[:, None, None, None, None]).sum(-1)
        blurred = blurred.permute(0, 1, 4, 2, 3)
        return torch.where(_per_sample(apply, x), blurred, x)


class BatchAxisMask:
    """See ``SkeletonAxisMask``: per sample with probability p, one
    coordinate axis (uniform) set to zero."""
    changes_coordinates = True

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def draw(self, x: torch.Tensor, generator) -> Params:
        n = x.shape[0]
        return dict(
            apply=_gate(self.p, n, generator, x.device),
            axis=torch.randint(
                x.shape[-1], (n, ), generator=generator, device=x.device))

    @staticmethod
    def apply(x: torch.Tensor, apply: torch.Tensor,
              axis: torch.Tensor) -> torch.Tensor:
        channels = torch.arange(x.shape[-1], device=x.device)
        masked = (channels == axis[:, None]) & apply[:, None]
        return x.masked_fill(masked.view(x.shape[0], 1, 1, 1, -1), 0.)


class BatchTemporalFlip:
    """See ``SkeletonTemporalFlip``: per sample with probability p, the
    frame order reversed."""
    changes_coordinates = False

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def draw(self, x: torch.Tensor, generator) -> Params:
        return dict(apply=_gate(self.p, x.shape[0], generator, x.device))

    @staticmethod
    def apply(x: torch.Tensor, apply: torch.Tensor) -> torch.Tensor:
        return torch.where(_per_sample(apply, x), x.flip(2), x)


# numpy transform name -> batched counterpart
BATCH_AUGMENTATIONS = {
    'SkeletonShear': BatchShear,
    'SkeletonTemporalCrop': BatchTemporalCrop,
    'SkeletonSpatialFlip': BatchSpatialFlip,
    'SkeletonRotate': BatchRotate,
    'SkeletonGaussianNoise': BatchGaussianNoise,
    'SkeletonGaussianBlur': BatchGaussianBlur,
    'SkeletonAxisMask': BatchAxisMask,
    'SkeletonTemporalFlip': BatchTemporalFlip,
}


def build_batch_augmentation(cfg: Dict):
    """Batched augmentation from a numpy transform config such as
    ``dict(type='SkeletonShear', factor=0.5)``."""
    cfg = dict(cfg)
    name = cfg.pop('type')
    if name not in BATCH_AUGMENTATIONS:
        raise ValueError(f'No batched version of {name!r}; known: '
                         f'{sorted(BATCH_AUGMENTATIONS)}')
    if cfg.pop('seed', None) is not None:
        raise ValueError(f'{name}: a batched augmentation draws from the '
                         "data preprocessor's generator; drop its seed")
    return BATCH_AUGMENTATIONS[name](**cfg)


class BatchMultiView:
    """Several augmented views of a batch, each view its own pipeline of
    batched augmentations and its own draws: (N, M, T, V, C) ->
    (N, num_views, M, T, V, C).

    Args:
        views (Sequence[Sequence[dict]]): One list of numpy transform
            configs per view, as for ``SkeletonMultiView``.
        score_channel (bool): The last channel is a keypoint score, not a
            coordinate. Defaults to False.
    """

    def __init__(self,
                 views: Sequence[Sequence[Dict]],
                 score_channel: bool = False) -> None:
        if isinstance(views, dict) or len(views) == 0:
            raise ValueError('views must be a non-empty list of transform '
                             'lists')
        self.views: List[list] = [[build_batch_augmentation(t) for t in view]
                                  for view in views]
        self.score_channel = score_channel

    def _augment(self, augmentation, x: torch.Tensor,
                 generator) -> torch.Tensor:
        if not (self.score_channel and augmentation.changes_coordinates):
            return augmentation.apply(x, **augmentation.draw(x, generator))
        coords, score = x[..., :-1], x[..., -1:]
        coords = augmentation.apply(coords,
                                    **augmentation.draw(coords, generator))
        return torch.cat([coords, score], dim=-1)

    def __call__(self, x: torch.Tensor,
                 generator: Optional[torch.Generator]) -> torch.Tensor:
        outputs = []
        for view in self.views:
            out = x
            for augmentation in view:
                out = self._augment(augmentation, out, generator)
            outputs.append(out)
        return torch.stack(outputs, dim=1)
