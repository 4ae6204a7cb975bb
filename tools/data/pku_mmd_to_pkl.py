"""Convert PKU-MMD part I / II skeletons and labels to a PoseDataset pickle.

Every labelled action instance becomes one sample. Example::

    python tools/data/pku_mmd_to_pkl.py data/pku_v1/skeleton \
        data/pku_v1/label data/pku_v1.pkl --part 1 \
        --xsub-list data/pku_v1/cross-subject.txt \
        --xview-list data/pku_v1/cross-view.txt --workers 8
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from skeleton_converters import (add_output_args,  # noqa: E402
                                 convert_pku_mmd, run_cli)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert PKU-MMD part I or II skeleton and label files '
        'to an mmaction2 PoseDataset pickle of segmented action samples '
        'with the splits of the official split lists.')
    parser.add_argument(
        'skeleton_dir', help='folder of per-video skeleton files VIDEO.txt')
    parser.add_argument(
        'label_dir', help='folder of per-video label files VIDEO.txt')
    add_output_args(parser)
    parser.add_argument(
        '--part', type=int, choices=[1, 2], required=True, help='PKU-MMD part')
    parser.add_argument(
        '--xsub-list',
        required=True,
        metavar='FILE',
        help='official cross-subject split file (e.g. cross-subject.txt); '
        'gives xsub_train / xsub_val')
    parser.add_argument(
        '--xview-list',
        metavar='FILE',
        help='official cross-view split file (e.g. cross-view.txt); gives '
        'xview_train / xview_val')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: convert_pku_mmd(args.skeleton_dir, args.label_dir,
                                           args.out, args.part, args.xsub_list,
                                           args.xview_list, args.workers))


if __name__ == '__main__':
    sys.exit(main())
