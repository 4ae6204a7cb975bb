"""Convert MSRAction3D skeleton files (``aAA_sSS_eEE_skeleton3D.txt``) to a
PoseDataset pickle in the NTU 25-joint layout, split by subject.

Example::

    python tools/data/msr_action3d_to_pkl.py data/msr_action3d \
        data/msr_action3d.pkl
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (add_output_args,  # noqa: E402
                                 convert_msr_action3d, run_cli)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert MSRAction3D skeleton files '
        '(aAA_sSS_eEE_skeleton3D.txt, 20 lines "x y z confidence" per '
        'frame) to an mmaction2 PoseDataset pickle in the NTU 25-joint '
        'layout, with a cross-subject split (odd subjects train: '
        'xsub_train, even subjects: xsub_val). All-zero frames are '
        'dropped; defective files are skipped and reported.')
    parser.add_argument('src_dir', help='folder with the skeleton files')
    add_output_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: convert_msr_action3d(args.src_dir, args.out,
                                                args.workers))


if __name__ == '__main__':
    sys.exit(main())
