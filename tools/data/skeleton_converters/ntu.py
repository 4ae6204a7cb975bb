"""NTU RGB+D 60 / 120 ``.skeleton`` files.

A ``.skeleton`` file is text: the frame count; per frame the body count;
per body a line of 10 values (bodyID first), the joint count (25) and one
line of 12 values per joint, of which the first three are x y z in metres.
File names are ``SsssCcccPpppRrrrAaaa``: setup, camera, performer,
replication and action (label = action - 1).
"""
import os
import os.path as osp
import re
from collections import Counter
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

import numpy as np

from .bodies import merge_into_persons
from .parsing import parse_int, parse_rows, read_text_lines
from .pose_pickle import NUM_NTU_JOINTS, check_output_path, make_annotation
from .report import ConversionReport, InputError
from .runner import (ConversionFailed, TaskResult, finish, require_dir,
                     run_tasks)

NTU_NAME = re.compile(r'S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})')

# Cross-subject training performers (Shahroudy et al. 2016; Liu et al. 2019)
NTU60_XSUB_TRAIN_SUBJECTS = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25,
                             27, 28, 31, 34, 35, 38)
NTU120_XSUB_TRAIN_SUBJECTS = NTU60_XSUB_TRAIN_SUBJECTS + (
    45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82,
    83, 84, 85, 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103)
NTU60_XVIEW_TRAIN_CAMERAS = (2, 3)
NTU60_SETUPS = 17
NTU60_ACTIONS = 60
MAX_PERSONS = 2
JOINT_VALUES = 12
BODY_INFO_VALUES = 10


class NTUName(NamedTuple):
    """The fields of an NTU sample name (all 1-based as in the name)."""
    name: str
    setup: int
    camera: int
    performer: int
    replication: int
    action: int

    @property
    def label(self) -> int:
        return self.action - 1


def parse_ntu_name(name: str) -> NTUName:
    """``'S001C002P003R002A013'`` (a stem, no extension) to its fields."""
    match = NTU_NAME.fullmatch(name)
    if match is None:
        raise InputError(
            f'{name!r} is not an NTU sample name (SsssCcccPpppRrrrAaaa)',
            'bad_name')
    return NTUName(name, *(int(g) for g in match.groups()))


def read_missing_list(path: str) -> Set[str]:
    """Sample names of an NTU "samples with missing skeletons" list.

    Raises:
        ConversionFailed: the file cannot be read or names no sample.
    """
    try:
        lines = read_text_lines(path)
    except InputError as e:
        raise ConversionFailed(f'missing-skeleton list: {e}') from None
    names = set()
    for line in lines:
        names.update(m.group(0) for m in NTU_NAME.finditer(line))
    if not names:
        raise ConversionFailed(
            f'missing-skeleton list {path!r} names no NTU sample')
    return names


def read_ntu_skeleton(path: str) -> np.ndarray:
    """Joint positions (B, T, 25, 3) float64 of a ``.skeleton`` file.

    Bodies are told apart by their bodyID, in order of first appearance; a
    body's frames without it stay zero. (A bodyID repeated within one frame
    counts as another body.)

    Raises:
        InputError: the file is truncated or malformed, holds a non-finite
            coordinate, has no frame or no body in any frame.
    """
    lines = read_text_lines(path)
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    pos = 0

    def take(count: int, what: str) -> List[str]:
        nonlocal pos
        if pos + count > end:
            raise InputError(
                f'{path}: file ends at line {end} where {what} was expected '
                '(truncated file)', 'truncated')
        pos += count
        return lines[pos - count:pos]

    def numbers(count: int, width: int, what: str) -> np.ndarray:
        first = pos + 1
        block = take(count, what)
        try:
            return parse_rows(block, width, path, first)
        except InputError as e:
            last = block[-1].split()
            if pos == end and 0 < len(last) < width:
                raise InputError(f'{e} (truncated file)', 'truncated') from e
            raise

    num_frames = parse_int(
        take(1, 'the frame count')[0], f'{path}, line 1 (frame count)')
    if num_frames < 0:
        raise InputError(f'{path}, line 1: negative frame count', 'malformed')
    if num_frames == 0:
        raise InputError(f'{path}: zero frames', 'no_frames')
    tracks: Dict[Tuple[str, int], List[Tuple[int, np.ndarray]]] = {}
    for t in range(num_frames):
        frame = f'frame {t + 1}/{num_frames}'
        num_bodies = parse_int(
            take(1, f'the body count of {frame}')[0],
            f'{path}, line {pos} (body count of {frame})')
        if num_bodies < 0:
            raise InputError(f'{path}, line {pos}: negative body count',
                             'malformed')
        seen = Counter()
        for b in range(num_bodies):
            body = f'body {b + 1} of {frame}'
            numbers(1, BODY_INFO_VALUES, f'the info line of {body}')
            body_id = lines[pos - 1].split()[0]
            num_joints = parse_int(
                take(1, f'the joint count of {body}')[0],
                f'{path}, line {pos} (joint count of {body})')
            if num_joints != NUM_NTU_JOINTS:
                raise InputError(
                    f'{path}, line {pos}: {body} has {num_joints} joints, '
                    f'expected {NUM_NTU_JOINTS}', 'malformed')
            joints = numbers(NUM_NTU_JOINTS, JOINT_VALUES,
                             f'the joints of {body}')
            key = (body_id, seen[body_id])
            seen[body_id] += 1
            tracks.setdefault(key, []).append((t, joints[:, :3]))
    if pos < end:
        raise InputError(
            f'{path}, line {pos + 1}: unexpected content after the last of '
            f'{num_frames} frames', 'malformed')
    if not tracks:
        raise InputError(f'{path}: no body in any of {num_frames} frames',
                         'no_body')
    data = np.zeros((len(tracks), num_frames, NUM_NTU_JOINTS, 3))
    for b, track in enumerate(tracks.values()):
        for t, joints in track:
            data[b, t] = joints
    return data


