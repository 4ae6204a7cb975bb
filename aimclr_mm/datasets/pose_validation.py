"""Check a PoseDataset annotation file when it is loaded, before training.

Every sample of the requested split is checked: floating-point keypoint of
rank 4 (M, T, V, C) with at least one person and one frame, V joints and C
coordinates of the configured layout, only finite values, ``total_frames``
equal to T and an integer label in ``[0, num_classes)``. One error names the
file and split and lists every bad sample by ``frame_dir`` with its reason;
or, with ``on_invalid='skip'``, the bad samples are left out and listed in
a warning. mmaction2's ``PoseDataset`` checks nothing at load, so a bad
sample fails mid-epoch, deep in a transform, or trains unnoticed.
"""
import logging
import numbers
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from ..utils import load_pickle

__all__ = [
    'InvalidDataError', 'ON_INVALID', 'check_on_invalid', 'check_sample',
    'load_pose_file', 'pose_dataset_of', 'select_split', 'validate_samples',
    'checked_split'
]

ON_INVALID = ('error', 'skip')


class InvalidDataError(ValueError):
    """An annotation file, split or sample cannot be used."""


def check_on_invalid(on_invalid: str) -> str:
    if on_invalid not in ON_INVALID:
        raise ValueError(f'on_invalid must be one of {ON_INVALID}, got '
                         f'{on_invalid!r}')
    return on_invalid


def load_pose_file(ann_file: str) -> Dict:
    """Load a PoseDataset pickle safely as ``dict(split=..., annotations=
    ...)``; a file holding a bare list of annotations has ``split=None``.

    Raises:
        UnsafePickleError: the file pickles anything but data.
        CorruptPickleError: the file is truncated or not a pickle.
        InvalidDataError: the file is not a PoseDataset annotation file,
            or ``ann_file`` is a directory.
    """
    if osp.isdir(ann_file):
        raise InvalidDataError(
            f'{ann_file} is a directory, not an annotation file: give the '
            'path of the PoseDataset .pkl file itself')
    data = load_pickle(ann_file)
    if isinstance(data, list):
        return dict(split=None, annotations=data)
    if not isinstance(data, dict) or not isinstance(
            data.get('annotations'), list):
        raise InvalidDataError(
            f'{ann_file} is not a PoseDataset annotation file: expected a '
            'dict with an "annotations" list (and a "split" dict), got '
            f'{type(data).__name__}'
            + (f' with keys {sorted(map(str, data))}'
               if isinstance(data, dict) else ''))
    split = data.get('split')
    if split is not None and not isinstance(split, dict):
        raise InvalidDataError(f'{ann_file}: "split" must be a dict of '
                               f'split name -> sample names, got '
                               f'{type(split).__name__}')
    return dict(split=split, annotations=data['annotations'])


def pose_dataset_of(dataset):
    """The PoseDataset inside dataset wrappers that keep the wrapped
    dataset as ``.dataset``."""
    while not hasattr(dataset, 'split') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return dataset


def sample_name(anno, index: int) -> str:
    """``frame_dir`` (or ``filename``) of an annotation, else its index."""
    if isinstance(anno, dict):
        for key in ('frame_dir', 'filename'):
            if isinstance(anno.get(key), str):
                return anno[key]
    return f'annotation #{index}'


def select_split(data: Dict, ann_file: str,
                 split: Optional[str]) -> Tuple[List, List[Tuple[str, str]]]:
    """The annotations of ``split`` (all of them if None) and the problems
    found: ``(name, reason)`` of each name the split lists without an
    annotation.

    Raises:
        InvalidDataError: the file has no such split, or it lists no sample.
    """
    annos = data['annotations']
    if split is None:
        return list(annos), []
    splits = data['split']
    if splits is None:
        raise InvalidDataError(f'{ann_file} has no "split" dict, so split '
                               f'{split!r} cannot be selected')
    if split not in splits:
        raise InvalidDataError(f'{ann_file} has no split {split!r}; its '
                               f'splits are {sorted(map(str, splits))}')
    members = splits[split]
    if not members:
        raise InvalidDataError(
            f'{ann_file}: split {split!r} is empty (it lists no samples)')
    members = list(members)
    wanted = set(members)
    samples = [
        anno for i, anno in enumerate(annos)
        if sample_name(anno, i) in wanted
    ]
    found = {sample_name(anno, i) for i, anno in enumerate(samples)}
    missing = [(name, f'listed in split {split!r} but has no annotation')
               for name in members if name not in found]
    return samples, missing


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_))


