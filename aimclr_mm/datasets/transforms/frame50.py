from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmaction.registry import TRANSFORMS
from .utils import get_keypoint, sample_name


def resize_frames(keypoint: np.ndarray, clip_len: int) -> np.ndarray:
    """Resize (M, T, ...) to (M, clip_len, ...) by linear interpolation along
    time.

    Sample positions follow OpenCV's ``INTER_LINEAR`` (pixel centres aligned,
    clamped at the ends), the resize the official frame50 data went through.
    """
    num_frames = keypoint.shape[1]
    pos = (np.arange(clip_len) + 0.5) * (num_frames / clip_len) - 0.5
    pos = np.clip(pos, 0, num_frames - 1)
    lower = np.floor(pos).astype(np.intp)
    upper = np.minimum(lower + 1, num_frames - 1)
    weight = (pos - lower).astype(keypoint.dtype)
    weight = weight.reshape((1, clip_len) + (1, ) * (keypoint.ndim - 2))
    return keypoint[:, lower] * (1 - weight) + keypoint[:, upper] * weight


def align_shoulders(keypoint: np.ndarray, left_shoulder: int,
                    right_shoulder: int) -> np.ndarray:
    """Rotate each (person, frame) of (M, T, V, 3) about the y axis so that
    the left-to-right shoulder vector, projected on the x-z plane, points
    along +x. Frames whose projected vector is zero are left as they are."""
    shoulder = keypoint[:, :, right_shoulder] - keypoint[:, :, left_shoulder]
    vec_x, vec_z = shoulder[..., 0], shoulder[..., 2]
    norm = np.hypot(vec_x, vec_z)
    valid = norm > 0
    safe_norm = np.where(valid, norm, 1)
    cos = np.where(valid, vec_x / safe_norm, 1)[..., None]
    sin = np.where(valid, -vec_z / safe_norm, 0)[..., None]
    x, y, z = keypoint[..., 0], keypoint[..., 1], keypoint[..., 2]
    return np.stack((cos * x - sin * z, y, sin * x + cos * z), axis=-1)


# Centre joint(s) and (left, right) shoulders of each joint layout of
# mmaction2's ``Graph``, 0-based. NTU's centre is its spine-shoulder joint;
# COCO has none, so the midpoint of the shoulders stands in for it.
FRAME50_LAYOUTS = {
    'nturgb+d': dict(center_joint=20, shoulder_joints=(4, 8)),
    'coco': dict(center_joint=(5, 6), shoulder_joints=(5, 6)),
    'openpose': dict(center_joint=1, shoulder_joints=(5, 2)),
}


