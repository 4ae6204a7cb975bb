"""Convert NTU RGB+D 60 / 120 ``.skeleton`` files to a PoseDataset pickle.

Example::

    python tools/data/ntu_skeleton_to_pkl.py data/nturgb+d_skeletons \
        data/ntu60_3d.pkl \
        --missing NTU_RGBD_samples_with_missing_skeletons.txt --workers 8
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (add_output_args,  # noqa: E402
                                 convert_ntu, run_cli)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert NTU RGB+D 60/120 .skeleton files to an '
        'mmaction2 PoseDataset pickle with the standard splits (xsub_* and '
        'xview_* for NTU-60, xsub_* and xset_* for NTU-120).')
    parser.add_argument(
        'raw_dir', help='folder of .skeleton files, searched recursively')
    add_output_args(parser)
    parser.add_argument(
        '--missing',
        metavar='LIST',
        help='official list of samples with missing skeletons '
        '(NTU_RGBD_samples_with_missing_skeletons.txt or '
        'NTU_RGBD120_samples_with_missing_skeletons.txt); listed samples '
        'are skipped')
    parser.add_argument(
        '--dataset',
        choices=['auto', 'ntu60', 'ntu120'],
        default='auto',
        help='benchmark whose splits to write; auto picks ntu120 when any '
        'file has a setup above 17 or an action above 60')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: convert_ntu(args.raw_dir, args.out, args.missing,
                                       args.dataset, args.workers))


if __name__ == '__main__':
    sys.exit(main())
