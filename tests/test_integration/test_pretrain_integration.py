"""``tools/train.py`` on the real NTU-60 pretraining config, with a small
PoseDataset at the standard path: stage switch, resume, mixed precision."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from pose_data import write_ntu_like

pytestmark = pytest.mark.slow  # tools/train.py in a subprocess

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'
SMALL = [
    'model.queue_size=16', 'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'custom_hooks.0.start_epoch=1', 'custom_hooks.0.start_fraction=None',
    'default_hooks.logger.interval=1'
]


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp('pretrain')
    write_ntu_like(root)
    return root


def train(cwd, work_dir, *args, epochs):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    cmd = [
        sys.executable,
        str(REPO / 'tools' / 'train.py'),
        str(CONFIG), '--work-dir',
        str(work_dir), *args, '--cfg-options', *SMALL,
        f'train_cfg.max_epochs={epochs}'
    ]
    out = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def logged_losses(work_dir):
    """Per-iteration loss records of the newest run in work_dir."""
    runs = sorted(p for p in Path(work_dir).iterdir() if p.is_dir())
    scalars = runs[-1] / 'vis_data' / 'scalars.json'
    return [json.loads(line) for line in scalars.read_text().splitlines()
            if '"loss"' in line]


def test_pretrain_switches_stage_and_resumes(workdir):
    work_dir = workdir / 'run'
    log = train(workdir, work_dir, epochs=2)
    assert 'Epoch 2: mining on (loss_nnm)' in log
    records = logged_losses(work_dir)
    stage1 = [r for r in records if r['epoch'] == 1]
    stage2 = [r for r in records if r['epoch'] == 2]
    assert stage1 and stage2
    assert all('loss_infonce' in r and 'loss_nnm' not in r for r in stage1)
    assert all('loss_nnm' in r and 'loss_infonce' not in r for r in stage2)
    assert all(np.isfinite(r['loss']) for r in records)

    ckpt = torch.load(
        work_dir / 'epoch_2.pth', map_location='cpu', weights_only=False)
    state = ckpt['state_dict']
    assert state['queue.bank'].shape == (128, 16)
    assert any(k.startswith('backbone.gcn.9.') for k in state)
    assert any(k.startswith('momentum_encoder.module.0.') for k in state)

    # continue the stopped run for one more epoch: it starts at epoch 3, and
    # in stage 2 although the model starts with mining off
    log = train(workdir, work_dir, '--resume', epochs=3)
    assert 'resumed epoch: 2' in log
    assert 'Epoch 3: mining on (loss_nnm)' in log
    resumed = logged_losses(work_dir)
    assert {r['epoch'] for r in resumed} == {3}
    assert all('loss_nnm' in r for r in resumed)
    assert (work_dir / 'epoch_3.pth').exists()


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_pretrain_mixed_precision_gives_finite_losses(workdir, dtype):
    work_dir = workdir / f'amp_{dtype}'
    log = train(workdir, work_dir, '--amp', '--amp-dtype', dtype, epochs=1)
    assert 'CPUAmpOptimWrapper' in log or dtype in log
    records = logged_losses(work_dir)
    assert records
    for r in records:
        assert np.isfinite(r['loss'])
        assert np.isfinite(r['loss_d3m']) and np.isfinite(r['loss_infonce'])
