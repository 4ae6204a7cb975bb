"""AimCLR end to end on the built-in synthetic data set or on real skeletons.

Generates the synthetic skeleton data set (or converts real Kinect data:
UTKinect-Action3D, MSRAction3D, with ``--data``), pretrains AimCLR with the
NTU-60 cross-subject joint config (shortened), then measures a randomly
initialised encoder and the pretrained one the same two ways: a linear
probe on the frozen encoder (the linear-evaluation config) and KNN
(``tools/knn_eval.py``).
Every step runs the project's own configs and tools with the configs'
recipe, shortened (data, epochs, batch, queue length, KNN interval; the lr
decay and the stage switch are fractions of the run); progress goes to
stdout, each tool's full log to the work dir.
Writes the table as ``results.md`` and ``results.json``, a t-SNE of the
validation features of both encoders (``tsne.png``, the paper's Fig. 2) and
the KNN accuracy during pretraining (``knn_curve.png``, Fig. 3) there.

Example::

    python tools/demo.py            # 40 pretraining epochs
    python tools/demo.py --quick    # 20 pretraining epochs, same table
    python tools/demo.py --tiny     # a smoke test of every step
    # real data, cross-subject (docs/collapse.md has the measured tables)
    python tools/demo.py --data msr_action3d --data-root PATH/msr_action3d
    python tools/demo.py --data utkinect --data-root PATH/utkinect
    # the same with other pretraining values (the rest as the config has it)
    python tools/demo.py --data utkinect --data-root PATH/utkinect \
        --epochs 100 --batch-size 16 --queue-size 32
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
LINEAR_CONFIG = osp.join(
    REPO, 'configs', 'linear',
    'aimclr_stgcn_linear_ntu60_xsub_joint.py')

# (repetitions of each action by each of the 10 performers, pretraining
#  epochs, KNN every N epochs, linear-probe epochs, queue size)
SETTINGS = dict(
    full=(3, 40, 5, 25, 128),
    quick=(2, 20, 5, 15, 64),
    tiny=(1, 2, 1, 2, 32))
# Real data: (converter, pretraining epochs, KNN every N epochs, linear-probe
# epochs, queue size). Only the data, the batch, the number of epochs and
# the queue length differ from the config; its lr decay (5/6 of the run)
# and stage switch (1/2) follow the number of epochs.
REAL_DATA = dict(
    msr_action3d=('tools/data/msr_action3d_to_pkl.py', 100, 10, 25, 128),
    utkinect=('tools/data/kinect_v1_to_pkl.py', 200, 20, 25, 64))


def full_demo(column: int) -> str:
    """'20 synthetic, 100 msr_action3d, ...': one column of SETTINGS['full']
    and REAL_DATA (1: epochs, 4: queue size), for the help text."""
    return ', '.join(
        f'{value[column]} {name}' for name, value in
        [('synthetic', SETTINGS['full'])] + list(REAL_DATA.items()))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        '--quick', action='store_true', help='smaller data, fewer epochs')
    size.add_argument(
        '--tiny',
        action='store_true',
        help='every step on a few sequences, in about a minute (a smoke '
        'test: the numbers mean nothing)')
    parser.add_argument(
        '--work-dir',
        default=osp.join('work_dirs', 'demo'),
        help='where data, checkpoints and logs go (default: %(default)s)')
    parser.add_argument(
        '--no-amp',
        action='store_true',
        help='pretrain in float32 (default: float16 mixed precision on GPU, '
        'bfloat16 on a CPU with native bfloat16, float32 elsewhere)')
    parser.add_argument(
        '--data',
        choices=['synthetic', *REAL_DATA],
        default='synthetic',
        help='the built-in synthetic set (default) or a real Kinect data set '
        'converted from --data-root, cross-subject')
    parser.add_argument(
        '--data-root',
        help='folder of the raw real data set (e.g. ../shared/data/utkinect)')
    parser.add_argument('--seed', type=int, default=0)
    recipe = parser.add_argument_group(
        'pretraining run', 'the values the demo gives the pretraining '
        'config; the rest of its recipe stays as it ships')
    recipe.add_argument(
        '--epochs', type=int, help=f'pretraining epochs (default: '
        f'{full_demo(1)}; fewer with --quick or --tiny)')
    recipe.add_argument(
        '--batch-size', type=int, default=32,
        help='pretraining batch; the lr scales with it (default: '
        '%(default)s)')
    recipe.add_argument(
        '--queue-size', type=int,
        help=f'memory bank length (default: {full_demo(4)}; shorter with '
        '--quick or --tiny on synthetic data)')
    parser.add_argument(
        '--probe-seeds',
        type=int,
        help='linear probes per encoder, seeds --seed, --seed + 1, ...; the '
        'table gives their mean (default: 1 with --tiny, 3 otherwise: on '
        'a few hundred sequences one probe varies by several points)')
    args = parser.parse_args(argv)
    if args.probe_seeds is None:
        args.probe_seeds = 1 if args.tiny else 3
    for name in ('epochs', 'batch_size', 'queue_size', 'probe_seeds'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, "
                         f'got {value}')
    if args.data != 'synthetic' and not args.data_root:
        parser.error(f'--data {args.data} needs --data-root')
    return args


def use_amp(no_amp: bool) -> bool:
    """bfloat16 autocast only where it is fast: on a GPU, or on a CPU with
    native bfloat16 (AVX-512 BF16 / AMX); emulated, it is many times slower
    than float32."""
    import torch
    if no_amp:
        return False
    if torch.cuda.is_available():
        return True
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class Step:
    """Runs one tool as a subprocess: its whole output goes to a log file,
    a line of progress per epoch (and every metric) to stdout."""

    LOG_LINE = re.compile(r'Epoch\((train|val|test)\)\s*\[(\d+)\]')
    METRIC = re.compile(r'((?:knn|acc)/\S+|loss|eta):\s+(\S+)')

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.skipped = []  # steps whose output was there already
        self.env = dict(os.environ, PYTHONUNBUFFERED='1')
        self.env.setdefault('OMP_NUM_THREADS', str(os.cpu_count() or 1))

    def progress(self, name: str, line: str, epochs: int, last: list):
        """Print the first log line of every epoch and every metric."""
        match = self.LOG_LINE.search(line)
        if match is None:
            if line.startswith(('knn/', 'acc/')):  # tools' own summaries
                print(f'[demo] {name}: {line.strip()}', flush=True)
            return
        mode, epoch = match.group(1), int(match.group(2))
        values = dict(self.METRIC.findall(line))
        if mode == 'train':
            if last[0] == epoch:
                return
            last[0] = epoch
            total = f'/{epochs}' if epochs else ''
            print(f'[demo] {name}: epoch {epoch}{total}, eta '
                  f"{values.get('eta', '?')}, loss {values.get('loss', '?')}",
                  flush=True)
        elif any('/' in key for key in values):
            metrics = ', '.join(f'{k} {v}' for k, v in values.items()
                                if '/' in k)
            print(f'[demo] {name}: epoch {epoch} {metrics}', flush=True)

    def __call__(self, name: str, args, epochs: int = 0,
                 done: str = None) -> str:
        log_file = osp.join(self.work_dir, f'{name}.log')
        if done is not None and osp.exists(done):
            print(f'[demo] {name}: {done} exists, step skipped (delete it '
                  'to run the step again)', flush=True)
            self.skipped.append(name)
            return ''
        print(f'[demo] {name}: log {log_file}', flush=True)
        start, last, lines = time.time(), [None], []
        with open(log_file, 'w') as log:
            proc = subprocess.Popen([sys.executable, *args],
                                    cwd=REPO,
                                    env=self.env,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    text=True)
            for line in proc.stdout:
                log.write(line)
                lines.append(line)
                self.progress(name, line, epochs, last)
            proc.wait()
        print(f'[demo] {name}: done in {time.time() - start:.0f} s',
              flush=True)
        if proc.returncode != 0:
            tail = ''.join(lines)[-4000:]
            sys.exit(f'[demo] {name} failed (exit {proc.returncode}); '
                     f'end of {log_file}:\n{tail}')
        return ''.join(lines)


def scalar_records(work_dir: str, key: str) -> list:
    """The records holding ``key`` in the newest run's scalars.json."""
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
    return records


