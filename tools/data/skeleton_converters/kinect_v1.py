"""20-joint Kinect v1 text data in the UTKinect-Action3D format.

``joints/joints_BLOCK.txt`` holds one row per tracked frame: the frame
number, then x y z of the 20 Kinect v1 joints. ``actionLabel.txt`` holds,
for each ``BLOCK`` line (``sSS_eEE``: subject, execution), lines
``action: start end`` giving the first and last frame number of each action.
Frame numbers are not row indices: untracked frames have no row.
"""
import os
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .parsing import parse_label_int, parse_rows_lenient, read_text_lines
from .pose_pickle import check_output_path, make_annotation
from .report import ConversionReport, InputError
from .runner import (ConversionFailed, TaskResult, finish, require_dir,
                     run_tasks, xsub_split_by_parity)

KINECT_V1_JOINTS = 20
# For each NTU joint (0-based), the Kinect v1 joint it is taken from. NTU
# joints 1-20 are Kinect v1 joints 1-20; the five joints Kinect v1 lacks
# repeat the nearest one: 21 spine-shoulder <- 3 shoulder centre, 22/23 left
# hand tip / thumb <- 8 left hand, 24/25 right hand tip / thumb <- 12 right
# hand.
KINECT_V1_TO_NTU = tuple(range(KINECT_V1_JOINTS)) + (2, 7, 7, 11, 11)
BLOCK_NAME = re.compile(r's(\d+)_e(\d+)')


def kinect_v1_to_ntu(joints: np.ndarray) -> np.ndarray:
    """Kinect v1 joints (..., 20, C) to the NTU layout (..., 25, C)."""
    return joints[..., KINECT_V1_TO_NTU, :]


class KinectSegment(NamedTuple):
    """One label line: frame numbers ``start`` to ``end``, both included."""
    block: str
    action: str
    start: int
    end: int
    lineno: int


class KinectJoints(NamedTuple):
    """A joints file: one row per frame number.

    Attributes:
        frames (np.ndarray): Frame numbers (F, ), increasing.
        joints (np.ndarray): Joints (F, 20, 3).
        bad_frames (dict): Error by frame number for frames whose every
            row is malformed.
        unplaced (list): ``(after, before, error)`` for malformed rows whose
            frame number cannot be read: the row lies between frame numbers
            ``after`` and ``before`` (``None`` at the file ends).
        num_repeated (int): Rows dropped because their frame number had
            already appeared on a well-formed row.
    """
    frames: np.ndarray
    joints: np.ndarray
    bad_frames: Dict[int, InputError]
    unplaced: List[Tuple[Optional[int], Optional[int], InputError]]
    num_repeated: int

    @property
    def first_frame(self) -> int:
        return int(min([self.frames[0], *self.bad_frames]))

    @property
    def last_frame(self) -> int:
        return int(max([self.frames[-1], *self.bad_frames]))


def _frame_number(line: str) -> Optional[int]:
    tokens = line.split()
    try:
        return parse_label_int(tokens[0]) if tokens else None
    except ValueError:
        return None


def read_kinect_v1_joints(path: str) -> KinectJoints:
    """Read a joints file. Of rows repeating a frame number the first
    well-formed one is kept; malformed rows are returned, not raised.

    Raises:
        InputError: the file cannot be read or has no well-formed row.
    """
    numbered = [(i, line) for i, line in enumerate(read_text_lines(path), 1)
                if line.strip()]
    if not numbered:
        raise InputError(f'{path}: zero frames', 'no_frames')
    linenos, lines = zip(*numbered)
    values, errors = parse_rows_lenient(lines, 1 + KINECT_V1_JOINTS * 3, path,
                                        linenos)
    numbers = [_frame_number(line) for line in lines]
    kept: Dict[int, np.ndarray] = {}
    bad: Dict[int, InputError] = {}
    unplaced = []
    num_repeated = 0
    for i, frame in enumerate(numbers):
        if frame is None:
            after = next((f for f in reversed(numbers[:i]) if f is not None),
                         None)
            before = next((f for f in numbers[i + 1:] if f is not None), None)
            unplaced.append((after, before, errors.get(i) or InputError(
                f'{path}, line {linenos[i]}: unreadable frame number',
                'malformed')))
        elif i in errors:
            bad.setdefault(frame, errors[i])
        elif frame in kept:
            num_repeated += 1
        else:
            kept[frame] = values[i, 1:].reshape(KINECT_V1_JOINTS, 3)
    if not kept:
        raise InputError(f'{path}: no well-formed frame row', 'malformed')
    frames = np.array(sorted(kept))
    joints = np.stack([kept[f] for f in frames])
    bad = {f: e for f, e in bad.items() if f not in kept}
    return KinectJoints(frames, joints, bad, unplaced, num_repeated)


