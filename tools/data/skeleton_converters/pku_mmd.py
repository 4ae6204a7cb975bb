"""PKU-MMD part I / II skeleton and label files.

A skeleton file ``VIDEO.txt`` holds one line per frame of 150 values: two
bodies x 25 joints (NTU layout) x x y z, the second body all zeros when
absent. The label file of the same name holds one action instance per line,
``action_id,start_frame,end_frame[,confidence]``; action ids are 1-51.
"""
import os
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

import numpy as np

from .bodies import nonempty_bodies
from .parsing import (parse_label_int, parse_rows_lenient, read_text_lines)
from .pose_pickle import NUM_NTU_JOINTS, check_output_path, make_annotation
from .report import ConversionReport, InputError
from .runner import (ConversionFailed, TaskResult, finish, require_dir,
                     run_tasks)

PKU_BODIES = 2
PKU_FRAME_VALUES = PKU_BODIES * NUM_NTU_JOINTS * 3
PKU_ACTIONS = 51


class PKUSegment(NamedTuple):
    """One label line: rows ``start:end`` (0-based, end excluded)."""
    lineno: int
    action: int
    start: int
    end: int


class PKUSkeleton(NamedTuple):
    """A skeleton file: joints (T, 2, 25, 3) and the errors of bad rows by
    their 0-based row index (a bad row is all zeros in ``joints``)."""
    joints: np.ndarray
    bad_rows: Dict[int, InputError]


def read_pku_skeleton(path: str) -> PKUSkeleton:
    """Read a skeleton file; one bad row does not fail the file.

    Raises:
        InputError: the file cannot be read or has no frame row.
    """
    lines = read_text_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InputError(f'{path}: zero frames', 'no_frames')
    values, errors = parse_rows_lenient(lines, PKU_FRAME_VALUES, path)
    joints = values.reshape(len(lines), PKU_BODIES, NUM_NTU_JOINTS, 3)
    return PKUSkeleton(joints, errors)


def read_pku_labels(path: str) -> Tuple[List[PKUSegment], List[InputError]]:
    """Segments of a label file, and the errors of its malformed lines.

    Raises:
        InputError: the file cannot be read.
    """
    segments, errors = [], []
    for lineno, line in enumerate(read_text_lines(path), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(',')]
        if fields and fields[-1] == '':
            fields.pop()  # a trailing comma
        try:
            if len(fields) not in (3, 4):
                raise ValueError(f'expected 3 or 4 comma-separated fields, '
                                 f'found {len(fields)}')
            action, start, end = (parse_label_int(f) for f in fields[:3])
        except ValueError as e:
            errors.append(
                InputError(f'{path}, line {lineno}: {e}: {line.strip()!r}',
                           'malformed'))
            continue
        segments.append(PKUSegment(lineno, action, start, end))
    return segments, errors


def read_split_list(path: str) -> Tuple[Set[str], Set[str]]:
    """Training and testing videos of a PKU-MMD split file.

    The official files (``cross-subject.txt``, ``cross-view.txt``) hold a
    ``Training videos:`` line followed by comma-separated video names, then
    a ``Validation videos:`` (sic ``Validataion``) or ``Testing videos:``
    line followed by the others.

    Raises:
        ConversionFailed: the file cannot be read, has not both sections,
            or names a video in both.
    """
    try:
        lines = read_text_lines(path)
    except InputError as e:
        raise ConversionFailed(f'split list: {e}') from None
    sections: Dict[str, Set[str]] = {}
    current = None
    for line in lines:
        head = line.strip().lower()
        if head.startswith(('train', 'valid', 'test')):
            part = 'train' if head.startswith('train') else 'val'
            current = sections.setdefault(part, set())
            line = line.split(':', 1)[1] if ':' in line else ''
        elif head and current is None:
            raise ConversionFailed(
                f'split list {path!r}: video names before a "Training '
                'videos:" line')
        for name in re.split(r'[,\s]+', line.strip()):
            if name:
                current.add(name[:-4] if name.endswith('.txt') else name)
    train, val = sections.get('train'), sections.get('val')
    if not train or not val:
        raise ConversionFailed(
            f'split list {path!r} needs a "Training videos:" and a '
            '"Validation videos:" section, each with video names')
    both = train & val
    if both:
        raise ConversionFailed(f'split list {path!r} names {len(both)} '
                               f'videos in both parts, e.g. {min(both)!r}')
    return train, val


def segment_name(video: str, segment: PKUSegment) -> str:
    """frame_dir of a segment: the video and its label line number."""
    return f'{video}_{segment.lineno:03d}'


