import argparse

from mmengine.config import Config
from mmengine.dist import is_main_process

import aimclr_mm  # noqa: F401  registers components
from aimclr_mm.engine.runner import (add_runner_args, build_runner,
                                     close_dist, set_work_dir)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a model with AimCLR components')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump per-sample predictions (with class scores) to a pickle '
        'file for offline evaluation')
    add_runner_args(parser)
    args = parser.parse_args()
    return args


def merge_args(cfg, args):
    """Merge command line arguments into the config."""
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)
    cfg.load_from = args.checkpoint

    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError('The dump file must be a pkl file.')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump_metric]
        else:
            cfg.test_evaluator = [evaluator, dump_metric]

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = build_runner(cfg, loaders=('test_dataloader', ))
    metrics = runner.test()
    if is_main_process():
        for name, value in metrics.items():
            print(f'{name}: {value}')
    close_dist()


if __name__ == '__main__':
    main()