def read_action_labels(
    path: str
) -> Tuple[Dict[str, List[KinectSegment]], List[InputError], List[str]]:
    """Read an ``actionLabel.txt``.

    Returns:
        tuple: Segments by block; the errors of unusable lines (malformed,
        or a frame range such as ``NaN NaN``); the action names in order of
        first appearance, unusable lines included.

    Raises:
        InputError: the file cannot be read.
    """
    blocks: Dict[str, List[KinectSegment]] = {}
    errors = []
    actions = {}
    block = None
    for lineno, line in enumerate(read_text_lines(path), 1):
        text = line.strip()
        if not text:
            continue
        where = f'{path}, line {lineno}'
        if ':' not in text:
            if len(text.split()) != 1:
                errors.append(
                    InputError(
                        f'{where}: expected a block name or "action: start '
                        f'end", found {text!r}', 'malformed'))
                continue
            block = text
            blocks.setdefault(block, [])
            continue
        action, _, frame_range = text.partition(':')
        action, tokens = action.strip(), frame_range.split()
        if block is None:
            errors.append(
                InputError(f'{where}: segment before any block name',
                           'malformed'))
            continue
        where = f'{where} ({block} {action})'
        if action:
            actions.setdefault(action)
        if not action or len(tokens) != 2:
            errors.append(
                InputError(
                    f'{where}: expected "action: start end", found {text!r}',
                    'malformed'))
            continue
        try:
            start, end = (parse_label_int(t) for t in tokens)
        except ValueError:
            kind = ('non_finite' if any(t.lower() in ('nan', 'inf', '-inf')
                                        for t in tokens) else 'malformed')
            errors.append(
                InputError(
                    f'{where}: no usable frame range '
                    f'({frame_range.strip()!r})', kind))
            continue
        blocks[block].append(KinectSegment(block, action, start, end, lineno))
    return blocks, errors, list(actions)


def segment_name(seg: KinectSegment) -> str:
    return f'{seg.block}_{seg.action}_{seg.start}_{seg.end}'


# (joints file, its segments, class id by action name)
KinectTask = Tuple[str, Sequence[KinectSegment], Dict[str, int]]


def convert_kinect_v1_block(task: KinectTask) -> TaskResult:
    """One joints file and its segments to samples (1, T, 25, 3).

    A segment must lie within the file's frame numbers and contain no
    malformed row; its frames are the rows with frame numbers from start
    to end. Others are reported skips.
    """
    path, segments, class_ids = task
    report = ConversionReport()
    try:
        recording = read_kinect_v1_joints(path)
    except InputError as e:
        for seg in segments:
            report.skip_error(e, path, segment_name(seg))
        return [], report
    if recording.num_repeated:
        report.resolve(
            path, 'repeated_frames',
            f'{path}: {recording.num_repeated} rows repeat a frame number; '
            'kept the first row of each', recording.num_repeated)
    annotations = []
    for seg in segments:
        name = segment_name(seg)
        where = f'{seg.block} {seg.action} frames {seg.start}-{seg.end}'
        if seg.end < seg.start:
            report.skip(path, f'{where}: reversed frame range', 'label_range',
                        name)
            continue
        if seg.start < recording.first_frame or \
                seg.end > recording.last_frame:
            report.skip(
                path, f'{where}: outside frames {recording.first_frame}-'
                f'{recording.last_frame} of {path}', 'label_range', name)
            continue
        bad = [f for f in recording.bad_frames if seg.start <= f <= seg.end]
        bad = [recording.bad_frames[min(bad)]] if bad else []
        bad += [
            e for after, before, e in recording.unplaced
            if (after is None or after < seg.end) and (
                before is None or before > seg.start)
        ]
        if bad:
            report.skip(path, f'{where}: {bad[0]}', bad[0].kind, name)
            continue
        inside = (recording.frames >= seg.start) & (
            recording.frames <= seg.end)
        if not inside.any():
            report.skip(path, f'{where}: no tracked frame in the range',
                        'no_frames', name)
            continue
        joints = recording.joints[inside]
        if not np.any(joints != 0):
            report.skip(path, f'{where}: all joints are zero', 'no_body', name)
            continue
        annotations.append(
            make_annotation(name, class_ids[seg.action],
                            kinect_v1_to_ntu(joints)[None]))
    return annotations, report


