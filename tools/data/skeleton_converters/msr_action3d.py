"""MSRAction3D skeletons: ``aAA_sSS_eEE_skeleton3D.txt`` files.

Action AA (1-20), subject SS, execution EE. Each line is one joint,
``x y z confidence``; 20 lines make a frame and frames follow one another.
The joint order is not the Kinect SDK order (see :data:`MSR_TO_KINECT_V1`).

Coordinates are Kinect skeleton space as the Kinect v1 converter writes it
for UTKinect: metres, x to the sensor's left (a subject facing the sensor
has the right shoulder at larger x), y up, z the distance from the sensor.
Measured on all 567 files: z lies in 1.4-3.9 m (median 2.63), the head is
above the hip centre in 99.6 % of the frames, the right shoulder has the
larger x in 98.6 % (UTKinect: 99.7 %) and the median shoulder width is
0.36 m (UTKinect: 0.34 m). So x, y, z are kept as they are: no axis swap,
no scaling. The confidence column is not kept.
"""
import os
import os.path as osp
import re
from typing import Dict, Optional, Tuple

import numpy as np

from .kinect_v1 import KINECT_V1_TO_NTU
from .parsing import parse_rows_lenient, read_text_lines
from .pose_pickle import check_output_path, make_annotation
from .report import ConversionReport, InputError
from .runner import (ConversionFailed, TaskResult, finish, require_dir,
                     run_tasks, xsub_split_by_parity)

MSR_JOINTS = 20
# For each Kinect v1 (SDK order) joint, the MSRAction3D joint it is (0-based).
# MSR order, 1-based: 1 left shoulder, 2 right shoulder, 3 shoulder centre,
# 4 spine, 5 left hip, 6 right hip, 7 hip centre, 8 left elbow, 9 right elbow,
# 10 left wrist, 11 right wrist, 12 left hand, 13 right hand, 14 left knee,
# 15 right knee, 16 left ankle, 17 right ankle, 18 left foot, 19 right foot,
# 20 head.
MSR_TO_KINECT_V1 = (
    6,  # hip centre
    3,  # spine
    2,  # shoulder centre
    19,  # head
    0, 7, 9, 11,  # left shoulder, elbow, wrist, hand
    1, 8, 10, 12,  # right shoulder, elbow, wrist, hand
    4, 13, 15, 17,  # left hip, knee, ankle, foot
    5, 14, 16, 18,  # right hip, knee, ankle, foot
)
# For each NTU joint (0-based), the MSR joint it is taken from: through the
# Kinect SDK order, so that the five joints Kinect v1 lacks are filled as the
# Kinect v1 converter fills them (spine shoulder <- shoulder centre, hand
# tips and thumbs <- hands).
MSR_TO_NTU = tuple(MSR_TO_KINECT_V1[k] for k in KINECT_V1_TO_NTU)
# Li, Zhang and Liu, "Action recognition based on a bag of 3D points",
# CVPRW 2010; label = action number - 1.
MSR_ACTIONS = ('high arm wave', 'horizontal arm wave', 'hammer', 'hand catch',
               'forward punch', 'high throw', 'draw x', 'draw tick',
               'draw circle', 'hand clap', 'two hand wave', 'side-boxing',
               'bend', 'forward kick', 'side kick', 'jogging', 'tennis swing',
               'tennis serve', 'golf swing', 'pick up & throw')
FILE_NAME = re.compile(r'a(\d+)_s(\d+)_e(\d+)_skeleton3D\.txt')


def msr_to_ntu(joints: np.ndarray) -> np.ndarray:
    """MSRAction3D joints (..., 20, C) to the NTU layout (..., 25, C)."""
    return joints[..., MSR_TO_NTU, :]


