"""The paper's claims on a real skeleton data set: Table 1, Table 2, fusion
and the recipe ablation, with the demo's procedure.

Each variant is a pretraining config (with ``--cfg-options``) and a stream.
For each it pretrains, reads KNN top-1 (``tools/knn_eval.py``) and the
linear probe on the frozen encoder (the stream's linear config, one probe
per seed), dumps the probe's class scores (``tools/test.py --dump``) and
fuses the three streams where a method has all three
(``tools/fuse_streams.py``). A random-init encoder per stream is the
baseline. Finished steps are skipped on a rerun, so the study can be run
one variant at a time (``--only``) and the table rebuilt at the end.

Writes ``study.json`` and ``study.md`` (tables, commands, wall times, the
collapse monitor's last scalars) in the work dir.

Example::

    python tools/real_data_study.py --data utkinect \\
        --data-root ../shared/data/utkinect --work-dir work_dirs/study_utk \\
        --only table2
"""
import argparse
import functools
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import demo  # noqa: E402  the demo's steps, reused

REPO = demo.REPO
CONFIGS = osp.join(REPO, 'configs')
STREAMS = ('joint', 'motion', 'bone')


# the single-stream model a random-init encoder or one stream of a 3s model
# is evaluated as
SINGLE_STREAM_CONFIG = 'aimclr_stgcn_ntu60_xsub_joint.py'


def pretrain_config(name: str) -> str:
    return osp.join(CONFIGS, name)


def linear_config(stream: str) -> str:
    return osp.join(CONFIGS, 'linear',
                    f'aimclr_stgcn_linear_ntu60_xsub_{stream}.py')


# The paper recipe's five differing values, each switched alone to the
# default recipe's value (docs/real_data_study.md): cfg-options on
# configs/ablation/aimclr_paper_recipe_stgcn_ntu60_xsub_joint.py.
RECIPE_SWITCHES = dict(
    # _delete_: the paper's None is replaced by a dict, not merged into
    bn_projector=[
        'model.neck.hid_norm_cfg._delete_=True',
        'model.neck.hid_norm_cfg.type=BN1d',
        'model.neck.out_norm_cfg._delete_=True',
        'model.neck.out_norm_cfg.type=BN1d',
        'model.neck.out_norm_cfg.affine=False'
    ],
    mmaction_init=['model.backbone.init_cfg=None', 'model.neck.init_cfg=None'],
    copy_key_encoder=['model.key_encoder_init=copy'],
    momentum=['model.momentum=0.99'],
    temperature=['model.temperature=0.2'],
    no_dropout=['model.backbone.tcn_dropout=0.0'],
)

# name: (pretraining config, stream, cfg-options, group)
VARIANTS = {
    # Table 1 (joint stream)
    'na': ('ablation/skeletonclr_stgcn_ntu60_xsub_joint.py', 'joint', [],
           'table1'),
    'ea': ('ablation/extreme_only_stgcn_ntu60_xsub_joint.py', 'joint', [],
           'table1'),
    'na_ea_d3m': ('ablation/aimclr_d3m_stgcn_ntu60_xsub_joint.py', 'joint',
                  [], 'table1'),
    'eadm': ('ablation/aimclr_d3m_eadm_stgcn_ntu60_xsub_joint.py', 'joint',
             [], 'table1'),
    'aimclr_joint': ('aimclr_stgcn_ntu60_xsub_joint.py', 'joint', [],
                     'table1'),
    # Table 2: SkeletonCLR and AimCLR per stream (joint above)
    'skeletonclr_motion': ('ablation/skeletonclr_stgcn_ntu60_xsub_joint.py',
                           'motion', [], 'table2'),
    'skeletonclr_bone': ('ablation/skeletonclr_stgcn_ntu60_xsub_joint.py',
                         'bone', [], 'table2'),
    'aimclr_motion': ('aimclr_stgcn_ntu60_xsub_joint.py', 'motion', [],
                      'table2'),
    'aimclr_bone': ('aimclr_stgcn_ntu60_xsub_joint.py', 'bone', [],
                    'table2'),
    # the paper's recipe, then each difference switched alone
    'paper_recipe': ('ablation/aimclr_paper_recipe_stgcn_ntu60_xsub_joint.py',
                     'joint', [], 'recipe'),
    # 3s-AimCLR with cross-stream knowledge mining
    'aimclr_3s': ('aimclr3s_stgcn_ntu60_xsub.py', 'all', [], 'crossstream'),
}


