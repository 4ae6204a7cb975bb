import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from aimclr_mm.engine.runner import cpu_dist_cfg, load_from_local
from pose_data import write_pose_dataset
from tool_module import load_tool, person_slots

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'
NUM_TRAIN, NUM_VAL, NUM_CLASSES = 6, 2, 2

TINY_CONFIG = """\
_base_ = '{base}'
model = dict(
    type='RecognizerGCN',
    backbone=dict(
        type='STGCN',
        graph_cfg=dict(layout='nturgb+d', mode='stgcn_spatial'),
        base_channels=8,
        num_stages=2,
        inflate_stages=[],
        down_stages=[]),
    cls_head=dict(type='GCNHead', num_classes={num_classes}, in_channels=8))
ann_file = '{ann_file}'
pipeline = [
    dict(type='UniformSampleFrames', clip_len=8, num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SkeletonPoseDataset', ann_file=ann_file, pipeline=pipeline,
        split='train'))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SkeletonPoseDataset', ann_file=ann_file, pipeline=pipeline,
        split='val', test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
param_scheduler = [dict(type='MultiStepLR', milestones=[1], by_epoch=True)]
auto_scale_lr = dict(enable=False, base_batch_size=4)
default_hooks = dict(logger=dict(interval=1))
"""



def _run(cmd, cwd):
    # dist_train.sh finds a free port itself when PORT is not set.
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PORT', None)
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env["PATH"]}'
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    return output


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny PoseDataset pickle with random keypoints and its config."""
    root = tmp_path_factory.mktemp('tiny')
    annotations, split = write_pose_dataset(
        root / 'tiny.pkl', [NUM_TRAIN // NUM_CLASSES] * NUM_CLASSES,
        [NUM_VAL // NUM_CLASSES] * NUM_CLASSES,
        splits=('train', 'val'),
        frames=12)
    config = root / 'tiny_stgcn.py'
    config.write_text(
        TINY_CONFIG.format(
            base=REPO / 'configs' / '_base_' / 'default_runtime.py',
            ann_file=root / 'tiny.pkl',
            num_classes=NUM_CLASSES))
    val_annotations = [
        a for a in annotations if a['frame_dir'] in split['val']
    ]
    return root, config, val_annotations


@pytest.fixture(scope='module')
def dist_run(tiny):
    """Train, then resume, with 2 CPU processes through dist_train.sh."""
    root, config, _ = tiny
    work_dir = root / 'dist'
    first = _run([
        'bash',
        str(TOOLS / 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(work_dir), '--seed', '0'
    ], root)
    resumed = _run([
        'bash',
        str(TOOLS / 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(work_dir), '--resume', '--cfg-options', 'train_cfg.max_epochs=2'
    ], root)
    return work_dir, first, resumed


@pytest.mark.slow
def test_dist_train_on_cpu_processes(dist_run):
    work_dir, output, _ = dist_run
    ckpt = load_from_local(str(work_dir / 'epoch_1.pth'))
    # 6 samples, batch 2: 3 iterations on one process, 2 on each of two.
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 2
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])
    dumped = (work_dir / 'tiny_stgcn.py').read_text()
    assert "launcher = 'pytorch'" in dumped
    assert "backend='gloo'" in dumped
    assert 'Epoch(train) [1][2/2]' in output


@pytest.mark.slow
def test_dist_resume_continues_from_the_latest_checkpoint(dist_run):
    work_dir, _, output = dist_run
    assert 'resumed epoch: 1, iter: 2' in output
    assert 'Epoch(train) [1]' not in output
    assert 'Epoch(train) [2][2/2]' in output
    first = load_from_local(str(work_dir / 'epoch_1.pth'))
    second = load_from_local(str(work_dir / 'epoch_2.pth'))
    assert second['meta']['epoch'] == 2 and second['meta']['iter'] == 4
    assert first['state_dict'].keys() == second['state_dict'].keys()
    assert any(not torch.equal(first['state_dict'][k], v)
               for k, v in second['state_dict'].items())


@pytest.mark.slow
def test_single_process_amp_train_and_test_of_dist_checkpoint(tiny, dist_run):
    root, config, val_annotations = tiny
    work_dir = root / 'single'
    output = _run([
        sys.executable,
        str(TOOLS / 'train.py'),
        str(config), '--work-dir',
        str(work_dir), '--amp', '--amp-dtype', 'float16', '--seed', '0'
    ], root)
    assert 'Epoch(train) [1][3/3]' in output
    assert "type='CPUAmpOptimWrapper'" in (work_dir /
                                           'tiny_stgcn.py').read_text()
    single = load_from_local(str(work_dir / 'epoch_1.pth'))
    assert single['meta']['iter'] == 3
    assert single['optimizer']['loss_scaler']['scale'] > 0

    # A checkpoint from 2 processes is the same kind as one from 1.
    dist_ckpt = dist_run[0] / 'epoch_2.pth'
    dist = load_from_local(str(dist_ckpt))
    assert {k: v.shape for k, v in single['state_dict'].items()} == \
        {k: v.shape for k, v in dist['state_dict'].items()}

    dump = root / 'preds.pkl'
    output = _run([
        sys.executable,
        str(TOOLS / 'test.py'),
        str(config),
        str(dist_ckpt), '--work-dir',
        str(root / 'test'), '--dump',
        str(dump)
    ], root)
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == NUM_VAL
    scores = torch.stack([p['pred_scores']['item'] for p in preds])
    labels = torch.tensor([p['gt_labels']['item'].item() for p in preds])
    assert scores.shape == (NUM_VAL, NUM_CLASSES)
    expected = [ann['label'] for ann in val_annotations]
    assert labels.tolist() == expected
    top1 = (scores.argmax(1) == labels).float().mean().item()
    printed = [
        line for line in output.splitlines() if line.startswith('acc/top1: ')
    ]
    assert printed and float(printed[-1].split()[-1]) == pytest.approx(top1)


def test_train_args_merge_into_config(tiny, monkeypatch):
    _, config, _ = tiny
    train = load_tool('train')

    def merged(*argv):
        monkeypatch.setattr(sys, 'argv', ['train.py', str(config), *argv])
        args = train.parse_args()
        return train.merge_args(Config.fromfile(str(config)), args)

    cfg = merged()
    assert cfg.work_dir == os.path.join('./work_dirs', 'tiny_stgcn')
    assert cfg.resume is False and cfg.randomness == dict(seed=None)
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'

    cfg = merged('--resume', '--seed', '3', '--auto-scale-lr', '--amp',
                 '--amp-dtype', 'float16')
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.randomness.seed == 3 and cfg.auto_scale_lr.enable is True
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'float16'

    cfg = merged('--resume', 'a/epoch_3.pth', '--work-dir', 'w',
                 '--cfg-options', 'train_cfg.max_epochs=5')
    assert cfg.resume is True and cfg.load_from == 'a/epoch_3.pth'
    assert cfg.work_dir == 'w' and cfg.train_cfg.max_epochs == 5

    with pytest.raises(SystemExit):
        merged('--amp-dtype', 'bfloat16')


def test_test_args_merge_into_config(tiny, monkeypatch):
    _, config, _ = tiny
    test = load_tool('test')
    monkeypatch.setattr(
        sys, 'argv',
        ['test.py', str(config), 'ck.pth', '--dump', 'out.pkl'])
    cfg = test.merge_args(Config.fromfile(str(config)), test.parse_args())
    assert cfg.load_from == 'ck.pth'
    assert cfg.work_dir == os.path.join('./work_dirs', 'tiny_stgcn')
    assert [m['type']
            for m in cfg.test_evaluator] == ['AccMetric', 'DumpResults']
    assert cfg.test_evaluator[1]['out_file_path'] == 'out.pkl'


def test_cpu_dist_cfg_drops_device_ids_and_nccl():
    cfg = cpu_dist_cfg(
        Config(
            dict(
                env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60)),
                find_unused_parameters=True)))
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo', timeout=60)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=True,
        device_ids=None)

    custom = dict(
        type='MMDistributedDataParallel', detect_anomalous_params=True)
    cfg = cpu_dist_cfg(Config(dict(model_wrapper_cfg=custom)))
    assert cfg.model_wrapper_cfg == dict(custom, device_ids=None)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'

    cfg = cpu_dist_cfg(
        Config(
            dict(
                model_wrapper_cfg=dict(
                    type='MMSeparateDistributedDataParallel'))))
    assert cfg.model_wrapper_cfg.device_ids is None

    # Wrappers that are not DistributedDataParallel keep their arguments.
    cfg = cpu_dist_cfg(
        Config(
            dict(
                model_wrapper_cfg=dict(type='MMFullyShardedDataParallel'),
                env_cfg=dict(dist_cfg=dict(backend='mpi')))))
    assert 'device_ids' not in cfg.model_wrapper_cfg
    assert cfg.env_cfg.dist_cfg.backend == 'mpi'


def test_num_workers_0_and_resume_with_nothing_to_resume(tiny, monkeypatch):
    """``num_workers=0`` turns persistent workers off in every dataloader;
    ``--resume`` in an empty work dir says so and starts from scratch."""
    root, config, _ = tiny
    work_dir = root / 'fresh_resume'
    options = [
        f'{loader}.{key}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key in ('num_workers=0', 'persistent_workers=True')
    ]
    monkeypatch.setattr(sys, 'argv', [
        'train.py', str(config), '--work-dir', str(work_dir), '--resume',
        '--cfg-options', *options
    ])
    load_tool('train').main()
    assert (work_dir / 'epoch_1.pth').is_file()
    logs = list(work_dir.glob('*/*.log'))
    assert len(logs) == 1
    log = logs[0].read_text()
    assert f'--resume: no checkpoint to resume from in {work_dir}' in log
    assert 'training starts from scratch' in log


@pytest.mark.slow
def test_launch_scripts_find_the_clone_venv(tmp_path):
    """dist_train.sh runs the clone's .venv/bin/python unless $PYTHON says
    otherwise, so it works without an activated environment."""
    clone = tmp_path / 'clone'
    (clone / 'tools').mkdir(parents=True)
    for name in ('dist_train.sh', 'find_python.sh', 'rendezvous.sh'):
        (clone / 'tools' / name).write_text((TOOLS / name).read_text())
    fake = clone / '.venv' / 'bin' / 'python'
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\necho "venv python $*"\n')
    fake.chmod(0o755)
    other = tmp_path / 'other_python'
    other.write_text('#!/bin/sh\necho "other python $*"\n')
    other.chmod(0o755)
    env = dict(os.environ, PATH='/usr/bin:/bin')
    env.pop('PYTHON', None)
    script = str(clone / 'tools' / 'dist_train.sh')
    out = subprocess.run(['bash', script, 'cfg.py', '2'],
                         env=env, capture_output=True, text=True).stdout
    assert out.startswith('venv python -m torch.distributed.run'), out
    assert 'train.py cfg.py --launcher pytorch' in out
    out = subprocess.run(['bash', script, 'cfg.py', '2'],
                         env=dict(env, PYTHON=str(other)),
                         capture_output=True, text=True).stdout
    assert out.startswith('other python -m torch.distributed.run'), out


def test_demo_reports_one_progress_line_per_epoch_and_every_metric(
        tmp_path, capsys):
    step = load_tool('demo').Step(str(tmp_path))
    last = [None]
    lines = [
        '12/01 03:30:11 - mmengine - INFO - Epoch(train) [1][1/3]  lr: 0.1'
        '  eta: 0:08:42  time: 1.2  data_time: 0.2  loss: 7.1880',
        '12/01 03:30:12 - mmengine - INFO - Epoch(train) [1][2/3]  lr: 0.1'
        '  eta: 0:08:40  time: 1.2  data_time: 0.2  loss: 7.0',
        '12/01 03:30:26 - mmengine - INFO - Epoch(val) [1][3/3]    '
        'knn/top1_k1: 0.0294  knn/top1_k20: 0.1000  data_time: 0.18',
        '12/01 03:31:11 - mmengine - INFO - Epoch(train) [2][1/3]  lr: 0.1'
        '  eta: 0:04:00  time: 1.2  data_time: 0.2  loss: 6.5',
        'knn/top1_k20: 0.1000',
        'unrelated line',
    ]
    for line in lines:
        step.progress('pretrain', line, 20, last)
    assert capsys.readouterr().out.splitlines() == [
        '[demo] pretrain: epoch 1/20, eta 0:08:42, loss 7.1880',
        '[demo] pretrain: epoch 1 knn/top1_k1 0.0294, knn/top1_k20 0.1000',
        '[demo] pretrain: epoch 2/20, eta 0:04:00, loss 6.5',
        '[demo] pretrain: knn/top1_k20: 0.1000',
    ]


@pytest.mark.slow
def test_readme_custom_imports_config_builds_the_encoder(tmp_path):
    """The smallest custom_imports config of docs/installation.md, in a
    fresh interpreter, built as mmengine's Runner builds it: the config's
    own ``default_scope`` (without it, ``ActionDataPreprocessor`` is not
    found in mmengine's registry)."""
    readme = (REPO / 'docs' / 'installation.md').read_text()
    start = readme.index('```python\ncustom_imports')
    snippet = readme[start + len('```python\n'):readme.index('```', start + 3)]
    config = tmp_path / 'user_config.py'
    config.write_text(snippet)
    code = (
        'from mmengine.config import Config\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmengine.utils import import_modules_from_strings\n'
        'from mmaction.registry import MODELS\n'
        f'cfg = Config.fromfile({str(config)!r})\n'
        'import_modules_from_strings(**cfg.custom_imports)\n'
        'init_default_scope(cfg.default_scope)\n'
        'model = MODELS.build(cfg.model)\n'
        'print(type(model.backbone).__name__, '
        'sum(p.numel() for p in model.backbone.parameters()))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[0] == 'AimCLRSTGCN'


@pytest.mark.parametrize('study', ['demo', 'study_2d'])
def test_demo_person_options_reach_every_pipeline_of_both_configs(study):
    """Also for the 2D study, whose pipelines start with PreNormalize2D, so
    the person slots sit at other positions."""
    demo = load_tool('demo')
    tool = load_tool(study)
    pretrain, linear = (demo.PRETRAIN_CONFIG, demo.LINEAR_CONFIG) \
        if study == 'demo' else (tool.CONFIG, tool.LINEAR_CONFIG)
    pretrain_opts, linear_opts = demo.person_options(1, pretrain, linear)
    for path, opts in ((pretrain, pretrain_opts), (linear, linear_opts)):
        assert 2 in person_slots(path)
        slots = person_slots(path, opts)
        assert slots and all(v == 1 for v in slots), (path, slots)


def test_demo_describes_the_schedule_the_config_gives_its_run():
    """The demo passes no milestone or stage switch: the config's fractions
    place them, and the results say where (1-based epochs, as logged)."""
    demo = load_tool('demo')
    assert demo.schedule_summary(300) == ('lr x0.1 from epoch 251, '
                                          'NNM from epoch 151')
    assert demo.schedule_summary(100) == ('lr x0.1 from epoch 84, '
                                          'NNM from epoch 51')
    # too short for the decay (epoch index 2 of a 2-epoch run)
    assert demo.schedule_summary(2) == 'no lr decay, NNM from epoch 2'


def test_demo_takes_epochs_batch_and_queue_from_the_command_line():
    demo = load_tool('demo')
    real = ['--data', 'msr_action3d', '--data-root', 'x']
    converter, epochs, knn_every, linear_epochs, queue = demo.REAL_DATA[
        'msr_action3d']
    assert demo.run_settings(demo.parse_args(real)) == (
        demo.SETTINGS['full'][0], converter, epochs, knn_every,
        linear_epochs, queue, 32)
    given = demo.run_settings(demo.parse_args(
        real + ['--epochs', '3', '--batch-size', '16', '--queue-size', '64']))
    # the KNN interval shrinks to fit a shorter run; the probe is unchanged
    assert given == (demo.SETTINGS['full'][0], converter, 3, 3,
                     linear_epochs, 64, 16)
    assert demo.run_settings(demo.parse_args(['--tiny', '--epochs', '5'
                                              ]))[2] == 5
    # one probe per encoder for the smoke test, three otherwise
    assert demo.parse_args(['--tiny']).probe_seeds == 1
    assert demo.parse_args(real).probe_seeds == 3
    assert demo.parse_args(real + ['--probe-seeds', '5']).probe_seeds == 5
    for bad in (['--epochs', '0'], ['--batch-size', '-1'],
                ['--queue-size', '0'], ['--probe-seeds', '0']):
        with pytest.raises(SystemExit):
            demo.parse_args(bad)


def test_demo_results_give_every_probe_seed_and_the_skipped_steps(tmp_path):
    demo = load_tool('demo')
    rows = [
        dict(encoder='chance (1 / classes)', linear_top1=0.05,
             linear_top1_per_seed=[], knn_top1=0.05),
        dict(encoder='AimCLR encoder', linear_top1=0.625,
             linear_top1_per_seed=[0.6, 0.65], knn_top1=0.6),
    ]
    results = dict(description='d', knn_k=20, rows=rows, wall_min=3.0,
                   skipped_steps=['pretrain'], command='python tools/demo.py',
                   embedding=dict(query_std=0.088, key_cos=0.0,
                                  logit_pos=4.0, logit_neg=0.0))
    demo.write_results(str(tmp_path), results)
    md = (tmp_path / 'results.md').read_text().splitlines()
    assert '| AimCLR encoder | 62.5 % | 60.0 / 65.0 | 60.0 % |' in md
    assert '| chance (1 / classes) | 5.0 % |  | 5.0 % |' in md
    assert any(line.startswith('Wall time 3.0 min (skipped, already done: '
                               'pretrain).') for line in md)
    saved = json.loads((tmp_path / 'results.json').read_text())
    assert saved['rows'][1]['linear_top1_per_seed'] == [0.6, 0.65]
