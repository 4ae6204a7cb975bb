"""Write the built-in synthetic skeleton data set as a PoseDataset pickle.

Ten everyday actions (those of UTKinect-Action3D) of a kinematic body in
the NTU RGB+D 25-joint layout, by performers of different build and
manner, recorded from three camera positions with Kinect-like noise and
tracking glitches (``synthetic_skeletons.py`` beside this file). Splits
``xsub_train``/``xsub_val`` (by performer) and ``xview_train``/``xview_val``
(by camera). Nothing is downloaded.

Example::

    python tools/data/make_synthetic_skeletons.py data/synthetic_3d.pkl
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (check_output_path,  # noqa: E402
                                 int_at_least, run_cli, write_pose_pickle)
from synthetic_skeletons import (ACTION_CLASSES,  # noqa: E402
                                 make_synthetic_skeletons)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the synthetic NTU-layout skeleton action data '
        'set as an mmaction2 PoseDataset pickle.')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument(
        '--num-subjects', type=int_at_least(2), default=10,
        help='performers; the first 60%% form xsub_train (default: 10)')
    parser.add_argument(
        '--repetitions', type=int_at_least(1), default=3,
        help=f'times each performer does each of the {len(ACTION_CLASSES)} '
        'actions (default: 3)')
    parser.add_argument(
        '--seed', type=int_at_least(0), default=0,
        help='random seed; equal options give an identical file (default: 0)')
    return parser.parse_args(argv)


def generate(args) -> None:
    check_output_path(args.out)
    start = time.time()
    data = make_synthetic_skeletons(args.num_subjects, args.repetitions,
                                    args.seed)
    annotations = data['annotations']
    write_pose_pickle(args.out, annotations, data['split'])
    frames = [a['total_frames'] for a in annotations]
    print(f'wrote {args.out}: {len(annotations)} sequences of '
          f'{len(ACTION_CLASSES)} classes by {args.num_subjects} performers, '
          f'{min(frames)}-{max(frames)} frames (median '
          f'{int(np.median(frames))}), in {time.time() - start:.1f} s')
    for name, members in data['split'].items():
        print(f'  {name}: {len(members)}')
    print('classes (label: name): ' + ', '.join(
        f'{label}: {name}' for label, name in enumerate(ACTION_CLASSES)))


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: generate(args))


if __name__ == '__main__':
    sys.exit(main())
