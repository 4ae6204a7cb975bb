"""KNN top-1 against epoch from pretraining logs, one line per work dir
(the paper's Fig. 3).

Pretraining evaluates the encoder with KNN every ``train_cfg.val_interval``
epochs and logs ``knn/top1_k<k>`` with the epoch as ``step`` in
``WORK_DIR/<timestamp>/vis_data/scalars.json``. Runs of one work dir
(a resumed run starts a new timestamp) are joined, the later run winning
for an epoch logged twice. Runs without a display.

Example::

    python tools/plot_knn_curve.py work_dirs/aimclr_stgcn_ntu60_xsub_joint \\
        work_dirs/aimclr_stgcn_ntu60_xsub_motion --k 20 --out knn.png
"""
import argparse
import glob
import json
import os
import os.path as osp
from typing import Dict


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', help='pretraining work dirs')
    parser.add_argument('--out', default='knn.png', help='PNG to write')
    parser.add_argument(
        '--k', type=int, default=20, help='neighbours (default: %(default)s)')
    parser.add_argument('--labels', nargs='+', help='one per work dir')
    args = parser.parse_args()
    if args.labels and len(args.labels) != len(args.work_dirs):
        parser.error('--labels needs one label per work dir')
    return args


def knn_curve(work_dir: str, k: int) -> Dict[int, float]:
    """{epoch: KNN top-1} from every run's scalars.json in ``work_dir``."""
    key = f'knn/top1_k{k}'
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'{work_dir}: no <timestamp>/vis_data/scalars.json (is it a '
            'pretraining work dir?)')
    curve, keys = {}, set()
    for path in files:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise ValueError(f'{path}, line {number}: not JSON') \
                        from None
                keys.update(r for r in record if r.startswith('knn/'))
                if key in record:
                    curve[int(record['step'])] = float(record[key])
    if not curve:
        found = ', '.join(sorted(keys)) or 'no knn/ keys'
        raise KeyError(f'{work_dir}: {key} was never logged ({found}); '
                       'pretraining logs KNN unless --no-validate')
    return dict(sorted(curve.items()))


def main():
    args = parse_args()
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    labels = args.labels or [
        osp.basename(osp.normpath(d)) for d in args.work_dirs
    ]
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, work_dir in zip(labels, args.work_dirs):
        curve = knn_curve(work_dir, args.k)
        epochs, top1 = list(curve), [100 * v for v in curve.values()]
        ax.plot(epochs, top1, marker='o', markersize=3, label=label)
        print(f'{label}: KNN top-1 (k={args.k}) at epochs '
              + ', '.join(f'{e}: {t:.1f}%' for e, t in zip(epochs, top1)))
    ax.set_xlabel('epoch')
    ax.set_ylabel(f'KNN top-1 (%), k = {args.k}')
    ax.grid(alpha=0.3)
    ax.legend()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=100, bbox_inches='tight')
    plt.close(fig)
    print(f'KNN curve written to {args.out}')


if __name__ == '__main__':
    main()
