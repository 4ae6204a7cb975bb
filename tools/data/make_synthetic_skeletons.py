"""Write the built-in synthetic skeleton data set as a PoseDataset pickle.

Scripted actions of a forward-kinematics body in the NTU RGB+D 25-joint
layout, with the splits ``xsub_train``/``xsub_val`` (by performer) and
``xview_train``/``xview_val`` (by camera). Nothing is downloaded.

Example::

    python tools/data/make_synthetic_skeletons.py data/synthetic_3d.pkl
"""
import argparse
import sys
import time

import numpy as np

from aimclr_mm.datasets.converters import (check_output_path, int_at_least,
                                           run_cli, write_pose_pickle)
from aimclr_mm.datasets.synthetic_skeletons import (SYNTHETIC_ACTION_CLASSES,
                                                    make_synthetic_skeletons)



def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate the synthetic NTU-layout skeleton action data '
        'set as an mmaction2 PoseDataset pickle.')
    parser.add_argument('out', help='output .pkl')
    parser.add_argument(
        '--num-subjects',
        type=int_at_least(2),
        default=10,
        help='performers; 60%% of them form xsub_train (default: 10)')
    parser.add_argument(
        '--samples-per-class',
        type=int_at_least(1),
        default=40,
        help=f'samples of each of the {len(SYNTHETIC_ACTION_CLASSES)} '
        'classes (default: 40)')
    parser.add_argument(
        '--seed',
        type=int_at_least(0),
        default=0,
        help='random seed; equal options give an identical file (default: 0)')
    return parser.parse_args(argv)


def generate(args) -> None:
    check_output_path(args.out)
    start = time.time()
    data = make_synthetic_skeletons(args.num_subjects, args.samples_per_class,
                                    args.seed)
    annotations = data['annotations']
    write_pose_pickle(args.out, annotations, data['split'])
    frames = [a['total_frames'] for a in annotations]
    two_person = sum(a['keypoint'].shape[0] == 2 for a in annotations)
    print(f'wrote {args.out}: {len(annotations)} samples of '
          f'{len(SYNTHETIC_ACTION_CLASSES)} classes, {two_person} with two '
          f'persons, {min(frames)}-{max(frames)} frames '
          f'(median {int(np.median(frames))}), '
          f'in {time.time() - start:.1f} s')
    for name, members in data['split'].items():
        print(f'  {name}: {len(members)}')
    print('classes (label: name):')
    for label, name in enumerate(SYNTHETIC_ACTION_CLASSES):
        print(f'  {label}: {name}')


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: generate(args))


if __name__ == '__main__':
    sys.exit(main())
