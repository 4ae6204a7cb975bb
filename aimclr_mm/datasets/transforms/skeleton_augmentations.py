"""The skeleton augmentations of AimCLR.

Normal augmentations: :class:`SkeletonTemporalCrop`, :class:`SkeletonShear`.
Extreme augmentations add :class:`SkeletonSpatialFlip`,
:class:`SkeletonRotate`, :class:`SkeletonGaussianNoise`,
:class:`SkeletonGaussianBlur`, :class:`SkeletonAxisMask` and, optionally,
:class:`SkeletonTemporalFlip`.

Every transform acts on ``results['keypoint']`` of shape (M, T, V, C), keeps
its dtype and never writes into the input array. Each has a pure function
counterpart taking the random parameters explicitly.
"""
import os
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from scipy.ndimage import correlate1d
from torch.utils.data import get_worker_info

from mmaction.registry import TRANSFORMS
from .utils import get_keypoint, sample_name

# Output joint ``j`` of a spatial flip is input joint ``FLIP_INDICES[j]``:
# left and right joints swap, joints on the body's midline stay.
FLIP_INDICES = {
    # 0-3 spine/neck/head, 4-7 left arm, 8-11 right arm, 12-15 left leg,
    # 16-19 right leg, 20 spine shoulder, 21/22 left hand tip/thumb,
    # 23/24 right hand tip/thumb.
    'nturgb+d': (0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 16, 17, 18, 19, 12, 13,
                 14, 15, 20, 23, 24, 21, 22),
    # nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
    'coco': (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15),
    # nose, neck, right arm 2-4, left arm 5-7, right leg 8-10, left leg
    # 11-13, right/left eye 14/15, right/left ear 16/17.
    'openpose': (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16),
}


# ---------------------------------------------------------------------------
# Pure functions: keypoint arrays are (M, T, V, C) unless said otherwise.
# ---------------------------------------------------------------------------
# Where each factor of the official draw order (a12, a21, a31, a13, a23,
# a32) goes in the shear matrix; a 2D shear takes the first two.
SHEAR_POSITIONS = ((0, 1), (1, 0), (2, 0), (0, 2), (1, 2), (2, 1))


def shear_matrix(factors: Sequence[float]) -> np.ndarray:
    """Shear matrix from factors in the official draw order.

    Args:
        factors (Sequence[float]): ``(a12, a21, a31, a13, a23, a32)``, or
            ``(a12, a21)`` for 2D skeletons.

    Returns:
        np.ndarray: (3, 3) float64 matrix
        ``[[1, a12, a13], [a21, 1, a23], [a31, a32, 1]]``, or (2, 2)
        ``[[1, a12], [a21, 1]]``.
    """
    factors = np.asarray(factors, dtype=np.float64)
    if factors.shape not in ((6, ), (2, )):
        raise ValueError(f'a shear takes 6 factors (3D) or 2 (2D), got '
                         f'{factors.shape}')
    matrix = np.eye(3 if len(factors) == 6 else 2)
    rows, cols = zip(*SHEAR_POSITIONS[:len(factors)])
    matrix[rows, cols] = factors
    return matrix


