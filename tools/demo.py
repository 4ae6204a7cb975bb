"""AimCLR end to end on the built-in synthetic data set.

Generates the synthetic skeleton data set, pretrains AimCLR with the NTU-60
cross-subject joint config (shortened), then measures a randomly initialised
encoder and the pretrained one the same two ways: a linear probe on the
frozen encoder (the linear-evaluation config) and KNN (``tools/knn_eval.py``).
Every step runs the project's own configs and tools; their logs are kept in
the work dir. Prints one table.

Example::

    python tools/demo.py            # about 10 minutes on 2 CPU cores
    python tools/demo.py --quick    # about 2 minutes, same table
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CONFIG = osp.join(REPO, 'configs',
                           'aimclr_stgcn_ntu60_xsub_joint.py')
LINEAR_CONFIG = osp.join(REPO, 'configs',
                         'linear_aimclr_stgcn_ntu60_xsub_joint.py')

# (samples per class, pretraining epochs, first mining epoch (0-based),
#  linear-probe epochs, queue size)
SETTINGS = dict(full=(40, 20, 14, 25, 256), quick=(16, 6, 4, 12, 128))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--quick', action='store_true', help='smaller data, fewer epochs')
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'demo'),
        help='where data, checkpoints and logs go (default: %(default)s)')
    parser.add_argument(
        '--no-amp',
        action='store_true',
        help='pretrain in float32 (default: bfloat16 mixed precision on '
        'CPU, float16 on GPU)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


class Step:
    """Runs one tool as a subprocess, its output going to a log file."""

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.env.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))

    def __call__(self, name: str, args) -> str:
        log_file = osp.join(self.work_dir, f'{name}.log')
        print(f'[demo] {name} ... ', end='', flush=True)
        start = time.time()
        with open(log_file, 'w') as log:
            proc = subprocess.run([sys.executable, *args],
                                  cwd=REPO,
                                  env=self.env,
                                  stdout=log,
                                  stderr=subprocess.STDOUT)
        print(f'{time.time() - start:.0f} s', flush=True)
        if proc.returncode != 0:
            with open(log_file) as f:
                tail = f.read()[-4000:]
            sys.exit(f'[demo] {name} failed (exit {proc.returncode}); '
                     f'end of {log_file}:\n{tail}')
        with open(log_file) as f:
            return f.read()


def last_scalars(work_dir: str, key: str) -> dict:
    """The last record holding ``key`` in the newest run's scalars.json."""
    runs = sorted(
        d for d in os.listdir(work_dir)
        if osp.isdir(osp.join(work_dir, d, 'vis_data')))
    if not runs:
        raise FileNotFoundError(f'no run logs in {work_dir}')
    path = osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')
    with open(path) as f:
        records = [json.loads(line) for line in f if key in line]
    if not records:
        raise KeyError(f'{key} not logged in {path}')
    return records[-1]


def knn_top1(log: str) -> dict:
    """KNN top-1 per k from the lines ``knn/top1_k20: 0.4321``."""
    found = re.findall(r'^knn/top1[^:\s]*?(\d+):\s*([0-9.]+)\s*$', log,
                       re.MULTILINE)
    if not found:
        raise ValueError('no KNN top-1 in the output of tools/knn_eval.py')
    return {int(k): float(v) for k, v in found}


def save_random_init(path: str, queue_size: int, seed: int) -> None:
    """A checkpoint of the pretraining model as initialised, untrained.

    The encoder gets mmaction2's default ST-GCN initialisation: with the
    official N(0, 0.02) one and BatchNorm statistics at their defaults, an
    untrained encoder's features shrink to about 1e-6, which no probe reads.
    """
    import torch
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import aimclr_mm  # noqa: F401
    MMLogger.get_instance('demo', log_level='WARNING')
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.model.backbone.init_cfg = None
    cfg.model.neck.init_cfg = None
    model = MODELS.build(
        dict(cfg.model, queue_size=queue_size, key_encoder_init='copy'))
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict(seed=seed)),
               path)