def last_scalars(work_dir: str, key: str) -> dict:
    """The last record holding ``key`` in the newest run's scalars.json."""
    return scalar_records(work_dir, key)[-1]


def knn_curve(work_dir: str, k: int = 20) -> dict:
    """{epoch: KNN top-1 at ``k``} of the validations during pretraining."""
    key = f'knn/top1_k{k}'
    return {r['step']: r[key] for r in scalar_records(work_dir, key)}


def knn_top1(log: str) -> dict:
    """KNN top-1 per k from the lines ``knn/top1_k20: 0.4321``."""
    found = re.findall(r'^knn/top1[^:\s]*?(\d+):\s*([0-9.]+)\s*$', log,
                       re.MULTILINE)
    if not found:
        raise ValueError('no KNN top-1 in the output of tools/knn_eval.py')
    return {int(k): float(v) for k, v in found}


def person_options(num_person: int, config: str = None,
                   linear_config: str = None) -> tuple:
    """``--cfg-options`` that set the person slots of the pretraining
    (and KNN) config and of the linear-evaluation config (by default the
    demo's). A single-person data set would otherwise run every sequence
    through the encoder twice, once as an all-zero second person, and
    average the two."""
    from mmengine.config import Config

    def slots(loader, pipeline):
        return [
            f'{loader}.dataset.pipeline.{i}.num_person={num_person}'
            for i, t in enumerate(pipeline)
            if t['type'] in ('PreNormalizeFrame50', 'FormatGCNInput')
        ]

    pretrain_cfg = Config.fromfile(config or PRETRAIN_CONFIG)
    linear_cfg = Config.fromfile(linear_config or LINEAR_CONFIG)
    pretrain = [f'train_dataloader.dataset.frame50.num_person={num_person}'
                ] + slots('val_dataloader',
                          pretrain_cfg.val_dataloader.dataset.pipeline)
    linear = [
        option for loader in ('train_dataloader', 'val_dataloader',
                              'test_dataloader')
        for option in slots(loader, linear_cfg[loader].dataset.pipeline)
    ]
    return pretrain, linear