def recipe_variant(switches) -> str:
    """'paper+<switch>+<switch>...': the paper's recipe with these of its
    differences from the default switched to the default's value."""
    return '+'.join(['paper', *switches])


def variant(name: str):
    """(pretraining config, stream, cfg-options, group) of a named variant
    or of any 'paper+<switch>+...' combination; None if unknown."""
    if name in VARIANTS:
        return VARIANTS[name]
    first, *switches = name.split('+')
    if first == 'paper' and switches and all(
            s in RECIPE_SWITCHES for s in switches):
        return (VARIANTS['paper_recipe'][0], 'joint',
                [o for s in switches for o in RECIPE_SWITCHES[s]], 'recipe')
    return None


def three_stream_part(name: str):
    """(3s variant, stream) of a name like 'aimclr_3s_bone': one stream of
    a 3s variant, evaluated alone; None for any other name."""
    base, _, stream = name.rpartition('_')
    if stream in STREAMS and base in VARIANTS and VARIANTS[base][1] == 'all':
        return base, stream
    return None


# 'table2' also needs the joint rows of both methods
GROUPS = dict(
    table1=['na', 'ea', 'na_ea_d3m', 'eadm', 'aimclr_joint'],
    table2=['na', 'aimclr_joint', 'skeletonclr_motion', 'aimclr_motion',
            'skeletonclr_bone', 'aimclr_bone'],
    # each difference switched alone, and all but one (the default recipe
    # without it)
    recipe=['paper_recipe', *(recipe_variant([n]) for n in RECIPE_SWITCHES)],
    recipe_all_but_one=[
        recipe_variant([m for m in RECIPE_SWITCHES if m != n])
        for n in RECIPE_SWITCHES
    ],
    crossstream=['aimclr_3s'])
FUSION = dict(SkeletonCLR=['na', 'skeletonclr_motion', 'skeletonclr_bone'],
              AimCLR=['aimclr_joint', 'aimclr_motion', 'aimclr_bone'],
              **{'3s-AimCLR (cross-stream mining)': [
                  f'aimclr_3s_{s}' for s in STREAMS]})


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', choices=list(demo.REAL_DATA),
                        required=True)
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument(
        '--only', nargs='+', default=['table2'],
        help=f"variants or groups ({', '.join([*GROUPS, 'random'])}) to "
        'run; the table covers every finished variant (default: %(default)s)')
    parser.add_argument('--epochs', type=int)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--queue-size', type=int)
    parser.add_argument('--linear-epochs', type=int)
    parser.add_argument(
        '--probe-seeds', type=int, default=3,
        help='linear probes per encoder; 0 reads KNN only, for screening '
        'runs (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-amp', action='store_true')
    parser.add_argument('--table-only', action='store_true',
                        help='rebuild study.md from finished steps')
    return parser.parse_args(argv)