def shear(keypoint: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply ``matrix @ p`` to every point ``p``; keypoint is (..., C) and
    matrix (C, C), C = 2 or 3."""
    return keypoint @ np.asarray(matrix, dtype=keypoint.dtype).T


def temporal_crop(keypoint: np.ndarray, start: int,
                  padding_len: int) -> np.ndarray:
    """Crop T frames out of the symmetrically padded sequence.

    The sequence is padded with its first and last ``padding_len`` frames in
    reverse order, the edge frame repeated (numpy's 'symmetric' mode), then
    frames ``start .. start + T - 1`` of the padded sequence are returned.

    Args:
        keypoint (np.ndarray): (M, T, V, C).
        start (int): In ``[0, 2 * padding_len]``; ``padding_len`` returns the
            input frames.
        padding_len (int): In ``[0, T]``.
    """
    num_frames = keypoint.shape[1]
    if not 0 <= padding_len <= num_frames:
        raise ValueError(f'padding_len must be in [0, {num_frames}], got '
                         f'{padding_len}')
    if not 0 <= start <= 2 * padding_len:
        raise ValueError(f'start must be in [0, {2 * padding_len}], got '
                         f'{start}')
    frame_inds = np.arange(start - padding_len,
                           start - padding_len + num_frames)
    # Mirror the out-of-range indices back into [0, T), edge repeated.
    frame_inds = np.where(frame_inds < 0, -frame_inds - 1, frame_inds)
    frame_inds = np.where(frame_inds >= num_frames,
                          2 * num_frames - frame_inds - 1, frame_inds)
    return keypoint[:, frame_inds]


def spatial_flip(keypoint: np.ndarray,
                 flip_indices: Sequence[int]) -> np.ndarray:
    """Move joint ``flip_indices[j]`` to joint ``j`` (joints on axis 2); no
    coordinate is negated."""
    flip_indices = np.asarray(flip_indices, dtype=np.intp)
    if sorted(flip_indices.tolist()) != list(range(keypoint.shape[2])):
        raise ValueError(
            f'flip_indices must be a permutation of the {keypoint.shape[2]} '
            f'joints, got {flip_indices.tolist()}')
    return keypoint[:, :, flip_indices]


def rotation_matrices(angles: Sequence[float]) -> np.ndarray:
    """The official rotation matrices about x, y and z, acting on column
    vectors.

    They are the transposes of the textbook rotations, so each turns points
    by minus its angle.

    Args:
        angles (Sequence[float]): Angles about x, y and z, in radians.

    Returns:
        np.ndarray: (3, 3, 3) float64, ``[Rx, Ry, Rz]``.
    """
    (cx, cy, cz), (sx, sy, sz) = np.cos(angles), np.sin(angles)
    return np.array([
        [[1., 0., 0.], [0., cx, sx], [0., -sx, cx]],
        [[cy, 0., -sy], [0., 1., 0.], [sy, 0., cy]],
        [[cz, sz, 0.], [-sz, cz, 0.], [0., 0., 1.]],
    ])


def rotate(keypoint: np.ndarray, angles: Sequence[float]) -> np.ndarray:
    """Rotate about x, then y, then z: ``Rz @ Ry @ Rx @ p`` for every point
    ``p`` with the matrices of :func:`rotation_matrices`; keypoint is
    (..., 3), angles in radians."""
    rot_x, rot_y, rot_z = rotation_matrices(angles)
    return keypoint @ (rot_z @ rot_y @ rot_x).T.astype(keypoint.dtype)


def rotate_2d(keypoint: np.ndarray, angle: float) -> np.ndarray:
    """In-plane rotation of (..., 2) points by the x-y block of the official
    ``Rz`` (so points turn by minus ``angle``, radians), the rotation about
    the camera axis that an image shows."""
    matrix = rotation_matrices([0., 0., angle])[2, :2, :2]
    return keypoint @ matrix.T.astype(keypoint.dtype)


def gaussian_noise(keypoint: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Add ``noise`` (same shape) to every entry, zeros included."""
    if noise.shape != keypoint.shape:
        raise ValueError(f'noise of shape {noise.shape} does not match '
                         f'keypoint of shape {keypoint.shape}')
    return keypoint + noise.astype(keypoint.dtype, copy=False)


def gaussian_blur_kernel(sigma: float,
                         kernel_size: int = 15,
                         normalize: bool = False) -> np.ndarray:
    """Taps ``exp(-t^2 / (2 sigma^2))`` for ``t = -r .. r``,
    ``r = kernel_size // 2``.

    The official kernel is not normalised (it sums to up to about 5), so a
    blurred sequence is also scaled up; ``normalize=True`` makes it sum to 1.

    Returns:
        np.ndarray: (kernel_size, ) float64.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd number, got '
                         f'{kernel_size}')
    radius = kernel_size // 2
    taps = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-taps**2 / (2. * float(sigma)**2))
    return kernel / kernel.sum() if normalize else kernel


def gaussian_blur(keypoint: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Filter every coordinate of every (person, joint) along time:
    ``out[:, t] = sum_j kernel[j] * x[:, t + j - r]``, frames outside the
    sequence counting as zero."""
    kernel = np.asarray(kernel, dtype=keypoint.dtype)
    if kernel.ndim != 1 or kernel.size % 2 == 0:
        raise ValueError(f'kernel must be 1-d of odd length, got shape '
                         f'{kernel.shape}')
    return correlate1d(keypoint, kernel, axis=1, mode='constant', cval=0.)


def axis_mask(keypoint: np.ndarray, axis: int) -> np.ndarray:
    """Set coordinate ``axis`` (0 = x, 1 = y, 2 = z) to zero everywhere."""
    masked = keypoint.copy()
    masked[..., axis] = 0
    return masked


def temporal_flip(keypoint: np.ndarray) -> np.ndarray:
    """Reverse the frame order; keypoint is (M, T, V, C)."""
    return np.ascontiguousarray(keypoint[:, ::-1])


# ---------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------
class BaseSkeletonAugmentation(BaseTransform):
    """Base of the random skeleton augmentations.

    Args:
        seed (int, optional): Seed of a generator owned by the transform.
            Each process gets its own stream: the main process uses ``seed``
            as given, dataloader worker ``i`` a stream spawned from
            ``(seed, i)``. Defaults to None: draw from numpy's global state,
            which mmengine seeds per dataloader worker under
            ``randomness=dict(seed=...)``.
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed
        self._generator = None
        self._generator_pid = None

    @property
    def rng(self):
        """``np.random.Generator``, or the ``np.random`` module when
        unseeded (only draws common to both APIs are used)."""
        if self.seed is None:
            return np.random
        # A generator copied into a forked or spawned worker is replaced, so
        # that workers do not repeat each other's draws.
        if self._generator_pid != os.getpid():
            worker = get_worker_info()
            entropy = self.seed if worker is None else np.random.SeedSequence(
                self.seed, spawn_key=(worker.id, ))
            self._generator = np.random.default_rng(entropy)
            self._generator_pid = os.getpid()
        return self._generator

    def _randint(self, high: int) -> int:
        """Uniform integer in ``[0, high)``."""
        rng = self.rng
        if isinstance(rng, np.random.Generator):
            return int(rng.integers(high))
        return int(rng.randint(high))

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in self._repr_args())
        return f'{self.__class__.__name__}({args})'

    def _repr_args(self):
        return [('seed', self.seed)]


class BaseRandomApply(BaseSkeletonAugmentation):
    """Base of the augmentations applied with probability ``p``; when not
    applied the results are returned unchanged.

    Subclasses implement ``_sample_params`` (decorated with
    ``cache_randomness`` in the subclass itself, as mmcv requires), returning
    None when not applied or the keyword arguments of ``_apply``.

    Args:
        p (float): Probability of applying the augmentation.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self, p: float = 0.5, seed: Optional[int] = None) -> None:
        super().__init__(seed=seed)
        if not 0. <= p <= 1.:
            raise ValueError(f'p must be in [0, 1], got {p}')
        self.p = p

    def _gate(self) -> bool:
        """Whether to apply, true with probability ``p``."""
        return self.rng.random() < self.p

    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        raise NotImplementedError

    def _apply(self, keypoint: np.ndarray, results: Dict,
               **params) -> np.ndarray:
        raise NotImplementedError

    def transform(self, results: Dict) -> Dict:
        keypoint = get_keypoint(results, self.__class__.__name__)
        params = self._sample_params(keypoint)
        if params is not None:
            results['keypoint'] = self._apply(keypoint, results, **params)
        return results

    def _repr_args(self):
        return [('p', self.p)] + super()._repr_args()


@TRANSFORMS.register_module()
class SkeletonShear(BaseSkeletonAugmentation):
    """Shear every point by ``[[1, a12, a13], [a21, 1, a23], [a31, a32, 1]]``,
    the six factors uniform in ``[-factor, factor]``, one draw per sequence.
    2D skeletons are sheared by ``[[1, a12], [a21, 1]]``, two factors drawn.

    Required keys: ``keypoint`` (M, T, V, 3) or (M, T, V, 2). Modified keys:
    ``keypoint``.

    Args:
        factor (float): Shear amplitude. Defaults to 0.5.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self, factor: float = 0.5, seed: Optional[int] = None):
        super().__init__(seed=seed)
        self.factor = factor

    @cache_randomness
    def _sample_matrix(self, num_coords: int = 3) -> np.ndarray:
        num_factors = 2 if num_coords == 2 else 6
        return shear_matrix(
            self.rng.uniform(-self.factor, self.factor, num_factors))

    def transform(self, results: Dict) -> Dict:
        keypoint = get_keypoint(results, 'SkeletonShear', num_channels=(2, 3))
        results['keypoint'] = shear(keypoint,
                                    self._sample_matrix(keypoint.shape[-1]))
        return results

    def _repr_args(self):
        return [('factor', self.factor)] + super()._repr_args()


@TRANSFORMS.register_module()
class SkeletonTemporalCrop(BaseSkeletonAugmentation):
    """Pad ``T // padding_ratio`` mirrored frames at both ends and crop T
    frames from a start uniform in ``[0, 2 * pad]``.

    Required keys: ``keypoint``. Modified keys: ``keypoint`` and, if
    present, ``keypoint_score``.

    Args:
        padding_ratio (int): ``pad = T // padding_ratio``. Defaults to 6.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self, padding_ratio: int = 6, seed: Optional[int] = None):
        super().__init__(seed=seed)
        if padding_ratio < 1:
            raise ValueError(f'padding_ratio must be >= 1, got '
                             f'{padding_ratio}')
        self.padding_ratio = padding_ratio

    @cache_randomness
    def _sample_start(self, padding_len: int) -> int:
        return self._randint(2 * padding_len + 1)

    def transform(self, results: Dict) -> Dict:
        keypoint = get_keypoint(results, 'SkeletonTemporalCrop')
        padding_len = keypoint.shape[1] // self.padding_ratio
        start = self._sample_start(padding_len)
        results['keypoint'] = temporal_crop(keypoint, start, padding_len)
        if 'keypoint_score' in results:
            results['keypoint_score'] = temporal_crop(
                results['keypoint_score'], start, padding_len)
        return results

    def _repr_args(self):
        return [('padding_ratio', self.padding_ratio)] + super()._repr_args()


@TRANSFORMS.register_module()
class SkeletonSpatialFlip(BaseRandomApply):
    """Swap left and right joints with probability ``p``.

    Only joint labels move: no coordinate is negated, as in the official
    code.

    Required keys: ``keypoint``. Modified keys: ``keypoint`` and, if
    present, ``keypoint_score``.

    Args:
        p (float): Probability of flipping. Defaults to 0.5.
        layout (str | Sequence[int]): 'nturgb+d', 'coco' or 'openpose' (the
            joint orders of mmaction2's ``Graph``), or an explicit
            permutation: output joint ``j`` is input joint ``layout[j]``.
            Defaults to 'nturgb+d'.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self,
                 p: float = 0.5,
                 layout: Union[str, Sequence[int]] = 'nturgb+d',
                 seed: Optional[int] = None):
        super().__init__(p=p, seed=seed)
        if isinstance(layout, str):
            if layout not in FLIP_INDICES:
                raise ValueError(
                    f'SkeletonSpatialFlip: unknown layout {layout!r}; known '
                    f'layouts are {sorted(FLIP_INDICES)}, or pass the '
                    'permutation itself')
            flip_indices = FLIP_INDICES[layout]
        else:
            flip_indices = [int(i) for i in layout]
            if sorted(flip_indices) != list(range(len(flip_indices))):
                raise ValueError('SkeletonSpatialFlip: layout must be a '
                                 f'permutation, got {flip_indices}')
        self.layout = layout
        self.flip_indices = np.asarray(flip_indices, dtype=np.intp)

    @cache_randomness
    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        return {} if self._gate() else None

    def _apply(self, keypoint: np.ndarray, results: Dict) -> np.ndarray:
        if keypoint.shape[2] != len(self.flip_indices):
            raise ValueError(
                f'SkeletonSpatialFlip: sample {sample_name(results)} has '
                f'{keypoint.shape[2]} joints, layout {self.layout!r} has '
                f'{len(self.flip_indices)}')
        if 'keypoint_score' in results:
            results['keypoint_score'] = spatial_flip(results['keypoint_score'],
                                                     self.flip_indices)
        return spatial_flip(keypoint, self.flip_indices)

    def _repr_args(self):
        return [('p', self.p), ('layout', self.layout), ('seed', self.seed)]


@TRANSFORMS.register_module()
class SkeletonRotate(BaseSkeletonAugmentation):
    """Rotate about x, then y, then z (official matrices, see
    :func:`rotation_matrices`).

    A main axis is drawn uniformly; its angle is uniform in
    ``[0, main_angle]`` degrees, the other two in ``[0, other_angle]``.
    A 2D skeleton can only turn in its image plane: it is rotated about the
    camera axis (:func:`rotate_2d`) by an angle uniform in
    ``[0, main_angle]``, one draw per sequence.

    Required keys: ``keypoint`` (M, T, V, 3) or (M, T, V, 2). Modified keys:
    ``keypoint``.

    Args:
        main_angle (float): Largest angle about the main axis, degrees
            (in 2D, the in-plane angle). Defaults to 30.
        other_angle (float): Largest angle about the other two axes,
            degrees (unused in 2D). Defaults to 1.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self,
                 main_angle: float = 30.,
                 other_angle: float = 1.,
                 seed: Optional[int] = None):
        super().__init__(seed=seed)
        self.main_angle = main_angle
        self.other_angle = other_angle

    @cache_randomness
    def _sample_angles(self, num_coords: int = 3) -> np.ndarray:
        """Angles about x, y, z in radians; for 2D the in-plane angle."""
        if num_coords == 2:
            return np.deg2rad(self.rng.uniform(0., self.main_angle))
        high = np.full(3, float(self.other_angle))
        high[self._randint(3)] = self.main_angle
        return np.deg2rad(self.rng.uniform(0., high))

    def transform(self, results: Dict) -> Dict:
        keypoint = get_keypoint(results, 'SkeletonRotate', num_channels=(2, 3))
        angles = self._sample_angles(keypoint.shape[-1])
        rotation = rotate_2d if keypoint.shape[-1] == 2 else rotate
        results['keypoint'] = rotation(keypoint, angles)
        return results

    def _repr_args(self):
        return [('main_angle', self.main_angle),
                ('other_angle', self.other_angle)] + super()._repr_args()