def linear_options(ann_file: str, num_classes: int, epochs: int,
                   person_linear: list) -> list:
    """``--cfg-options`` of a linear probe on ``ann_file``: its classes,
    the demo's batches and one worker per loader, ``epochs`` epochs with
    one validation at the end."""
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    return [
        f'model.cls_head.num_classes={num_classes}',
        *[f'{loader}.dataset.{key}' for loader in loaders
          for key in (f'ann_file={ann_file}', f'num_classes={num_classes}')],
        'train_dataloader.batch_size=32',
        *[f'{loader}.batch_size=64' for loader in loaders[1:]],
        *[f'{loader}.num_workers=1' for loader in loaders],
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        *person_linear
    ]


def linear_probe(step: 'Step', name: str, config: str, ckpt: str,
                 work_dir: str, options: list, epochs: int,
                 seed: int) -> float:
    """Train the linear classifier of ``config`` on the frozen encoder of
    ``ckpt`` (skipped once its last checkpoint exists); its top-1."""
    step(name, [
        'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
        f'load_from={ckpt}', f'randomness.seed={seed}', *options
    ], epochs=epochs, done=osp.join(work_dir, f'epoch_{epochs}.pth'))
    return last_scalars(work_dir, 'acc/top1')['acc/top1']


def schedule_summary(epochs: int) -> str:
    """The pretraining config's lr decay and stage switch for a run of
    ``epochs`` epochs, 1-based as the log counts them."""
    from mmengine.config import Config

    from aimclr_mm.engine.optim import fraction_to_step
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    [decay] = cfg.param_scheduler[0].milestones
    [hook] = [h for h in cfg.custom_hooks if h.type == 'TwoStageLossHook']
    decay = fraction_to_step(decay, 0, epochs)
    mining = fraction_to_step(hook.start_fraction, 0, epochs)
    return ', '.join([
        f'lr x0.1 from epoch {decay + 1}' if decay < epochs else
        'no lr decay', f'NNM from epoch {mining + 1}'
        if mining < epochs else 'no NNM'
    ])


