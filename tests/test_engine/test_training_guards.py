"""Non-finite losses and weights stop training before a checkpoint holds
them; checkpoints survive a kill during the write; --resume passes over
checkpoints that do not load."""
import glob
import os
from pathlib import Path
from types import SimpleNamespace

import mmengine.runner.runner as runner_module
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from aimclr_mm.engine.hooks import PretrainedEncoderCheckHook
from aimclr_mm.engine.runner import (build_runner, find_resumable_checkpoint,
                                     load_from_local)
from pose_data import write_ntu_like
from tiny_pretrain import tiny_cfg, train, unformatted_config_text  # noqa


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('guards')
    write_ntu_like(root)
    return root


def checkpoints(work_dir):
    return sorted(
        os.path.basename(p) for p in glob.glob(str(work_dir / '*.pth')))


def last_checkpoint(work_dir):
    return Path((work_dir / 'last_checkpoint').read_text())


def all_finite(path):
    state = load_from_local(str(path))['state_dict']
    return all(
        torch.isfinite(v).all() for v in state.values()
        if v.is_floating_point())


class PoisonWeight(Hook):
    """Turns one encoder weight into NaN before iteration ``at`` (0-based),
    as a diverging step would."""

    def __init__(self, at):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            weight = runner.model.backbone.gcn[0].gcn.conv.weight
            weight.data[0, 0, 0, 0] = float('nan')


def test_nan_loss_stops_training_and_keeps_the_good_checkpoint(root):
    cfg = tiny_cfg(root, 'nan_loss', 3, 0)
    runner = build_runner(cfg)
    runner.register_hook(PoisonWeight(at=2))  # epoch 2, first batch
    with pytest.raises(FloatingPointError) as error:
        runner.train()
    message = str(error.value)
    work_dir = root / 'nan_loss'
    assert 'FiniteCheckHook: non-finite loss loss=nan' in message
    assert 'at iteration 3 (epoch 2, batch 1 of 2)' in message
    assert f'the last checkpoint written is {work_dir}/epoch_1.pth' in message
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert last_checkpoint(work_dir) == work_dir / 'epoch_1.pth'
    assert all_finite(work_dir / 'epoch_1.pth')


def test_diverging_learning_rate_is_stopped_at_the_first_bad_step(root):
    cfg = tiny_cfg(root, 'huge_lr', 3, 0)
    cfg.optim_wrapper.optimizer.lr = 1e8
    with pytest.raises(FloatingPointError) as error:
        train(cfg)
    # The losses of the step were finite, BatchNorm statistics overflowed.
    assert 'non-finite after the step (backbone.gcn.0.gcn.bn.running_var' \
        in str(error.value)
    assert 'at iteration 2 (epoch 1, batch 2 of 2)' in str(error.value)
    assert checkpoints(root / 'huge_lr') == []


def test_checkpoint_with_non_finite_weights_is_refused(root):
    cfg = tiny_cfg(root, 'refuse', 1, 0)
    cfg.default_hooks.pop('finite_check')  # the last line of defence
    runner = build_runner(cfg)
    runner.register_hook(PoisonWeight(at=1))
    with pytest.raises(FloatingPointError) as error:
        runner.train()
    assert str(error.value).startswith(
        'AtomicCheckpointHook: refusing to save a checkpoint at epoch 1, '
        'iteration 2: ')
    bad = sum(not torch.isfinite(v).all()
              for v in runner.model.state_dict().values()
              if torch.is_floating_point(v))
    assert bad > 0
    assert f'{bad} weight tensor(s) hold NaN or Inf (backbone.' in str(
        error.value)
    assert str(error.value).endswith(
        'The checkpoints already saved are kept; none was saved yet.')
    assert os.listdir(root / 'refuse') and checkpoints(root / 'refuse') == []
    assert not glob.glob(str(root / 'refuse' / '.*.tmp'))


class Killed(BaseException):
    """The process dies here."""


