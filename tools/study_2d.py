"""AimCLR on 2D skeletons with mmaction2's STGCN, on a real data set: the
3D recordings projected into the camera image, pretrained with the 2D
pipeline and compared with the random-init encoder by KNN top-1 and linear
probes.

Steps (each skipped on a rerun once its output exists): convert the raw
data (the demo's converter), project it to pixels
(``tools/data/project_to_2d.py``), save the random-init encoder (BatchNorm
statistics of the training split), pretrain (``tools/train.py``), KNN of
both encoders (``tools/knn_eval.py``, k = 20), a linear probe of each
encoder per seed (the frozen backbone, ``--linear-config``). Writes
``results.json`` and ``results.md`` in the work dir.

Example::

    python tools/study_2d.py --data utkinect \\
        --data-root ../shared/data/utkinect --work-dir work_dirs/study2d_utk \\
        --epochs 60
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import demo  # noqa: E402  the demo's steps, reused

CONFIG = osp.join(demo.REPO, 'configs',
                  'aimclr_mmstgcn_kinect2d_xsub_joint.py')
LINEAR_CONFIG = osp.join(demo.REPO, 'configs', 'linear',
                         'aimclr_mmstgcn_linear_kinect2d_xsub_joint.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', choices=list(demo.REAL_DATA),
                        required=True)
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--linear-config', default=LINEAR_CONFIG)
    parser.add_argument('--epochs', type=int, default=60)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--queue-size', type=int, default=64)
    parser.add_argument('--knn-every', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--probe-seeds', type=int, default=3,
        help='linear probes per encoder, seeds --seed, --seed + 1, ... '
        '(default: %(default)s)')
    parser.add_argument('--linear-epochs', type=int)
    parser.add_argument('--no-amp', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    step = demo.Step(work_dir)
    start = time.time()
    converter = demo.REAL_DATA[args.data][0]
    ann_3d = osp.join(work_dir, f'{args.data}_3d.pkl')
    ann_2d = osp.join(work_dir, f'{args.data}_2d.pkl')
    step('data', [converter, osp.abspath(args.data_root), ann_3d],
         done=ann_3d)
    step('project', ['tools/data/project_to_2d.py', ann_3d, ann_2d],
         done=ann_2d)

    from aimclr_mm.datasets.pose_validation import load_pose_file
    annotations = load_pose_file(ann_2d)['annotations']
    num_classes = len({a['label'] for a in annotations})
    num_person = min(2, max(a['keypoint'].shape[0] for a in annotations))
    person, person_linear = demo.person_options(num_person, args.config,
                                                args.linear_config)
    options = [
        f'train_dataloader.dataset.ann_file={ann_2d}',
        f'train_dataloader.dataset.num_classes={num_classes}',
        'train_dataloader.num_workers=1', 'val_dataloader.num_workers=1',
        f'randomness.seed={args.seed}', f'model.queue_size={args.queue_size}',
        *person
    ]
    amp = demo.use_amp(args.no_amp)

    checkpoints = dict(random=osp.join(work_dir, 'random_init.pth'))
    if not osp.exists(checkpoints['random']):
        demo.save_random_init(checkpoints['random'], args.queue_size,
                              args.seed, ann_2d, person, config=args.config)
    pretrain_dir = osp.join(work_dir, 'pretrain')
    checkpoints['aimclr'] = osp.join(pretrain_dir,
                                     f'epoch_{args.epochs}.pth')
    results_file = osp.join(work_dir, 'results.json')
    pretrain_start = time.time()
    done_before = osp.exists(checkpoints['aimclr'])
    step('pretrain', [
        'tools/train.py', args.config, '--work-dir', pretrain_dir,
        *(['--amp'] if amp else []), '--cfg-options', *options,
        f'train_dataloader.batch_size={args.batch_size}',
        f'train_cfg.max_epochs={args.epochs}',
        f'train_cfg.val_interval={args.knn_every}',
        'default_hooks.logger.interval=5'
    ], epochs=args.epochs, done=checkpoints['aimclr'])
    # a rerun that skips pretraining keeps the time measured then
    pretrain_min = (time.time() - pretrain_start) / 60 if not done_before \
        else (json.load(open(results_file)).get('pretrain_min')
              if osp.exists(results_file) else None)

    linear_epochs = args.linear_epochs or demo.REAL_DATA[args.data][3]
    probe_options = demo.linear_options(ann_2d, num_classes, linear_epochs,
                                        person_linear)
    probe_seeds = list(range(args.seed, args.seed + args.probe_seeds))
    knn, linear = {}, {}
    for name, ckpt in checkpoints.items():
        log = step(f'knn_{name}', [
            'tools/knn_eval.py', args.config, ckpt, '--work-dir',
            osp.join(work_dir, f'knn_{name}'), '--cfg-options', *options
        ])
        knn[name] = demo.knn_top1(log)
        linear[name] = [
            demo.linear_probe(
                step, f'linear_{name}_seed{seed}', args.linear_config, ckpt,
                osp.join(work_dir, f'linear_{name}_seed{seed}'),
                probe_options, linear_epochs, seed) for seed in probe_seeds
        ]
    stats = demo.last_scalars(pretrain_dir, 'query_std')
    results = dict(
        data=args.data, config=osp.relpath(args.config, demo.REPO),
        epochs=args.epochs, batch_size=args.batch_size,
        queue_size=args.queue_size, amp=amp, seed=args.seed,
        knn=knn, linear=linear, linear_epochs=linear_epochs,
        probe_seeds=probe_seeds, pretrain_min=pretrain_min,
        wall_min=(time.time() - start) / 60,
        embedding={k: stats[k] for k in
                   ('query_std', 'key_cos', 'logit_pos', 'logit_neg')},
        command='python tools/study_2d.py ' + ' '.join(
            argv if argv is not None else sys.argv[1:]))
    with open(results_file, 'w') as f:
        json.dump(results, f, indent=2)
    ks = sorted(knn['random'])

    def linear_cell(top1):
        if not top1:
            return 'not probed'
        return (f'{100 * sum(top1) / len(top1):.1f} % '
                f'({demo.per_seed(top1)})')

    rows = '\n'.join(
        f'| {label} | {linear_cell(linear[key])} | ' +
        ' | '.join(f'{100 * knn[key][k]:.1f} %' for k in ks) + ' |'
        for key, label in (('random', 'random-init encoder'),
                           ('aimclr', 'AimCLR encoder')))
    header = ' | '.join(f'KNN top-1 (k = {k})' for k in ks)
    stats_line = ', '.join(f'{k} {v:.4g}'
                           for k, v in results['embedding'].items())
    table = (f'| encoder | linear top-1, mean (seeds '
             f"{' / '.join(map(str, probe_seeds))}) | {header} |\n|---|---|" +
             '---|' * len(ks) +
             f'\n{rows}\n\nAimCLR embedding statistics at the last '
             f'pretraining iteration: {stats_line}.\n')
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(table)
    print(table)


if __name__ == '__main__':
    main()