def convert_kinect_v1(src_dir: str,
                      out_path: str,
                      classes: Optional[Sequence[str]] = None,
                      label_file: str = 'actionLabel.txt',
                      joints_dir: str = 'joints',
                      workers: int = 1) -> Dict:
    """Convert UTKinect-Action3D style data to a PoseDataset pickle.

    Args:
        src_dir (str): Folder holding ``label_file`` and ``joints_dir``.
        out_path (str): The output ``.pkl``; the report goes beside it.
        classes (Sequence[str], optional): Action names in label order.
            Defaults to the order of first appearance in the label file.
        label_file (str): Label file, relative to ``src_dir``.
        joints_dir (str): Joints folder, relative to ``src_dir``.
        workers (int): Number of processes.

    The split is cross-subject: odd subjects train (``xsub_train``), even
    subjects test (``xsub_val``).

    Returns:
        dict: The report as written.
    """
    require_dir(src_dir, 'Kinect v1 source folder')
    joints_root = require_dir(osp.join(src_dir, joints_dir), 'joints folder')
    label_path = osp.join(src_dir, label_file)
    if not osp.isfile(label_path):
        raise ConversionFailed(f'label file {label_path!r} does not exist')
    check_output_path(out_path)
    report = ConversionReport()
    try:
        blocks, label_errors, actions = read_action_labels(label_path)
    except InputError as e:
        raise ConversionFailed(f'label file: {e}') from None
    for error in label_errors:
        report.skip_error(error, label_path)

    if classes is None:
        classes = actions
    class_ids = {name: i for i, name in enumerate(classes)}
    joint_files = {
        f[len('joints_'):-len('.txt')]: osp.join(joints_root, f)
        for f in sorted(os.listdir(joints_root))
        if f.startswith('joints_') and f.endswith('.txt')
    }
    tasks, seen = [], set()
    for block, segments in blocks.items():
        usable = []
        for seg in segments:
            name = segment_name(seg)
            reason, kind = None, None
            if name in seen:
                reason, kind = 'repeats an earlier segment', 'duplicate'
            elif seg.action not in class_ids:
                reason, kind = 'action is not in --classes', 'bad_label'
            elif BLOCK_NAME.fullmatch(block) is None:
                reason, kind = ('no subject in the block name (expected '
                                'sSS_eEE)'), 'bad_name'
            elif block not in joint_files:
                reason, kind = (f'no joints file joints_{block}.txt in '
                                f'{joints_root}'), 'no_skeleton'
            if reason:
                report.skip(
                    label_path, f'{label_path}, line {seg.lineno} '
                    f'({block} {seg.action}): {reason}', kind, name)
            else:
                seen.add(name)
                usable.append(seg)
        if usable:
            tasks.append((joint_files[block], usable, class_ids))
    for block in sorted(set(joint_files) - set(blocks)):
        report.skip(
            joint_files[block], f'{joint_files[block]}: no block '
            f'{block} in {label_path}', 'no_labels')
    if not joint_files:
        raise ConversionFailed(f'no joints_*.txt file in {joints_root!r}')

    annotations = run_tasks(convert_kinect_v1_block, tasks, report, workers)
    split = xsub_split_by_parity({
        a['frame_dir']: int(BLOCK_NAME.match(a['frame_dir']).group(1))
        for a in annotations
    })
    return finish(
        out_path,
        annotations,
        split,
        report,
        'kinect_v1_to_pkl',
        classes=list(classes),
        src_dir=osp.abspath(src_dir))