def read_msr_skeleton(path: str) -> np.ndarray:
    """Read a skeleton file as (T, 20, 4): x, y, z, confidence.

    Blank lines are ignored.

    Raises:
        InputError: the file cannot be read, holds no joint line
            (``'no_frames'``), a line is not four finite numbers
            (``'malformed'``, ``'non_finite'``, ``'truncated'`` for a cut-off
            last line), or the number of joint lines is not a multiple of 20
            (``'truncated'``: a frame lacks joints, and since joints are
            identified by their position only, which one is unknown).
    """
    numbered = [(i, line) for i, line in enumerate(read_text_lines(path), 1)
                if line.strip()]
    if not numbered:
        raise InputError(f'{path}: zero frames', 'no_frames')
    linenos, lines = zip(*numbered)
    values, errors = parse_rows_lenient(lines, 4, path, linenos)
    if errors:
        raise errors[min(errors)]
    if len(values) % MSR_JOINTS:
        raise InputError(
            f'{path}: {len(values)} joint lines, not a multiple of '
            f'{MSR_JOINTS} (the last frame has {len(values) % MSR_JOINTS}; '
            'a joint line is missing somewhere, so the joints of the '
            'following frames cannot be told apart)', 'truncated')
    return values.reshape(-1, MSR_JOINTS, 4)


# (skeleton file, sample name, label)
MsrTask = Tuple[str, str, int]


def convert_msr_file(task: MsrTask) -> TaskResult:
    """One skeleton file to a sample (1, T, 25, 3).

    Frames whose joints are all zero (the sensor lost the subject) are
    dropped and reported as ``zero_frames``; a file with no other frame is
    skipped as ``no_body``.
    """
    path, name, label = task
    report = ConversionReport()
    joints = read_msr_skeleton(path)[..., :3]
    present = np.any(joints != 0, axis=(1, 2))
    if not present.any():
        report.skip(path, f'{path}: all {len(joints)} frames are all-zero',
                    'no_body', name)
        return [], report
    num_zero = int((~present).sum())
    if num_zero:
        report.resolve(
            path, 'zero_frames',
            f'{path}: dropped {num_zero} of {len(joints)} frames whose '
            'joints are all zero', num_zero)
    return [make_annotation(name, label, msr_to_ntu(joints[present])[None])
            ], report


def parse_msr_name(file_name: str) -> Optional[Tuple[int, int, int]]:
    """``(action, subject, execution)`` of a skeleton file name, or None."""
    match = FILE_NAME.fullmatch(file_name)
    return tuple(int(g) for g in match.groups()) if match else None


def convert_msr_action3d(src_dir: str, out_path: str,
                         workers: int = 1) -> Dict:
    """Convert MSRAction3D skeleton files to a PoseDataset pickle.

    Args:
        src_dir (str): Folder holding the ``*_skeleton3D.txt`` files.
        out_path (str): The output ``.pkl``; the report goes beside it.
        workers (int): Number of processes.

    Samples are named ``aAA_sSS_eEE`` with label AA - 1 (0-19). The split is
    cross-subject: odd subjects train (``xsub_train``), even subjects test
    (``xsub_val``).

    Returns:
        dict: The report as written.
    """
    require_dir(src_dir, 'MSRAction3D source folder')
    check_output_path(out_path)
    report = ConversionReport()
    tasks, subjects = [], {}
    for file_name in sorted(os.listdir(src_dir)):
        path = osp.join(src_dir, file_name)
        if not file_name.endswith('.txt') or not osp.isfile(path):
            continue
        parsed = parse_msr_name(file_name)
        if parsed is None:
            report.skip(
                path, f'{path}: not a skeleton file name '
                '(expected aAA_sSS_eEE_skeleton3D.txt)', 'bad_name')
            continue
        action, subject, execution = parsed
        name = f'a{action:02d}_s{subject:02d}_e{execution:02d}'
        if not 1 <= action <= len(MSR_ACTIONS):
            report.skip(
                path, f'{path}: action {action} is not among the '
                f'{len(MSR_ACTIONS)} MSRAction3D actions', 'bad_label', name)
        elif name in subjects:
            report.skip(path, f'{path}: repeats sample {name}', 'duplicate',
                        name)
        else:
            subjects[name] = subject
            tasks.append((path, name, action - 1))
    if not tasks and not report.skipped:
        raise ConversionFailed(
            f'no aAA_sSS_eEE_skeleton3D.txt file in {src_dir!r}')

    annotations = run_tasks(convert_msr_file, tasks, report, workers)
    split = xsub_split_by_parity(
        {a['frame_dir']: subjects[a['frame_dir']]
         for a in annotations})
    return finish(
        out_path,
        annotations,
        split,
        report,
        'msr_action3d_to_pkl',
        classes=list(MSR_ACTIONS),
        src_dir=osp.abspath(src_dir))
