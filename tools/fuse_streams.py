"""Fuse the class scores of several streams and report their accuracy.

Each input is a ``tools/test.py --dump`` file of one stream (e.g. joint,
motion, bone) on the same test split. The fused score of a sample is the
weighted sum of its stream scores (raw class scores with the downstream
configs, as the paper's 3-stream fusion adds them)::

    python tools/fuse_streams.py J.pkl M.pkl B.pkl --weights 0.6 0.6 0.4
"""
import argparse
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmaction.evaluation import top_k_accuracy

from aimclr_mm.utils import load_pickle


def load_scores(path: str) -> Tuple[np.ndarray, np.ndarray, List]:
    """Class scores (N, num_classes), labels (N,) and sample names (N,) of
    a dump file; a name is None where the dump does not record it.

    The file is unpickled by :func:`aimclr_mm.utils.load_pickle`, which
    refuses anything but data and tensors."""
    results = load_pickle(path, allow_tensors=True)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{path} is not a non-empty list of predictions '
                         '(a tools/test.py --dump file)')
    scores, labels, names = [], [], []
    for i, sample in enumerate(results):
        score = sample.get('pred_scores', sample.get('pred_score'))
        label = sample.get('gt_labels', sample.get('gt_label'))
        if isinstance(score, dict):
            score = score['item']
        if isinstance(label, dict):
            label = label['item']
        if score is None or label is None:
            raise ValueError(f'{path}: sample {i} has no class scores or no '
                             'ground-truth label')
        scores.append(np.asarray(score, dtype=np.float64).reshape(-1))
        labels.append(int(np.asarray(label).reshape(-1)[0]))
        names.append(sample.get('frame_dir'))
    if len({len(s) for s in scores}) != 1:
        raise ValueError(f'{path}: samples have different numbers of class '
                         'scores')
    return np.stack(scores), np.array(labels), names


def fuse(paths: Sequence[str],
         weights: Optional[Sequence[float]] = None
         ) -> Tuple[np.ndarray, np.ndarray]:
    """Weighted sum of the scores of several dump files.

    The files must hold the same samples in the same order: the same
    labels, and the same names where the dumps record them.

    Returns:
        tuple: Fused scores (N, num_classes) and labels (N,).
    """
    if not paths:
        raise ValueError('No score files given')
    if weights is None:
        weights = [1.0] * len(paths)
    if len(weights) != len(paths):
        raise ValueError(f'{len(paths)} score files but {len(weights)} '
                         'weights')
    fused, ref_labels, ref_names = None, None, None
    for path, weight in zip(paths, weights):
        scores, labels, names = load_scores(path)
        if fused is None:
            fused = np.zeros_like(scores)
            ref_labels, ref_names = labels, names
        elif scores.shape != fused.shape:
            raise ValueError(
                f'{path} holds scores of shape {scores.shape}, '
                f'{paths[0]} of shape {fused.shape}: not the same test set')
        elif not np.array_equal(labels, ref_labels) or any(
                a is not None and b is not None and a != b
                for a, b in zip(names, ref_names)):
            raise ValueError(f'{path} and {paths[0]} do not list the same '
                             'samples in the same order')
        fused += weight * scores
    return fused, ref_labels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fuse the class scores of several streams')
    parser.add_argument(
        'scores', nargs='+', help='tools/test.py --dump files, one a stream')
    parser.add_argument(
        '--weights',
        type=float,
        nargs='+',
        help='one weight a file (default: all 1)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for path in args.scores:
        scores, labels, _ = load_scores(path)
        top1, = top_k_accuracy(scores, labels, (1, ))
        print(f'{path}: top1_acc {top1:.4f}')
    fused, labels = fuse(args.scores, args.weights)
    top1, top5 = top_k_accuracy(fused, labels, (1, 5))
    weights = args.weights or [1.0] * len(args.scores)
    print(f'fused ({len(labels)} samples, weights '
          f'{" ".join(f"{w:g}" for w in weights)}):')
    print(f'top1_acc: {top1:.4f}')
    print(f'top5_acc: {top5:.4f}')
    return top1, top5


if __name__ == '__main__':
    main()