@TRANSFORMS.register_module()
class SkeletonGaussianNoise(BaseRandomApply):
    """With probability ``p``, add i.i.d. N(0, std^2) noise to every entry
    (an absent person and zero frames included, as in the official code).

    Required keys: ``keypoint``. Modified keys: ``keypoint``.

    Args:
        p (float): Defaults to 0.5.
        std (float): Defaults to 0.01.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self,
                 p: float = 0.5,
                 std: float = 0.01,
                 seed: Optional[int] = None):
        super().__init__(p=p, seed=seed)
        self.std = std

    @cache_randomness
    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        if not self._gate():
            return None
        return dict(noise=self.rng.normal(0., self.std, size=keypoint.shape))

    def _apply(self, keypoint: np.ndarray, results: Dict,
               noise: np.ndarray) -> np.ndarray:
        return gaussian_noise(keypoint, noise)

    def _repr_args(self):
        return [('p', self.p), ('std', self.std), ('seed', self.seed)]


@TRANSFORMS.register_module()
class SkeletonGaussianBlur(BaseRandomApply):
    """With probability ``p``, blur along time with a Gaussian kernel of
    sigma uniform in ``sigma_range`` and zero padding.

    The official kernel is not normalised (``normalize=False``, default), so
    the blur also scales the sequence up by up to about 5x.

    Required keys: ``keypoint``. Modified keys: ``keypoint``.

    Args:
        p (float): Defaults to 0.5.
        sigma_range (Tuple[float, float]): Defaults to (0.1, 2).
        kernel_size (int): Odd number of taps. Defaults to 15.
        normalize (bool): Make the kernel sum to 1. Defaults to False.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    def __init__(self,
                 p: float = 0.5,
                 sigma_range: Tuple[float, float] = (0.1, 2.),
                 kernel_size: int = 15,
                 normalize: bool = False,
                 seed: Optional[int] = None):
        super().__init__(p=p, seed=seed)
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be a positive odd number, '
                             f'got {kernel_size}')
        low, high = sigma_range
        if not 0. < low <= high:
            raise ValueError(f'sigma_range must satisfy 0 < low <= high, got '
                             f'{sigma_range}')
        self.sigma_range = (low, high)
        self.kernel_size = kernel_size
        self.normalize = normalize

    @cache_randomness
    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        if not self._gate():
            return None
        return dict(sigma=float(self.rng.uniform(*self.sigma_range)))

    def _apply(self, keypoint: np.ndarray, results: Dict,
               sigma: float) -> np.ndarray:
        kernel = gaussian_blur_kernel(sigma, self.kernel_size, self.normalize)
        return gaussian_blur(keypoint, kernel)

    def _repr_args(self):
        return [('p', self.p), ('sigma_range', self.sigma_range),
                ('kernel_size', self.kernel_size),
                ('normalize', self.normalize), ('seed', self.seed)]


