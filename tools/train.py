import argparse

from mmengine.config import Config

import aimclr_mm  # noqa: F401  registers components
from aimclr_mm.engine.runner import (add_runner_args, build_runner,
                                     close_dist, enable_amp, set_work_dir)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Train (or pretrain) a model with AimCLR components')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest '
        'checkpoint in the work directory if no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision training (CUDA or CPU)')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        help='autocast dtype with --amp; defaults to float16 on GPU and '
        'bfloat16 on CPU')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size '
        'relative to `auto_scale_lr.base_batch_size`')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='use a different seed on every rank')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='use deterministic algorithms (cuDNN)')
    add_runner_args(parser)
    args = parser.parse_args()
    if args.amp_dtype is not None and not args.amp:
        parser.error('--amp-dtype requires --amp')
    return args


def merge_args(cfg, args):
    """Merge command line arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)

    if args.amp:
        enable_amp(cfg, args.amp_dtype)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs `auto_scale_lr = dict('
                             'base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True

    randomness = dict(seed=None)
    randomness.update(cfg.get('randomness') or {})
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = build_runner(cfg, loaders=('train_dataloader', 'val_dataloader'))
    runner.train()
    close_dist()


if __name__ == '__main__':
    main()