def convert_ntu_file(path: str) -> TaskResult:
    """One ``.skeleton`` file to (annotations, report).

    Keeps at most :data:`MAX_PERSONS` persons chosen by
    :func:`merge_into_persons`; dropping bodies is reported.
    """
    report = ConversionReport()
    name = parse_ntu_name(osp.splitext(osp.basename(path))[0])
    persons, dropped = merge_into_persons(read_ntu_skeleton(path), MAX_PERSONS)
    if len(persons) == 0:
        raise InputError(f'{path}: every body is all zeros', 'no_body')
    if dropped:
        report.resolve(
            path,
            'extra_bodies',
            f'{path}: dropped the {len(dropped)} least active bodies '
            f'(in order of appearance: {[d + 1 for d in dropped]})',
            count=len(dropped))
    return [make_annotation(name.name, name.label, persons)], report


def ntu_splits(names: List[NTUName], dataset: str) -> Dict[str, List[str]]:
    """The standard benchmark splits of NTU RGB+D 60 or 120.

    NTU-60: ``xsub_*`` by performer, ``xview_*`` by camera (2, 3 train).
    NTU-120: ``xsub_*`` by performer, ``xset_*`` by setup (even ids train).
    """
    if dataset == 'ntu60':
        subjects = NTU60_XSUB_TRAIN_SUBJECTS
        second, second_train = 'xview', lambda n: (
            n.camera in NTU60_XVIEW_TRAIN_CAMERAS)
    elif dataset == 'ntu120':
        subjects = NTU120_XSUB_TRAIN_SUBJECTS
        second, second_train = 'xset', lambda n: n.setup % 2 == 0
    else:
        raise ValueError(f'unknown NTU dataset {dataset!r}')
    split = {
        'xsub_train': [],
        'xsub_val': [],
        f'{second}_train': [],
        f'{second}_val': []
    }
    for n in names:
        split['xsub_train' if n.performer in subjects else 'xsub_val'].append(
            n.name)
        split[f'{second}_train' if second_train(n) else f'{second}_val'] \
            .append(n.name)
    return split


def _in_ntu60(name: NTUName) -> bool:
    return name.setup <= NTU60_SETUPS and name.action <= NTU60_ACTIONS


def convert_ntu(raw_dir: str,
                out_path: str,
                missing_list: Optional[str] = None,
                dataset: str = 'auto',
                workers: int = 1) -> Dict:
    """Convert a folder of ``.skeleton`` files to a PoseDataset pickle.

    Args:
        raw_dir (str): Folder searched recursively for ``*.skeleton``.
        out_path (str): The output ``.pkl``; the report goes beside it.
        missing_list (str, optional): The official list of samples with
            missing skeletons; listed samples are skipped.
        dataset (str): ``'ntu60'``, ``'ntu120'`` or ``'auto'`` (NTU-120 when
            any name has a setup above 17 or an action above 60).
        workers (int): Number of processes.

    Returns:
        dict: The report as written.
    """
    require_dir(raw_dir, 'NTU raw folder')
    check_output_path(out_path)
    if dataset not in ('auto', 'ntu60', 'ntu120'):
        raise ValueError(f'unknown NTU dataset {dataset!r}')
    report = ConversionReport()
    missing = read_missing_list(missing_list) if missing_list else set()
    if not missing_list:
        report.warn('no --missing list given: samples with missing '
                    'skeletons are kept unless they hold no body at all')

    paths, others = {}, 0
    for folder, _, files in os.walk(raw_dir):
        for file in files:
            if not file.endswith('.skeleton'):
                others += 1
                continue
            path = osp.join(folder, file)
            stem = file[:-len('.skeleton')]
            if stem in paths:
                report.skip(path, f'{path}: duplicate of {paths[stem]}',
                            'duplicate', stem)
            else:
                paths[stem] = path
    if others:
        report.warn(f'ignored {others} files without the .skeleton suffix')

    names = {}
    for stem, path in sorted(paths.items()):
        try:
            names[stem] = parse_ntu_name(stem)
        except InputError as e:
            report.skip_error(e, path)
    if dataset == 'auto':
        dataset = 'ntu60' if all(map(_in_ntu60, names.values())) else 'ntu120'
    tasks = []
    for stem, name in names.items():
        path = paths[stem]
        if stem in missing:
            report.skip(path, f'{stem}: in the missing-skeleton list',
                        'missing_list', stem)
        elif dataset == 'ntu60' and not _in_ntu60(name):
            report.skip(path, f'{stem}: not part of NTU RGB+D 60',
                        'not_in_dataset', stem)
        else:
            tasks.append(path)
    if not paths:
        raise ConversionFailed(f'no .skeleton file in {raw_dir!r}')

    annotations = run_tasks(convert_ntu_file, tasks, report, workers)
    split = ntu_splits([parse_ntu_name(a['frame_dir']) for a in annotations],
                       dataset)
    return finish(
        out_path,
        annotations,
        split,
        report,
        'ntu_skeleton_to_pkl',
        dataset=dataset,
        raw_dir=osp.abspath(raw_dir),
        missing_list=osp.abspath(missing_list) if missing_list else None,
        num_files=len(paths))