class Study:

    def __init__(self, args):
        self.args = args
        (self.converter, epochs, self.knn_every, self.linear_epochs,
         queue) = demo.REAL_DATA[args.data]
        self.epochs = args.epochs or epochs
        self.knn_every = min(self.knn_every, self.epochs)
        self.linear_epochs = args.linear_epochs or self.linear_epochs
        self.queue = args.queue_size or queue
        self.amp = demo.use_amp(args.no_amp)
        self.work_dir = osp.abspath(args.work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.step = demo.Step(self.work_dir)
        self.ann_file = osp.join(self.work_dir, f'{args.data}_3d.pkl')
        self.step('data', [
            self.converter, osp.abspath(args.data_root), self.ann_file
        ], done=self.ann_file)
        from aimclr_mm.datasets.pose_validation import load_pose_file
        data = load_pose_file(self.ann_file)
        self.num_classes = len({a['label'] for a in data['annotations']})
        self.num_person = min(2, max(a['keypoint'].shape[0]
                                     for a in data['annotations']))
        self.seeds = list(range(args.seed, args.seed + args.probe_seeds))

    @functools.cache  # both configs are parsed once per pair, not per step
    def person_options(self, config, stream):
        """(pretraining, linear) ``--cfg-options`` setting the person slots
        of ``config`` and of ``stream``'s linear config, found in each
        (their pipelines need not put them at the same positions)."""
        linear = linear_config('joint' if stream == 'all' else stream)
        return demo.person_options(self.num_person, pretrain_config(config),
                                   linear)

    def data_options(self, stream, config):
        if stream == 'all':  # 3s-AimCLR: joint views, one bank size
            return [
                o.replace('model.queue_size', 'model.stream_model.queue_size')
                for o in self.data_options('joint', config)
            ]
        return [
            f'train_dataloader.dataset.ann_file={self.ann_file}',
            f'train_dataloader.dataset.num_classes={self.num_classes}',
            'train_dataloader.num_workers=1', 'val_dataloader.num_workers=1',
            f'randomness.seed={self.args.seed}',
            f'model.data_preprocessor.stream={stream}',
            f'model.queue_size={self.queue}',
            *self.person_options(config, stream)[0]
        ]

    def pretrain(self, name, config, stream, options):
        out = osp.join(self.work_dir, name, 'pretrain')
        ckpt = osp.join(out, f'epoch_{self.epochs}.pth')
        done_before = osp.exists(ckpt)
        start = time.time()
        self.step(
            f'{name}_pretrain', [
                'tools/train.py', pretrain_config(config), '--work-dir', out,
                *(['--amp'] if self.amp else []), '--cfg-options',
                *self.data_options(stream, config), *options,
                f'train_dataloader.batch_size={self.args.batch_size}',
                f'train_cfg.max_epochs={self.epochs}',
                f'train_cfg.val_interval={self.knn_every}',
                'default_hooks.logger.interval=5'
            ],
            epochs=self.epochs,
            done=ckpt)
        if not done_before:  # else keep the time measured then
            self.record_time(name, 'pretrain_min', start)
        return ckpt

    def random_init(self, stream):
        name = f'random_{stream}'
        ckpt = osp.join(self.work_dir, name, 'random_init.pth')
        if not osp.exists(ckpt):
            os.makedirs(osp.dirname(ckpt), exist_ok=True)
            demo.save_random_init(
                ckpt, self.queue, self.args.seed, self.ann_file,
                self.person_options(SINGLE_STREAM_CONFIG, stream)[0] +
                [f'model.data_preprocessor.stream={stream}'],
                config=pretrain_config(SINGLE_STREAM_CONFIG))
        return ckpt

    def record_time(self, name, key, start):
        path = osp.join(self.work_dir, name, 'times.json')
        times = json.load(open(path)) if osp.exists(path) else {}
        times[key] = (time.time() - start) / 60
        with open(path, 'w') as f:
            json.dump(times, f)

    def evaluate(self, name, config, stream, ckpt, options,
                 pretrain_dir=None, stats_prefix=''):
        """KNN, then one linear probe and one score dump per seed."""
        result_file = osp.join(self.work_dir, name, 'result.json')
        if osp.exists(result_file):
            return
        start = time.time()
        log = self.step(f'{name}_knn', [
            'tools/knn_eval.py', pretrain_config(config), ckpt, '--work-dir',
            osp.join(self.work_dir, name, 'knn'), '--cfg-options',
            *self.data_options(stream, config), *options
        ])
        knn = demo.knn_top1(log)
        linear, dumps = [], []
        linear_options = [
            f'model.data_preprocessor.stream={stream}',
            *demo.linear_options(self.ann_file, self.num_classes,
                                 self.linear_epochs,
                                 self.person_options(config, stream)[1])
        ]
        for seed in self.seeds:
            out = osp.join(self.work_dir, name, f'linear_seed{seed}')
            probe = osp.join(out, f'epoch_{self.linear_epochs}.pth')
            linear.append(demo.linear_probe(
                self.step, f'{name}_linear_seed{seed}', linear_config(stream),
                ckpt, out, linear_options, self.linear_epochs, seed))
            dump = osp.join(out, 'scores.pkl')
            self.step(
                f'{name}_dump_seed{seed}', [
                    'tools/test.py', linear_config(stream), probe,
                    '--work-dir', osp.join(out, 'test'), '--dump', dump,
                    '--cfg-options', *linear_options
                ],
                done=dump)
            dumps.append(dump)
        result = dict(
            name=name, config=config, stream=stream, options=options,
            knn_top1=knn, linear_top1_per_seed=linear,
            linear_top1=sum(linear) / len(linear) if linear else None,
            dumps=dumps)
        pretrain_dir = pretrain_dir or osp.join(self.work_dir, name,
                                                'pretrain')
        if osp.isdir(pretrain_dir):
            stats = demo.last_scalars(pretrain_dir, 'query_std')
            result['embedding'] = {
                k: stats[stats_prefix + k]
                for k in ('query_std', 'key_cos', 'logit_pos', 'logit_neg')
            }
        with open(result_file, 'w') as f:
            json.dump(result, f, indent=2)
        self.record_time(name, 'evaluate_min', start)

    def run(self, name):
        if name.startswith('random_'):
            stream = name[len('random_'):]
            ckpt = self.random_init(stream)
            self.evaluate(name, SINGLE_STREAM_CONFIG, stream, ckpt, [])
            return
        parts = STREAMS
        if split := three_stream_part(name):  # one stream of a 3s variant
            name, parts = split[0], split[1:]
        config, stream, options, _ = variant(name)
        ckpt = self.pretrain(name, config, stream, options)
        if stream != 'all':
            self.evaluate(name, config, stream, ckpt, options)
            return
        # 3s-AimCLR: each stream's model, evaluated as a single-stream one
        for part in parts:
            part_ckpt = osp.join(self.work_dir, name, f'{part}.pth')
            self.step(f'{name}_extract_{part}', [
                'tools/extract_stream.py', ckpt, part, part_ckpt
            ], done=part_ckpt)
            self.evaluate(f'{name}_{part}', SINGLE_STREAM_CONFIG, part,
                          part_ckpt, [],
                          pretrain_dir=osp.join(self.work_dir, name,
                                                'pretrain'),
                          stats_prefix=f'{part}_')


def expand(only):
    names = []
    for item in only:
        if item in GROUPS:
            names += GROUPS[item]
        elif item == 'random':
            names += [f'random_{s}' for s in STREAMS]
        elif (variant(item) or item.startswith('random_')
              or three_stream_part(item)):
            names.append(item)
        else:
            sys.exit(f'unknown variant or group {item!r}; variants: '
                     f"{', '.join(VARIANTS)}, paper+<switch>+... "
                     f"(switches: {', '.join(RECIPE_SWITCHES)}); groups: "
                     f"{', '.join(GROUPS)}, random")
    return list(dict.fromkeys(names))


def fuse(dumps):
    """Fused top-1 of one dump per stream (equal weights)."""
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import fuse_streams
    import numpy as np
    scores, labels = [], None
    for path in dumps:
        s, y, _ = fuse_streams.load_scores(path)
        scores.append(s)
        labels = y
    return float(np.mean(np.sum(scores, axis=0).argmax(1) == labels))


def _cell(value, spec):
    """A table cell; blank where there is no value (a random-init encoder
    has no pretraining to time or monitor)."""
    return ('' if value is None else format(value, spec)) + ' | '


def write_table(study):
    results = {}
    for name in os.listdir(study.work_dir):
        path = osp.join(study.work_dir, name, 'result.json')
        if osp.exists(path):
            results[name] = json.load(open(path))
            times = osp.join(study.work_dir, name, 'times.json')
            if osp.exists(times):
                results[name]['times'] = json.load(open(times))
    lines = [
        f'# Real-data study: {study.args.data}', '',
        f'{study.num_classes} classes, xsub; pretraining {study.epochs} '
        f'epochs, batch {study.args.batch_size}, {study.queue} keys, '
        f"{'bfloat16' if study.amp else 'float32'}; "
        + (f'linear probe {study.linear_epochs} epochs, seeds '
           f"{', '.join(map(str, study.seeds))}" if study.seeds else
           'no linear probe') + '; KNN k = 20.', '',
        '| variant | stream | linear top-1 (mean) | per seed | KNN top-1 | '
        'query_std | key_cos | logit_pos | logit_neg | pretrain min |',
        '| --- |' + ' --- |' * 9
    ]
    for name, r in sorted(results.items()):
        emb = r.get('embedding', {})
        lines.append(
            f"| {name} | {r['stream']} | "
            + (f"{100 * r['linear_top1']:.1f}" if r['linear_top1'] is not None
               else 'not probed') + ' | '
            + demo.per_seed(r['linear_top1_per_seed'])
            + f" | {100 * r['knn_top1'].get('20', 0):.1f} | "
            + ''.join(_cell(emb.get(k), '.3f') for k in (
                'query_std', 'key_cos', 'logit_pos', 'logit_neg'))
            + _cell(r.get('times', {}).get('pretrain_min'), '.1f'))
    curves = {}
    for name in sorted(results):
        pretrain_dir = osp.join(study.work_dir, name, 'pretrain')
        if osp.isdir(pretrain_dir):
            try:
                curves[name] = demo.knn_curve(pretrain_dir)
            except KeyError:  # a run without KNN validation
                pass
    epochs = sorted({e for curve in curves.values() for e in curve})
    if epochs:
        lines += [
            '', 'KNN top-1 (k = 20) during pretraining, by epoch:', '',
            '| variant | ' + ' | '.join(map(str, epochs)) + ' |',
            '| --- |' + ' --- |' * len(epochs)
        ]
        for name, curve in curves.items():
            lines.append(f'| {name} | ' + ' | '.join(
                f'{100 * curve[e]:.1f}' if e in curve else ''
                for e in epochs) + ' |')
    fused = {}
    for method, names in list(FUSION.items()) + [
            ('random-init', [f'random_{s}' for s in STREAMS])]:
        if all(n in results and results[n]['dumps'] for n in names):
            per_seed = [
                fuse([results[n]['dumps'][i] for n in names])
                for i in range(len(study.seeds))
            ]
            fused[method] = per_seed
    if fused:
        lines += ['', '| 3-stream fusion (equal weights) | linear top-1 '
                  '(mean) | per seed |', '| --- | --- | --- |']
        for method, per_seed in fused.items():
            lines.append(
                f'| {method} | {100 * sum(per_seed) / len(per_seed):.1f} | '
                + demo.per_seed(per_seed) + ' |')
    lines = [line.rstrip() for line in lines]
    with open(osp.join(study.work_dir, 'study.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(study.work_dir, 'study.json'), 'w') as f:
        json.dump(dict(results=results, fused=fused, knn_curves=curves), f,
                  indent=2)
    print('\n'.join(lines))


def main():
    args = parse_args()
    study = Study(args)
    if not args.table_only:
        for name in expand(args.only):
            study.run(name)
    write_table(study)


if __name__ == '__main__':
    main()