def merge_cfg_options(cfg, options: list) -> None:
    """Merge ``--cfg-options`` strings (``key=value``) into ``cfg``,
    values parsed as the command line parses them."""
    from mmengine.config import DictAction
    cfg.merge_from_dict(
        {
            key: DictAction._parse_iterable(value)
            for key, value in (opt.split('=', 1) for opt in options)
        },
        allow_list_keys=True)


def save_random_init(path: str, queue_size: int, seed: int, ann_file: str,
                     cfg_options: list, config: str = None) -> None:
    """A checkpoint of the pretraining model as the config (with
    ``cfg_options``, as ``--cfg-options`` strings) initialises it,
    untrained, with the encoder's BatchNorm statistics measured on the
    unaugmented training split (the KNN pipeline): one pass, no gradient.
    Without them an untrained encoder's eval-mode features are dominated by
    what all sequences share and a linear probe reads nothing from them
    (10 % on UTKinect-Action3D, chance), which would flatter any trained
    encoder."""
    import torch
    from mmaction.registry import DATASETS, MODELS
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import aimclr_mm  # noqa: F401
    MMLogger.get_instance('demo', log_level='WARNING')
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    cfg = Config.fromfile(config or PRETRAIN_CONFIG)
    merge_cfg_options(cfg, cfg_options)
    model = MODELS.build(dict(cfg.model, queue_size=queue_size))
    model.init_weights()
    val = cfg.val_dataloader.dataset
    dataset = DATASETS.build(
        dict(type='SkeletonPoseDataset', ann_file=ann_file,
             split=cfg.train_dataloader.dataset.split,
             pipeline=val.pipeline, test_mode=True,
             **{k: val[k] for k in ('num_joints', 'num_coords') if k in val}))
    norms = [
        m for m in model.backbone.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    momenta = [m.momentum for m in norms]
    for module in norms:
        module.reset_running_stats()
        module.momentum = None  # a plain average over the pass
    model.backbone.train()
    with torch.no_grad():
        for start in range(0, len(dataset), 32):
            batch = pseudo_collate([
                dataset[i]
                for i in range(start, min(start + 32, len(dataset)))
            ])
            inputs = model.data_preprocessor(batch, False)['inputs']
            model.backbone(inputs.flatten(0, 1))
    for module, momentum in zip(norms, momenta):
        module.momentum = momentum
    torch.save(dict(state_dict=model.state_dict(), meta=dict(seed=seed)),
               path)


def skipped_note(skipped: list) -> str:
    """' (skipped, already done: a, b)' for the wall time, or ''."""
    return f" (skipped, already done: {', '.join(skipped)})" if skipped \
        else ''


def per_seed(top1: list) -> str:
    """Linear top-1 of each probe seed, in %: '90.0 / 80.0 / 85.0'."""
    return ' / '.join(f'{100 * v:.1f}' for v in top1)


def write_results(work_dir: str, results: dict) -> None:
    """The table as results.json and results.md in the work dir."""
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    lines = [
        '# AimCLR demo', '',
        results['description'], '',
        '| encoder | linear top-1 (mean) | per probe seed | KNN top-1 '
        '(k = {}) |'.format(results['knn_k']), '| --- | --- | --- | --- |'
    ]
    for row in results['rows']:
        lines.append(f"| {row['encoder']} | {100 * row['linear_top1']:.1f} %"
                     f" | {per_seed(row['linear_top1_per_seed'])}"
                     f" | {100 * row['knn_top1']:.1f} % |")
    stats = results['embedding']
    skipped = skipped_note(results.get('skipped_steps'))
    lines += [
        '', 'Embedding statistics at the last pretraining iteration: '
        f"query_std {stats['query_std']:.4f} (unit vectors spread at random: "
        f"0.088; collapsed: 0), key_cos {stats['key_cos']:.4f} (collapsed: "
        f"1), logit_pos {stats['logit_pos']:.2f}, logit_neg "
        f"{stats['logit_neg']:.2f}.",
        '', f"Wall time {results['wall_min']:.1f} min{skipped}. Command: "
        f"`{results['command']}`.", '',
        '![t-SNE of the validation features](tsne.png)',
        '![KNN top-1 during pretraining](knn_curve.png)', ''
    ]
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write('\n'.join(lines))


def run_settings(args: argparse.Namespace) -> tuple:
    """(synthetic repetitions per performer and action, converter,
    pretraining epochs, KNN every N epochs, linear-probe epochs, queue size,
    pretraining batch): the data set's defaults, shortened by --tiny/--quick,
    then the values given on the command line."""
    samples, epochs, knn_every, linear_epochs, queue = SETTINGS[
        'tiny' if args.tiny else 'quick' if args.quick else 'full']
    converter = None
    if args.data != 'synthetic':
        converter, epochs, knn_every, linear_epochs, queue = REAL_DATA[
            args.data]
        if args.tiny or args.quick:
            epochs, knn_every, linear_epochs = 2, 1, 2
    if args.epochs is not None:
        epochs, knn_every = args.epochs, min(knn_every, args.epochs)
    if args.queue_size is not None:
        queue = args.queue_size
    return (samples, converter, epochs, knn_every, linear_epochs, queue,
            args.batch_size)


def main():
    args = parse_args()
    samples, converter, epochs, knn_every, linear_epochs, queue, batch = \
        run_settings(args)
    real = args.data != 'synthetic'
    amp = use_amp(args.no_amp)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    print(f'[demo] data, logs, checkpoints, results and figures go to '
          f'{work_dir}', flush=True)
    step = Step(work_dir)
    start = time.time()

    if real:
        ann_file = osp.join(work_dir, f'{args.data}_3d.pkl')
        step('data', [converter, osp.abspath(args.data_root), ann_file])
    else:
        ann_file = osp.join(work_dir, 'synthetic_3d.pkl')
        step('data', [
            'tools/data/make_synthetic_skeletons.py', ann_file,
            '--repetitions',
            str(samples), '--seed',
            str(args.seed)
        ])
    from aimclr_mm.datasets.pose_validation import load_pose_file
    data = load_pose_file(ann_file)
    num_classes = len({a['label'] for a in data['annotations']})
    # As many person slots as the data has (the configs have 2, for NTU).
    num_person = min(2, max(a['keypoint'].shape[0]
                            for a in data['annotations']))
    person_pretrain, person_linear = person_options(num_person)
    split_sizes = {k: len(v) for k, v in data['split'].items()}
    data_options = [
        f'train_dataloader.dataset.ann_file={ann_file}',
        f'train_dataloader.dataset.num_classes={num_classes}',
        'train_dataloader.num_workers=1', 'val_dataloader.num_workers=1',
        f'randomness.seed={args.seed}', *person_pretrain
    ]

    # The config's recipe; only the data, the length of the run, the batch,
    # the queue and the KNN interval are set (the lr decay and the stage
    # switch follow the length).
    pretrain_dir = osp.join(work_dir, 'pretrain')
    step(
        'pretrain', [
            'tools/train.py', PRETRAIN_CONFIG, '--work-dir', pretrain_dir,
            *(['--amp'] if amp else []), '--cfg-options', *data_options,
            f'model.queue_size={queue}',
            f'train_dataloader.batch_size={batch}',
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={knn_every}',
            'default_hooks.logger.interval=5'
        ],
        epochs=epochs,
        done=osp.join(pretrain_dir, f'epoch_{epochs}.pth'))
    checkpoints = dict(
        aimclr=osp.join(pretrain_dir, f'epoch_{epochs}.pth'),
        random=osp.join(work_dir, 'random_init.pth'))
    save_random_init(checkpoints['random'], queue, args.seed, ann_file,
                     person_pretrain)

    scores = {}
    probe_seeds = list(range(args.seed, args.seed + args.probe_seeds))
    probe_options = linear_options(ann_file, num_classes, linear_epochs,
                                   person_linear)
    for name, ckpt in checkpoints.items():
        linear = []
        for seed in probe_seeds:
            linear.append(linear_probe(
                step, f'linear_{name}_seed{seed}', LINEAR_CONFIG, ckpt,
                osp.join(work_dir, f'linear_{name}_seed{seed}'),
                probe_options, linear_epochs, seed))
        log = step(f'knn_{name}', [
            'tools/knn_eval.py', PRETRAIN_CONFIG, ckpt, '--work-dir',
            osp.join(work_dir, f'knn_{name}'), '--cfg-options', *data_options
        ])
        scores[name] = (linear, knn_top1(log))

    figures = dict(
        tsne=osp.join(work_dir, 'tsne.png'),
        knn_curve=osp.join(work_dir, 'knn_curve.png'))
    step('tsne', [
        'tools/visualize_tsne.py', PRETRAIN_CONFIG, checkpoints['random'],
        checkpoints['aimclr'], '--titles', 'random-init encoder',
        f'AimCLR encoder ({epochs} epochs)', '--out', figures['tsne'],
        '--seed', str(args.seed), '--cfg-options',
        f'train_dataloader.dataset.ann_file={ann_file}',
        f'model.queue_size={queue}', *person_pretrain
    ])
    ks = sorted(scores['aimclr'][1])
    k = 20 if 20 in ks else ks[0]
    step('knn_curve', [
        'tools/plot_knn_curve.py', pretrain_dir, '--labels', 'AimCLR',
        '--k', str(k), '--out', figures['knn_curve']
    ])

    wall = time.time() - start
    # the collapse monitor's statistics at the end of pretraining
    stats = last_scalars(pretrain_dir, 'query_std')
    embedding = {key: stats[key] for key in
                 ('query_std', 'key_cos', 'logit_pos', 'logit_neg')}
    stages = schedule_summary(epochs)
    probes = f'seed {args.seed}' if len(probe_seeds) == 1 else \
        f"mean of seeds {', '.join(map(str, probe_seeds))}"
    description = (
        f"{'Synthetic skeletons' if not real else args.data}: {num_classes} "
        f"classes, xsub_train {split_sizes['xsub_train']} / xsub_val "
        f"{split_sizes['xsub_val']} sequences; AimCLR pretrained {epochs} "
        f'epochs ({stages}, batch {batch}, {queue} keys, '
        f"{'bfloat16' if amp else 'float32'}, KNN every {knn_every}), "
        f'linear probe {linear_epochs} epochs ({probes}), KNN k={k} '
        '(cosine, exp-weighted).')
    chance = 1 / num_classes
    rows = [
        dict(encoder='chance (1 / classes)', linear_top1=chance,
             linear_top1_per_seed=[],
             knn_top1=chance)
    ]
    for name, encoder in (('random', 'random-init encoder'),
                          ('aimclr', 'AimCLR encoder')):
        linear, knn = scores[name]
        rows.append(
            dict(encoder=encoder, linear_top1=sum(linear) / len(linear),
                 linear_top1_per_seed=linear, knn_top1=knn[k]))
    command = ' '.join(['python tools/demo.py', *sys.argv[1:]])
    write_results(
        work_dir,
        dict(description=description, knn_k=k, rows=rows,
             wall_min=wall / 60, skipped_steps=step.skipped,
             command=command, seed=args.seed, probe_seeds=probe_seeds,
             embedding=embedding,
             figures=figures, checkpoints=checkpoints))
    print()
    print(description)
    print(f"| {'encoder':<22} | linear top-1 | per probe seed "
          '| KNN top-1 |')
    print(f"|{'-' * 24}|{'-' * 14}|{'-' * 16}|{'-' * 11}|")
    for row in rows:
        print(f"| {row['encoder']:<22} | {100 * row['linear_top1']:>10.1f} "
              f"% | {per_seed(row['linear_top1_per_seed']):<14} | "
              f"{100 * row['knn_top1']:>7.1f} % |")
    print(f'Wall time: {wall / 60:.1f} min{skipped_note(step.skipped)}. '
          f"Table: {osp.join(work_dir, 'results.md')} and results.json; "
          f"figures: {figures['tsne']}, {figures['knn_curve']}; logs and "
          f'checkpoints: {work_dir}')


if __name__ == '__main__':
    main()
