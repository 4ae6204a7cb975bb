"""Throughput and memory of a pretraining config, in one process.

Measures, after a warm-up, ``--repeats`` times and reports the median and
the range:

- data pipeline: samples per second of one worker (``dataset[i]``, all
  views of a sample);
- training step alone: sequences per second of ``model.train_step`` on a
  batch already loaded (data preprocessor, forward, backward, optimizer);
- end to end: sequences per second of the training step fed by a
  DataLoader with ``--workers`` workers;
- peak memory: ``torch.cuda.max_memory_allocated`` on GPU, the process's
  peak resident set size on CPU.

Data: the config's annotation file, or ``--synthetic N`` random NTU-sized
sequences (40-300 frames, 30 % with two persons, 25 joints) written to a
temporary PoseDataset file.

Example::

    python tools/benchmark.py configs/aimclr_stgcn_ntu60_xsub_joint.py \\
        --synthetic 256 --batch-size 32 --steps 5 --workers 1 --amp
"""
import argparse
import json
import os
import os.path as osp
import pickle
import platform
import resource
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import aimclr_mm  # noqa: E402,F401
from mmaction.registry import DATASETS, MODELS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--steps', type=int, default=5, help='measured steps per repeat')
    parser.add_argument('--warmup', type=int, default=2, help='steps')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--workers', type=int, default=2, help='DataLoader workers')
    parser.add_argument(
        '--pipeline-samples',
        type=int,
        default=64,
        help='samples per repeat of the data pipeline measurement')
    parser.add_argument('--device', choices=('cpu', 'cuda'), default=None)
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (bfloat16 on '
        'CPU, float16 on GPU unless --amp-dtype)')
    parser.add_argument('--amp-dtype', choices=('float16', 'bfloat16'))
    parser.add_argument(
        '--synthetic',
        type=int,
        metavar='N',
        help='benchmark on N random NTU-sized sequences')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def write_synthetic_poses(path: str, num: int, seed: int = 0) -> None:
    """``num`` random NTU-sized sequences as a PoseDataset pickle, all in
    split ``xsub_train``: 40-300 frames, 30 % with two persons, 25 joints,
    each person a smooth random walk of a random pose."""
    rng = np.random.default_rng(seed)
    annotations = []
    for i in range(num):
        frames = int(rng.integers(40, 301))
        persons = 2 if rng.random() < 0.3 else 1
        pose = rng.normal(0, 0.3, (persons, 1, 25, 3))
        walk = np.cumsum(rng.normal(0, 0.01, (persons, frames, 25, 3)), 1)
        keypoint = pose + walk + np.array([0., 0., 3.])
        annotations.append(
            dict(
                frame_dir=f'synthetic_{i:06d}',
                label=int(rng.integers(60)),
                total_frames=frames,
                keypoint=keypoint.astype(np.float32)))
    split = dict(xsub_train=[a['frame_dir'] for a in annotations])
    with open(path, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations), f)


def summary(values):
    """Median and range of a list of rates."""
    return dict(
        median=statistics.median(values), min=min(values), max=max(values))


def peak_memory_mib(device: str) -> float:
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    # Linux reports ru_maxrss in KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synchronize(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def build(cfg, args, device):
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    start = time.perf_counter()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    load_s = time.perf_counter() - start
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(device)
    model.train()
    optim_cfg = cfg.optim_wrapper.copy()
    if args.amp:
        optim_cfg.type = 'CPUAmpOptimWrapper' if device == 'cpu' \
            else 'AmpOptimWrapper'
        if args.amp_dtype or device == 'cpu':
            optim_cfg.dtype = args.amp_dtype or 'bfloat16'
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    return dataset, model, optim_wrapper, load_s


def measure_pipeline(dataset, args):
    rates = []
    count = args.pipeline_samples
    for repeat in range(args.repeats + 1):
        start = time.perf_counter()
        for i in range(count):
            dataset[(repeat * count + i) % len(dataset)]
        rate = count / (time.perf_counter() - start)
        if repeat > 0:  # the first pass warms up
            rates.append(rate)
    return summary(rates)