def convert_pku_video(task: Tuple[str, str, str]) -> TaskResult:
    """One video's (skeleton path, label path, video name) to samples.

    Every segment must lie within the skeleton file and have a valid
    action id, well-formed rows and at least one body; others are reported
    skips. Empty body slots are dropped; the kept ones stay in file order.
    """
    skeleton_path, label_path, video = task
    report = ConversionReport()
    segments, label_errors = read_pku_labels(label_path)
    for error in label_errors:
        report.skip_error(error, label_path)
    try:
        skeleton = read_pku_skeleton(skeleton_path)
    except InputError as e:
        for seg in segments:
            report.skip_error(e, skeleton_path, segment_name(video, seg))
        return [], report
    num_rows = len(skeleton.joints)
    annotations = []
    for seg in segments:
        name = segment_name(video, seg)
        where = (f'{label_path}, line {seg.lineno} (action {seg.action}, '
                 f'frames {seg.start}-{seg.end})')
        if not 1 <= seg.action <= PKU_ACTIONS:
            report.skip(label_path, f'{where}: action id outside '
                        f'1-{PKU_ACTIONS}', 'bad_label', name)
            continue
        if seg.start < 0 or seg.end <= seg.start:
            report.skip(label_path, f'{where}: empty or reversed frame range',
                        'label_range', name)
            continue
        if seg.end > num_rows:
            report.skip(
                label_path, f'{where}: frame range outside the {num_rows} '
                f'frames of {skeleton_path}', 'label_range', name)
            continue
        bad = [r for r in skeleton.bad_rows if seg.start <= r < seg.end]
        if bad:
            error = skeleton.bad_rows[min(bad)]
            report.skip(skeleton_path, f'{where}: {error}', error.kind, name)
            continue
        data = skeleton.joints[seg.start:seg.end].transpose(1, 0, 2, 3)
        keep = nonempty_bodies(data)
        if not keep:
            report.skip(label_path, f'{where}: no body in any frame',
                        'no_body', name)
            continue
        annotations.append(make_annotation(name, seg.action - 1, data[keep]))
    return annotations, report


def _pku_split(benchmark: str, train: Set[str], val: Set[str],
               videos: Dict[str, List[str]],
               report: ConversionReport) -> Dict[str, List[str]]:
    split = {f'{benchmark}_train': [], f'{benchmark}_val': []}
    unlisted = []
    for video, names in videos.items():
        if video in train:
            split[f'{benchmark}_train'].extend(names)
        elif video in val:
            split[f'{benchmark}_val'].extend(names)
        else:
            unlisted.append(video)
    if unlisted:
        report.warn(f'{len(unlisted)} converted videos are in neither part '
                    f'of the {benchmark} list (left out of {benchmark}_*), '
                    f'e.g. {unlisted[:5]}')
    return split


def convert_pku_mmd(skeleton_dir: str,
                    label_dir: str,
                    out_path: str,
                    part: int,
                    xsub_list: str,
                    xview_list: Optional[str] = None,
                    workers: int = 1) -> Dict:
    """Convert PKU-MMD part I or II to a PoseDataset pickle.

    Args:
        skeleton_dir (str): Folder of ``VIDEO.txt`` skeleton files.
        label_dir (str): Folder of ``VIDEO.txt`` label files.
        out_path (str): The output ``.pkl``; the report goes beside it.
        part (int): 1 or 2.
        xsub_list (str): Official cross-subject split file.
        xview_list (str, optional): Official cross-view split file.
        workers (int): Number of processes.

    Returns:
        dict: The report as written.
    """
    require_dir(skeleton_dir, 'PKU-MMD skeleton folder')
    require_dir(label_dir, 'PKU-MMD label folder')
    check_output_path(out_path)
    if part not in (1, 2):
        raise ValueError(f'PKU-MMD part must be 1 or 2, got {part}')
    benchmarks = {'xsub': read_split_list(xsub_list)}
    if xview_list:
        benchmarks['xview'] = read_split_list(xview_list)
    report = ConversionReport()
    if part == 1 and not xview_list:
        report.warn('part I defines a cross-view benchmark too; pass '
                    '--xview-list to get the xview_* splits')

    def stems(folder: str) -> Dict[str, str]:
        return {
            f[:-4]: osp.join(folder, f)
            for f in sorted(os.listdir(folder)) if f.endswith('.txt')
        }

    skeletons, labels = stems(skeleton_dir), stems(label_dir)
    if not skeletons:
        raise ConversionFailed(f'no .txt skeleton file in {skeleton_dir!r}')
    tasks = []
    for video, path in skeletons.items():
        if video in labels:
            tasks.append((path, labels[video], video))
        else:
            report.skip(
                path, f'{path}: no label file {video}.txt in '
                f'{label_dir}', 'no_labels')
    for video in sorted(set(labels) - set(skeletons)):
        report.skip(
            labels[video], f'{labels[video]}: no skeleton file '
            f'{video}.txt in {skeleton_dir}', 'no_skeleton')
    for benchmark, (train, val) in benchmarks.items():
        absent = sorted((train | val) - set(skeletons))
        if absent:
            report.warn(f'{len(absent)} videos of the {benchmark} list have '
                        f'no skeleton file, e.g. {absent[:5]}')

    annotations = run_tasks(convert_pku_video, tasks, report, workers)
    videos: Dict[str, List[str]] = {}
    for a in annotations:
        videos.setdefault(a['frame_dir'].rsplit('_', 1)[0],
                          []).append(a['frame_dir'])
    split = {}
    for benchmark, (train, val) in benchmarks.items():
        split.update(_pku_split(benchmark, train, val, videos, report))
    return finish(
        out_path,
        annotations,
        split,
        report,
        'pku_mmd_to_pkl',
        part=part,
        skeleton_dir=osp.abspath(skeleton_dir),
        label_dir=osp.abspath(label_dir),
        split_lists={
            'xsub': osp.abspath(xsub_list),
            'xview': osp.abspath(xview_list) if xview_list else None
        },
        num_videos=len(tasks))