def main():
    args = parse_args()
    samples, epochs, mining, linear_epochs, queue = SETTINGS[
        'quick' if args.quick else 'full']
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    step = Step(work_dir)
    start = time.time()

    ann_file = osp.join(work_dir, 'synthetic_3d.pkl')
    step('data', [
        'tools/data/make_synthetic_skeletons.py', ann_file,
        '--samples-per-class',
        str(samples), '--seed',
        str(args.seed)
    ])
    from aimclr_mm.datasets.pose_validation import load_pose_file
    data = load_pose_file(ann_file)
    num_classes = len({a['label'] for a in data['annotations']})
    split_sizes = {k: len(v) for k, v in data['split'].items()}
    data_options = [
        f'train_dataloader.dataset.ann_file={ann_file}',
        f'train_dataloader.dataset.num_classes={num_classes}',
        'train_dataloader.num_workers=1', 'val_dataloader.num_workers=1',
        f'randomness.seed={args.seed}'
    ]

    pretrain_dir = osp.join(work_dir, 'pretrain')
    step('pretrain', [
        'tools/train.py', PRETRAIN_CONFIG, '--work-dir', pretrain_dir,
        *([] if args.no_amp else ['--amp']), '--cfg-options', *data_options,
        f'model.queue_size={queue}', 'train_dataloader.batch_size=32',
        # A run of a few hundred steps: the key encoder starts as a copy of
        # the query encoder (MoCo) and follows it faster. With the paper's
        # independent start and m = 0.999 it would still be mostly its
        # random self, and its keys nearly all alike, at the end.
        'model.key_encoder_init=copy', 'model.momentum=0.99',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.milestones=[{epochs}]',
        f'custom_hooks.0.start_epoch={mining}',
        'default_hooks.logger.interval=5'
    ])
    checkpoints = dict(
        aimclr=osp.join(pretrain_dir, f'epoch_{epochs}.pth'),
        random=osp.join(work_dir, 'random_init.pth'))
    save_random_init(checkpoints['random'], queue, args.seed)

    results = {}
    for name, ckpt in checkpoints.items():
        linear_dir = osp.join(work_dir, f'linear_{name}')
        step(f'linear_{name}', [
            'tools/train.py', LINEAR_CONFIG, '--work-dir', linear_dir,
            '--cfg-options', f'load_from={ckpt}',
            f'model.cls_head.num_classes={num_classes}',
            f'train_dataloader.dataset.ann_file={ann_file}',
            f'val_dataloader.dataset.ann_file={ann_file}',
            f'train_dataloader.dataset.num_classes={num_classes}',
            f'val_dataloader.dataset.num_classes={num_classes}',
            'train_dataloader.batch_size=32', 'val_dataloader.batch_size=64',
            'train_dataloader.num_workers=1', 'val_dataloader.num_workers=1',
            f'train_cfg.max_epochs={linear_epochs}',
            f'train_cfg.val_interval={linear_epochs}',
            f'param_scheduler.0.milestones=[{int(linear_epochs * 0.8)}]',
            f'randomness.seed={args.seed}'
        ])
        linear = last_scalars(linear_dir, 'acc/top1')['acc/top1']
        log = step(f'knn_{name}', [
            'tools/knn_eval.py', PRETRAIN_CONFIG, ckpt, '--work-dir',
            osp.join(work_dir, f'knn_{name}'), '--cfg-options', *data_options
        ])
        results[name] = (linear, knn_top1(log))

    wall = time.time() - start
    ks = sorted(results['aimclr'][1])
    k = 20 if 20 in ks else ks[0]
    rows = [('chance (1 / classes)', 1 / num_classes, 1 / num_classes),
            ('random-init encoder', results['random'][0],
             results['random'][1][k]),
            ('AimCLR encoder', results['aimclr'][0], results['aimclr'][1][k])]
    print()
    print(f'Synthetic skeletons: {num_classes} classes, xsub_train '
          f"{split_sizes['xsub_train']} / xsub_val {split_sizes['xsub_val']}"
          f' sequences; AimCLR pretrained {epochs} epochs (NNM from epoch '
          f'{mining + 1}), linear probe {linear_epochs} epochs, KNN k={k} '
          '(cosine, exp-weighted).')
    print(f"| {'encoder':<22} | linear top-1 | KNN top-1 |")
    print(f"|{'-' * 24}|{'-' * 14}|{'-' * 11}|")
    for name, linear, knn in rows:
        print(f'| {name:<22} | {100 * linear:>10.1f} % | '
              f'{100 * knn:>7.1f} % |')
    print('Short-run settings: key encoder copied from the query encoder, '
          'm = 0.99; the random-init encoder has mmaction2\'s default '
          'ST-GCN initialisation.')
    print(f'Wall time: {wall / 60:.1f} min. Logs and checkpoints: {work_dir}')


if __name__ == '__main__':
    main()