def check_sample(anno,
                 num_joints: Optional[int] = 25,
                 num_coords: Optional[int] = 3,
                 num_classes: Optional[int] = None) -> List[str]:
    """Why one annotation cannot be used; empty if it can.

    Args:
        anno (dict): One PoseDataset annotation.
        num_joints (int, optional): Joints V of the layout (25 for NTU
            RGB+D); None accepts any.
        num_coords (int, optional): Coordinates C per joint; None accepts
            any.
        num_classes (int, optional): Labels must lie in [0, num_classes);
            None only requires a non-negative integer label where there is
            one.
    """
    if not isinstance(anno, dict):
        return [f'is a {type(anno).__name__}, not an annotation dict']
    reasons = []
    keypoint = anno.get('keypoint')
    if keypoint is None:
        reasons.append('has no keypoint')
    elif not isinstance(keypoint, np.ndarray):
        reasons.append(f'keypoint is a {type(keypoint).__name__}, not an '
                       'array')
    elif keypoint.dtype.kind != 'f':
        # the transforms take floating-point coordinates only
        reasons.append(f'keypoint has dtype {keypoint.dtype}, not floating '
                       'point')
    elif keypoint.ndim != 4:
        reasons.append(f'keypoint has shape {keypoint.shape}, expected rank '
                       '4 (M, T, V, C)')
    else:
        persons, frames, joints, coords = keypoint.shape
        if persons == 0:
            reasons.append(f'keypoint {keypoint.shape} has no person (M = 0)')
        if frames == 0:
            reasons.append(f'keypoint {keypoint.shape} has zero frames')
        if num_joints is not None and joints != num_joints:
            reasons.append(f'keypoint {keypoint.shape} has {joints} joints, '
                           f'expected {num_joints}')
        if num_coords is not None and coords != num_coords:
            reasons.append(f'keypoint {keypoint.shape} has {coords} '
                           f'coordinates per joint, expected {num_coords}')
        bad = keypoint.size - int(np.count_nonzero(np.isfinite(keypoint)))
        if bad:
            reasons.append(f'keypoint has {bad} non-finite value'
                           f'{"s" if bad > 1 else ""} (NaN or inf)')
        total = anno.get('total_frames')
        if total is not None and (not _is_int(total) or total != frames):
            reasons.append(f'total_frames is {total!r} but keypoint has '
                           f'{frames} frames')
        score = anno.get('keypoint_score')
        if score is not None and (not isinstance(score, np.ndarray)
                                  or score.shape != keypoint.shape[:3]):
            reasons.append(f'keypoint_score has shape '
                           f'{getattr(score, "shape", None)}, expected '
                           f'{keypoint.shape[:3]}')
    if 'label' in anno or num_classes is not None:
        label = anno.get('label')
        if not _is_int(label):
            reasons.append(f'label {label!r} is not an integer')
        elif label < 0 or (num_classes is not None and label >= num_classes):
            bound = f'[0, {num_classes})' if num_classes is not None else \
                '>= 0'
            reasons.append(f'label {label} is out of range {bound}')
    return reasons


def _format(problems: Iterable[Tuple[str, str]]) -> str:
    return '\n'.join(f'  {name}: {reason}' for name, reason in problems)


def validate_samples(samples: List,
                     ann_file: str,
                     split: Optional[str],
                     on_invalid: str = 'error',
                     num_joints: Optional[int] = 25,
                     num_coords: Optional[int] = 3,
                     num_classes: Optional[int] = None,
                     problems: Iterable[Tuple[str, str]] = (),
                     owner: str = 'dataset') -> List[Dict]:
    """Check every sample; raise listing all bad ones, or skip them.

    Args:
        samples (list[dict]): Annotations of the split.
        ann_file (str): Their file, named in messages.
        split (str, optional): Their split, named in messages.
        on_invalid (str): ``'error'`` or ``'skip'`` (leave the bad samples
            out and list them in a warning).
        num_joints, num_coords, num_classes: See :func:`check_sample`.
        problems: ``(name, reason)`` found before, e.g. by
            :func:`select_split`; reported the same way.
        owner (str): Who loads the file, named in messages.

    Returns:
        list[dict]: The valid samples, in order.

    Raises:
        InvalidDataError: a sample is bad and ``on_invalid='error'``, or no
            valid sample remains.
    """
    check_on_invalid(on_invalid)
    where = f'{ann_file}' + (f', split {split!r}' if split else '')
    problems = list(problems)
    total = len(samples) + len(problems)
    valid = []
    for i, anno in enumerate(samples):
        reasons = check_sample(anno, num_joints, num_coords, num_classes)
        if reasons:
            problems.append((sample_name(anno, i), '; '.join(reasons)))
            continue
        if isinstance(anno.get('label'), np.integer):
            # mmaction2's PackActionInputs takes Python ints only.
            anno['label'] = int(anno['label'])
        valid.append(anno)
    if problems and on_invalid == 'error':
        hint = ("Fix the file, or set on_invalid='skip' on the dataset to "
                'leave these samples out.') if valid else (
            "Every sample is invalid, so on_invalid='skip' would leave none: "
            'the file and the config disagree (a 2D file for a 3D config, '
            'another joint layout, other class labels); convert the file '
            "or set the dataset's num_joints / num_coords / num_classes.")
        raise InvalidDataError(
            f'{owner}: {where}: {len(problems)} invalid of {total} '
            f'samples:\n{_format(problems)}\n{hint}')
    if problems:
        print_log(
            f'{owner}: {where}: skipped {len(problems)} invalid of {total} '
            f'samples:\n{_format(problems)}',
            logger='current',
            level=logging.WARNING)
    if not valid:
        raise InvalidDataError(f'{owner}: {where} has no valid samples')
    return valid


def checked_split(data: Dict, split: Optional[str], dataset) -> List[Dict]:
    """The valid samples of ``split`` of the loaded ``data``, checked with
    the settings of ``dataset`` (its ``ann_file``, ``num_joints``,
    ``num_coords``, ``num_classes`` and ``on_invalid``)."""
    samples, problems = select_split(data, dataset.ann_file, split)
    return validate_samples(
        samples,
        dataset.ann_file,
        split,
        on_invalid=dataset.on_invalid,
        num_joints=dataset.num_joints,
        num_coords=dataset.num_coords,
        num_classes=dataset.num_classes,
        problems=problems,
        owner=type(dataset).__name__)
