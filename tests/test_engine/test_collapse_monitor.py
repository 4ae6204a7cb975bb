"""Embedding statistics of AimCLR and the collapse monitor."""
import logging
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from aimclr_mm.engine.hooks import CollapseMonitorHook, EmbeddingCollapseError
from aimclr_mm.models.selfsup.aimclr import AimCLR

REPO = Path(__file__).resolve().parents[2]
PAPER_CONFIG = (REPO / 'configs' / 'ablation' /
                'aimclr_paper_recipe_stgcn_ntu60_xsub_joint.py')


def test_embedding_stats_measure_spread_and_logits():
    torch.manual_seed(0)
    spread = F.normalize(torch.randn(256, 128), dim=1)
    one = F.normalize(torch.randn(1, 128), dim=1).expand(256, -1)
    logits = torch.cat([torch.full((256, 1), 3.0),
                        torch.full((256, 5), -1.0)], dim=1)

    healthy = AimCLR._embedding_stats(spread, spread, logits)
    # unit vectors spread at random: per-dimension std about 1 / sqrt(128)
    assert abs(float(healthy['query_std']) - 128**-0.5) < 0.01
    assert abs(float(healthy['key_cos'])) < 0.02
    assert float(healthy['logit_pos']) == pytest.approx(3.0)
    assert float(healthy['logit_neg']) == pytest.approx(-1.0)

    collapsed = AimCLR._embedding_stats(one, one, logits)
    assert float(collapsed['query_std']) < 1e-6
    assert float(collapsed['key_cos']) == pytest.approx(1.0, abs=1e-5)


class _Logger:

    def __init__(self):
        self.warnings = []

    def warning(self, message):
        self.warnings.append(message)


def _runner():
    model = SimpleNamespace(queue=SimpleNamespace(size=1024))
    return SimpleNamespace(
        iter=0, epoch=0, logger=_Logger(), model=model)


def _feed(hook, runner, stats):
    for query_std, key_cos in stats:
        hook.after_train_iter(
            runner, 0, outputs=dict(query_std=query_std, key_cos=key_cos))
        runner.iter += 1


def test_monitor_warns_once_after_patience_collapsed_iterations():
    hook = CollapseMonitorHook(patience=3)
    runner = _runner()
    healthy, collapsed = (0.08, 0.0), (1e-5, 0.99999)
    # a healthy iteration resets the streak
    _feed(hook, runner, [collapsed, collapsed, healthy, collapsed, collapsed])
    assert runner.logger.warnings == []
    _feed(hook, runner, [collapsed] + [collapsed] * 10)
    assert len(runner.logger.warnings) == 1
    message = runner.logger.warnings[0]
    assert 'Embeddings collapsed' in message
    assert 'since iteration 4' in message
    assert f'{math.log(1025):.4f}' in message


def test_monitor_reads_either_statistic():
    runner = _runner()
    hook = CollapseMonitorHook(patience=2)
    _feed(hook, runner, [(0.08, 0.9999), (0.08, 0.9999)])
    assert len(runner.logger.warnings) == 1  # keys alike, queries spread
    runner = _runner()
    hook = CollapseMonitorHook(patience=2)
    _feed(hook, runner, [(1e-4, 0.1), (1e-4, 0.1)])
    assert len(runner.logger.warnings) == 1  # queries alike


def test_monitor_stops_the_run_when_asked():
    hook = CollapseMonitorHook(patience=2, stop=True)
    runner = _runner()
    with pytest.raises(EmbeddingCollapseError, match='Embeddings collapsed'):
        _feed(hook, runner, [(0.0, 1.0)] * 2)


def _write_small_data(root):
    from pose_data import write_pose_dataset
    path = root / 'data' / 'skeleton' / 'ntu60_3d.pkl'
    path.parent.mkdir(parents=True)
    write_pose_dataset(path, [6] * 4, [2] * 4, frames=30)
    return path


def _pretrain(root, config, *options):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    cmd = [
        sys.executable,
        str(REPO / 'tools' / 'train.py'),
        str(config), '--work-dir',
        str(root / 'work'), '--no-validate', '--seed', '0',
        '--cfg-options', 'model.queue_size=64',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
        'default_hooks.collapse_monitor.patience=5', *options
    ]
    return subprocess.run(
        cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_paper_recipe_collapses_and_the_monitor_stops_it(tmp_path):
    """The paper's recipe (N(0, 0.02) init, no normalisation in the
    projector, independent key encoder) collapses on small data within the
    first epochs; with ``stop=True`` the monitor ends the run saying so."""
    _write_small_data(tmp_path)
    out = _pretrain(tmp_path, PAPER_CONFIG, 'train_cfg.max_epochs=4',
                    'default_hooks.collapse_monitor.stop=True')
    log = out.stdout + out.stderr
    assert out.returncode != 0, log[-3000:]
    assert 'EmbeddingCollapseError: Embeddings collapsed' in log, log[-3000:]
    first = int(log.split('since iteration ')[1].split(',')[0])
    assert first <= 12  # 3 iterations an epoch: within the first 4 epochs


@pytest.mark.slow
def test_default_recipe_does_not_collapse_on_the_same_data(tmp_path):
    _write_small_data(tmp_path)
    config = REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'
    out = _pretrain(tmp_path, config, 'train_cfg.max_epochs=3',
                    'default_hooks.collapse_monitor.stop=True')
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'Embeddings collapsed' not in log