@pytest.mark.slow
def test_kill_during_the_write_keeps_the_previous_checkpoint(
        root, monkeypatch):
    """max_keep_ckpts=1: mmengine deletes epoch_1.pth before writing
    epoch_2.pth; here epoch_1.pth survives a kill in the middle of it."""
    work_dir = root / 'killed'
    train(tiny_cfg(root, 'killed', 1, 0))
    assert checkpoints(work_dir) == ['epoch_1.pth']
    write = runner_module.save_checkpoint

    def killed_while_writing(checkpoint, filename, **kwargs):
        write(checkpoint, filename, **kwargs)
        with open(filename, 'r+b') as f:  # half of it reached the disk
            f.truncate(os.path.getsize(filename) // 2)
        raise Killed

    monkeypatch.setattr(runner_module, 'save_checkpoint', killed_while_writing)
    with pytest.raises(Killed):
        train(tiny_cfg(root, 'killed', 2, 0, resume=True))
    monkeypatch.setattr(runner_module, 'save_checkpoint', write)
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert last_checkpoint(work_dir) == work_dir / 'epoch_1.pth'
    assert all_finite(work_dir / 'epoch_1.pth')
    assert glob.glob(str(work_dir / '.epoch_2.pth.tmp'))

    runner, losses = train(tiny_cfg(root, 'killed', 2, 0, resume=True))
    assert sorted(losses) == [2, 3]  # epoch 2 again
    assert checkpoints(work_dir) == ['epoch_2.pth']
    assert last_checkpoint(work_dir) == work_dir / 'epoch_2.pth'
    assert not glob.glob(str(work_dir / '.*.tmp'))


@pytest.mark.slow
def test_resume_passes_over_a_truncated_last_checkpoint(root):
    work_dir = root / 'truncated'
    cfg = tiny_cfg(root, 'truncated', 2, 0)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    train(cfg)
    with open(work_dir / 'epoch_2.pth', 'r+b') as f:
        f.truncate(1000)
    # A checkpoint that would run code is passed over too.
    evil = dict(state_dict={}, meta=dict(note=SimpleNamespace()))
    torch.save(evil, work_dir / 'epoch_9.pth')

    path, notes = find_resumable_checkpoint(str(work_dir))
    assert path == str(work_dir / 'epoch_1.pth')
    assert notes[0].startswith(f'--resume: skipped {work_dir}/epoch_2.pth '
                               '(named by last_checkpoint): ')
    assert notes[1].startswith(f'--resume: skipped {work_dir}/epoch_9.pth: '
                               'UnsafeCheckpointError')
    assert notes[-1] == (f'--resume: resuming from {path}, the newest '
                         'checkpoint that loads')

    cfg = tiny_cfg(root, 'truncated', 3, 0, resume=True)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    runner, losses = train(cfg)
    assert sorted(losses) == [2, 3, 4, 5]  # epochs 2 and 3
    log = Path(runner.log_dir, f'{runner.timestamp}.log').read_text()
    assert all(note in log for note in notes)


def test_resume_fails_when_no_checkpoint_loads(tmp_path):
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(RuntimeError, match='no checkpoint in .* can be '
                       'loaded: .*epoch_1.pth'):
        find_resumable_checkpoint(str(tmp_path))
    assert find_resumable_checkpoint(str(tmp_path / 'empty')) == (None, [])


def test_pretrained_encoder_with_nan_is_refused(tmp_path):
    model = torch.nn.Module()
    model.backbone = torch.nn.Linear(2, 2)
    state = {f'backbone.{k}': v.clone()
             for k, v in model.backbone.state_dict().items()}
    state['backbone.bias'][1] = float('inf')
    path = tmp_path / 'diverged.pth'
    torch.save(dict(state_dict=state), path)
    runner = SimpleNamespace(
        cfg=dict(load_from=str(path)),
        model=model,
        logger=MMLogger.get_instance('nan_encoder'))
    with pytest.raises(FloatingPointError) as error:
        PretrainedEncoderCheckHook().before_train(runner)
    assert str(error.value) == (
        f'PretrainedEncoderCheckHook: {path} holds NaN or Inf in 1 of the 2 '
        'tensors loaded for training: backbone.bias. The run that wrote it '
        'diverged; use an earlier checkpoint.')