@TRANSFORMS.register_module()
class PreNormalizeFrame50(BaseTransform):
    """The "frame50" normalisation AimCLR's data went through, from raw 3D
    skeletons such as mmaction2's ``ntu60_3d.pkl``.

    Per sample: (1) every joint minus the centre joint of the same person
    and frame; (2) the first ``length`` frames linearly resized to
    ``clip_len`` frames, all persons alike, where ``length`` counts the
    frames in which person 0's first joint is non-zero (the official
    preprocessing: trailing empty frames are cut, an empty frame inside the
    sequence is kept and pushes the last valid frame out); (3) each person and
    frame rotated about y so that its left-to-right shoulder vector on the
    x-z plane lies along +x; (4) persons truncated or zero-padded to
    ``num_person``. An absent person (all zeros) stays exactly zero.

    The official preprocessing chooses the rotation's sign once per sequence
    (from the summed shoulder z) and divides by ``norm + 1e-4``; here each
    frame is aligned exactly.

    2D skeletons (C = 2, e.g. mmaction2's ``ntu60_2d.pkl`` after
    ``PreNormalize2D``) go through steps (1), (2) and (4): an image cannot be
    turned to face the shoulders to the camera, so step (3) is 3D only.

    Required keys: ``keypoint`` (M, T, V, 3) or (M, T, V, 2), optional
    ``keypoint_score`` (M, T, V). Modified keys: ``keypoint`` (num_person,
    clip_len, V, C), ``keypoint_score`` (kept or removed, see
    ``keep_score``), ``total_frames``.

    Args:
        clip_len (int): Output frames. Defaults to 50.
        num_person (int): Output persons. Defaults to 2.
        layout (str): Joint layout of mmaction2's ``Graph`` whose centre and
            shoulders (:data:`FRAME50_LAYOUTS`) are the defaults of the two
            arguments below. Defaults to 'nturgb+d'.
        center_joint (int | Sequence[int], optional): 0-based centre joint,
            or joints whose mean is the centre. Defaults to the layout's (NTU
            joint 21, spine shoulder).
        shoulder_joints (Tuple[int, int], optional): 0-based left and right
            shoulder. Defaults to the layout's (NTU joints 5 and 9).
        keep_score (bool): Keep ``keypoint_score``, which mmaction2's
            ``FormatGCNInput`` and :class:`SkeletonMultiView` then append as
            the last channel (mmaction2's convention for 2D GCNs); False
            drops it. Defaults to True.
    """

    def __init__(self,
                 clip_len: int = 50,
                 num_person: int = 2,
                 layout: str = 'nturgb+d',
                 center_joint: Union[int, Sequence[int], None] = None,
                 shoulder_joints: Optional[Tuple[int, int]] = None,
                 keep_score: bool = True) -> None:
        if clip_len < 1:
            raise ValueError(f'clip_len must be >= 1, got {clip_len}')
        if num_person < 1:
            raise ValueError(f'num_person must be >= 1, got {num_person}')
        if layout not in FRAME50_LAYOUTS:
            raise ValueError(f'PreNormalizeFrame50: unknown layout {layout!r}'
                             f'; known layouts are {sorted(FRAME50_LAYOUTS)}'
                             ', or give center_joint and shoulder_joints')
        defaults = FRAME50_LAYOUTS[layout]
        if center_joint is None:
            center_joint = defaults['center_joint']
        self.clip_len = clip_len
        self.num_person = num_person
        self.layout = layout
        self.center_joint = center_joint if isinstance(
            center_joint, int) else tuple(center_joint)
        self.shoulder_joints = tuple(shoulder_joints or
                                     defaults['shoulder_joints'])
        self.keep_score = keep_score

    @property
    def center_joints(self) -> Tuple[int, ...]:
        return (self.center_joint, ) if isinstance(self.center_joint,
                                                   int) else self.center_joint

    def _check(self, keypoint: np.ndarray, results: Dict) -> None:
        name = sample_name(results)
        num_joints = keypoint.shape[2]
        for joint in self.center_joints + self.shoulder_joints:
            if not 0 <= joint < num_joints:
                raise ValueError(f'PreNormalizeFrame50: joint {joint} does '
                                 f'not exist in sample {name} with '
                                 f'{num_joints} joints')
        if not np.isfinite(keypoint).all():
            raise ValueError(f'PreNormalizeFrame50: sample {name} has NaN or '
                             'infinite coordinates')

    def transform(self, results: Dict) -> Dict:
        keypoint = get_keypoint(
            results, 'PreNormalizeFrame50', num_channels=(2, 3))
        # mmaction2's 2D files hold float16, too coarse for the arithmetic
        keypoint = keypoint[:self.num_person].astype(
            np.result_type(keypoint.dtype, np.float32), copy=False)
        self._check(keypoint, results)

        length = int(np.any(keypoint[0, :, 0] != 0, axis=-1).sum())
        if length == 0:
            raise ValueError(
                f'PreNormalizeFrame50: sample {sample_name(results)} has no '
                'valid frame (person 0 is absent in all '
                f'{keypoint.shape[1]} frames)')

        center = keypoint[:, :, list(self.center_joints)].mean(
            axis=2, keepdims=True)
        keypoint = keypoint - center
        keypoint = resize_frames(keypoint[:, :length], self.clip_len)
        if keypoint.shape[-1] == 3:
            keypoint = align_shoulders(keypoint, *self.shoulder_joints)
        results['keypoint'] = self._pad_persons(keypoint)

        if not self.keep_score:
            results.pop('keypoint_score', None)
        if 'keypoint_score' in results:
            score = results['keypoint_score'][:self.num_person].astype(
                keypoint.dtype, copy=False)
            results['keypoint_score'] = self._pad_persons(
                resize_frames(score[:, :length], self.clip_len))
        results['total_frames'] = self.clip_len
        return results

    def _pad_persons(self, array: np.ndarray) -> np.ndarray:
        missing = self.num_person - array.shape[0]
        if missing == 0:
            return array
        pad = np.zeros((missing, ) + array.shape[1:], dtype=array.dtype)
        return np.concatenate((array, pad))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, '
                f'num_person={self.num_person}, layout={self.layout!r}, '
                f'center_joint={self.center_joint}, '
                f'shoulder_joints={self.shoulder_joints}, '
                f'keep_score={self.keep_score})')
