"""KNN evaluation of a pretrained encoder.

Extracts pooled encoder features of the training split (the bank) and the
test split (the queries) and reports KNN top-1 for several k: cosine
similarity, each neighbour weighted by exp(similarity / 0.07) unless
``--weighting uniform``. CONFIG is a pretraining config, whose KNN settings
(``val_dataloader``, ``val_evaluator``) are used; CHECKPOINT any checkpoint
with the encoder under ``backbone.`` (pretraining, linear or finetuning).
"""
import argparse
import copy

from mmengine.config import Config
from mmengine.dist import is_main_process

import aimclr_mm  # noqa: F401  registers components
from aimclr_mm.engine.runner import (add_runner_args, build_runner,
                                     close_dist, set_work_dir)
from aimclr_mm.datasets.knn_dataset import (query_split_of,
                                             training_split_settings)
from aimclr_mm.evaluation.knn_val_loop import VALIDATION_KEYS


def parse_args():
    parser = argparse.ArgumentParser(
        description='KNN evaluation of a pretrained encoder')
    parser.add_argument('config', help='pretraining config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--ks',
        type=int,
        nargs='+',
        help='neighbour counts (default: those of the config)')
    parser.add_argument(
        '--weighting',
        choices=['exp', 'uniform'],
        help='neighbour weights: exp(similarity / temperature) or 1')
    parser.add_argument(
        '--temperature', type=float, help='temperature of exp weighting')
    parser.add_argument(
        '--ann-file',
        help='annotation file (default: that of the training dataloader)')
    parser.add_argument(
        '--bank-split',
        help='split forming the bank (default: the training split)')
    parser.add_argument(
        '--query-split',
        help='split to classify (default: the bank split with _train '
        'replaced by _val)')
    parser.add_argument(
        '--batch-size', type=int, help='sequences per GPU and step')
    parser.add_argument(
        '--work-dir', help='the directory to save logs and metrics')
    add_runner_args(parser)
    args = parser.parse_args()
    return args


def knn_test_cfg(cfg: Config, args) -> Config:
    """Turn the config's KNN validation settings into its test settings."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    loader = copy.deepcopy(cfg.get('val_dataloader'))
    evaluator = copy.deepcopy(cfg.get('val_evaluator'))
    if not loader or loader['dataset'].get('type') != 'KNNDataset' or \
            not isinstance(evaluator, dict) or \
            evaluator.get('type') != 'KNNMetric':
        raise ValueError(
            f'{args.config} has no KNN evaluation (val_dataloader with a '
            'KNNDataset and val_evaluator KNNMetric); pass a pretraining '
            'config')
    dataset = loader['dataset']
    for key, value in (('ann_file', args.ann_file),
                       ('bank_split', args.bank_split),
                       ('query_split', args.query_split)):
        if value is not None:
            dataset[key] = value
    if not dataset.get('ann_file') or not dataset.get('bank_split'):
        # As KNNValLoop does: the training dataloader's annotation.
        train = training_split_settings(cfg)
        dataset['ann_file'] = dataset.get('ann_file') or train.get('ann_file')
        dataset['bank_split'] = dataset.get('bank_split') or train.get('split')
        for key in VALIDATION_KEYS:
            if key not in dataset and train.get(key) is not None:
                dataset[key] = train[key]
    if args.batch_size is not None:
        loader['batch_size'] = args.batch_size
    for key, value in (('ks', args.ks), ('weighting', args.weighting),
                       ('temperature', args.temperature)):
        if value is not None:
            evaluator[key] = value

    cfg.test_dataloader = loader
    cfg.test_evaluator = evaluator
    cfg.test_cfg = dict(type='TestLoop')
    cfg.load_from = args.checkpoint
    # KNN needs the encoder only; it must come from the checkpoint.
    cfg.custom_hooks = [
        dict(type='PretrainedEncoderCheckHook', test_prefixes=['backbone.'])
    ]
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)
    return cfg


def main():
    args = parse_args()
    cfg = knn_test_cfg(Config.fromfile(args.config), args)
    runner = build_runner(cfg, loaders=('test_dataloader', ))
    metrics = runner.test()
    if is_main_process():
        dataset = cfg.test_dataloader.dataset
        evaluator = cfg.test_evaluator
        query = dataset.get('query_split') or query_split_of(
            dataset.bank_split)
        print(f'KNN on {dataset.ann_file}: bank {dataset.bank_split}, '
              f'queries {query}; cosine similarity, '
              f'{evaluator.get("weighting", "exp")} weighting')
        for name, value in metrics.items():
            print(f'{name}: {value:.4f}')
    close_dist()


if __name__ == '__main__':
    main()