def measure_step(model, optim_wrapper, batch, args, device):
    for _ in range(args.warmup):
        model.train_step(batch, optim_wrapper)
    rates = []
    for _ in range(args.repeats):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(args.steps):
            model.train_step(batch, optim_wrapper)
        synchronize(device)
        rates.append(args.batch_size * args.steps /
                     (time.perf_counter() - start))
    return summary(rates)


def endless(loader):
    while True:
        yield from loader


def measure_end_to_end(model, optim_wrapper, dataset, args, device):
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        collate_fn=pseudo_collate,
        drop_last=True,
        persistent_workers=args.workers > 0,
        pin_memory=device == 'cuda',
        generator=torch.Generator().manual_seed(args.seed))
    batches = endless(loader)
    rates, waits = [], []
    for _ in range(args.warmup):
        model.train_step(next(batches), optim_wrapper)
    for _ in range(args.repeats):
        synchronize(device)
        start = time.perf_counter()
        waited = 0.
        for _ in range(args.steps):
            fetch = time.perf_counter()
            batch = next(batches)
            waited += time.perf_counter() - fetch
            model.train_step(batch, optim_wrapper)
        synchronize(device)
        elapsed = time.perf_counter() - start
        rates.append(args.batch_size * args.steps / elapsed)
        waits.append(waited / elapsed)
    return summary(rates), summary(waits)


def main(argv=None):
    args = parse_args(argv)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.get('env_cfg', {}).get('cudnn_benchmark') and device == 'cuda':
        torch.backends.cudnn.benchmark = True
    tmp_dir = None
    if args.synthetic:
        tmp_dir = tempfile.TemporaryDirectory()
        ann_file = osp.join(tmp_dir.name, 'synthetic_3d.pkl')
        write_synthetic_poses(ann_file, args.synthetic, args.seed)
        cfg.train_dataloader.dataset.ann_file = ann_file
        cfg.train_dataloader.dataset.split = 'xsub_train'
    try:
        dataset, model, optim_wrapper, load_s = build(cfg, args, device)
        if len(dataset) < args.batch_size:
            raise SystemExit(f'{len(dataset)} samples, fewer than one batch '
                             f'of {args.batch_size}')
        if device == 'cuda':
            torch.cuda.reset_peak_memory_stats()
        pipeline = measure_pipeline(dataset, args)
        batch = pseudo_collate([dataset[i] for i in range(args.batch_size)])
        step = measure_step(model, optim_wrapper, batch, args, device)
        end_to_end, waiting = measure_end_to_end(model, optim_wrapper,
                                                 dataset, args, device)
        results = dict(
            config=args.config,
            device=device if device == 'cpu' else
            torch.cuda.get_device_name(),
            machine=f'{platform.machine()}, {os.cpu_count()} CPUs, torch '
            f'{torch.__version__}, {torch.get_num_threads()} threads',
            batch_size=args.batch_size,
            amp=args.amp,
            workers=args.workers,
            samples=len(dataset),
            dataset_load_s=load_s,
            pipeline_samples_per_s_per_worker=pipeline,
            step_seq_per_s=step,
            end_to_end_seq_per_s=end_to_end,
            end_to_end_waiting_for_data=waiting,
            peak_memory_mib=peak_memory_mib(device))
    finally:
        if tmp_dir is not None:
            tmp_dir.cleanup()
    report(results)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
    return results


def report(results):
    print(f"{results['config']} on {results['device']} "
          f"({results['machine']}), batch {results['batch_size']}, "
          f"amp {results['amp']}, {results['workers']} workers, "
          f"{results['samples']} samples (loaded in "
          f"{results['dataset_load_s']:.1f} s)")
    print('| measure | median | min | max |')
    print('| --- | --- | --- | --- |')
    rows = [('data pipeline, samples/s per worker',
             'pipeline_samples_per_s_per_worker'),
            ('training step alone, seq/s', 'step_seq_per_s'),
            ('end to end with loader, seq/s', 'end_to_end_seq_per_s'),
            ('end to end, fraction waiting for data',
             'end_to_end_waiting_for_data')]
    for label, key in rows:
        s = results[key]
        print(f"| {label} | {s['median']:.3g} | {s['min']:.3g} | "
              f"{s['max']:.3g} |")
    print(f"| peak memory, MiB | {results['peak_memory_mib']:.0f} | | |")


if __name__ == '__main__':
    main()