@TRANSFORMS.register_module()
class SkeletonAxisMask(BaseRandomApply):
    """With probability ``p``, zero one coordinate axis drawn uniformly: one
    of x, y, z, or of x, y for a 2D skeleton.

    Required keys: ``keypoint``. Modified keys: ``keypoint``.

    Args:
        p (float): Defaults to 0.5.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    @cache_randomness
    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        if not self._gate():
            return None
        return dict(axis=self._randint(keypoint.shape[-1]))

    def _apply(self, keypoint: np.ndarray, results: Dict,
               axis: int) -> np.ndarray:
        return axis_mask(keypoint, axis)


@TRANSFORMS.register_module()
class SkeletonTemporalFlip(BaseRandomApply):
    """With probability ``p``, reverse the frame order.

    Required keys: ``keypoint``. Modified keys: ``keypoint`` and, if
    present, ``keypoint_score``.

    Args:
        p (float): Defaults to 0.5.
        seed (int, optional): See :class:`BaseSkeletonAugmentation`.
    """

    @cache_randomness
    def _sample_params(self, keypoint: np.ndarray) -> Optional[Dict]:
        return {} if self._gate() else None

    def _apply(self, keypoint: np.ndarray, results: Dict) -> np.ndarray:
        if 'keypoint_score' in results:
            results['keypoint_score'] = temporal_flip(
                results['keypoint_score'])
        return temporal_flip(keypoint)
