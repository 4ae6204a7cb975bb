"""Convert 20-joint Kinect v1 data (UTKinect-Action3D format) to a
PoseDataset pickle in the NTU 25-joint layout, split by subject.

Example::

    python tools/data/kinect_v1_to_pkl.py data/utkinect data/utkinect.pkl
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (add_output_args,  # noqa: E402
                                 convert_kinect_v1, run_cli)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert 20-joint Kinect v1 text data in the '
        'UTKinect-Action3D format to an mmaction2 PoseDataset pickle in the '
        'NTU 25-joint layout, with a cross-subject split (odd subjects '
        'train: xsub_train, even subjects: xsub_val).')
    parser.add_argument(
        'src_dir', help='folder with the label file and the joints folder')
    add_output_args(parser)
    parser.add_argument(
        '--classes',
        help='comma-separated action names in label order (default: order '
        'of first appearance in the label file)')
    parser.add_argument(
        '--label-file',
        default='actionLabel.txt',
        help='label file inside SRC_DIR (default: actionLabel.txt)')
    parser.add_argument(
        '--joints-dir',
        default='joints',
        help='folder of joints_sSS_eEE.txt files inside SRC_DIR '
        '(default: joints)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    classes = [c.strip()
               for c in args.classes.split(',')] if args.classes else None
    return run_cli(
        lambda: convert_kinect_v1(args.src_dir, args.out, classes, args.
                                  label_file, args.joints_dir, args.workers))


if __name__ == '__main__':
    sys.exit(main())
