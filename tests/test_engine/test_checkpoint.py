import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.utils.data import DataLoader, Dataset

import aimclr_mm.engine.runner.checkpoint as checkpoint_module
from aimclr_mm.engine.runner import (SAFE_CHECKPOINT_GLOBALS,
                                     UnsafeCheckpointError,
                                     find_resumable_checkpoint,
                                     load_from_local,
                                     use_safe_checkpoint_loading)
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module', autouse=True)
def safe_loading():
    """As the runner tools do."""
    use_safe_checkpoint_loading()


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels, mode='tensor'):
        out = self.linear(inputs)
        if mode == 'loss':
            return dict(loss=((out - labels)**2).mean())
        return out


class ToyDataset(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        gen = torch.Generator().manual_seed(idx)
        return dict(
            inputs=torch.randn(2, generator=gen),
            labels=torch.randn(1, generator=gen))


def _toy_runner(work_dir, max_epochs, **kwargs):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=DataLoader(ToyDataset(), batch_size=4),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1]),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        log_level='WARNING',
        default_scope='mmaction',
        **kwargs)


class WriteMarker:
    """Unpickling this object opens (creates) the file at ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, 'w')


@pytest.fixture(scope='module')
def real_checkpoint(tmp_path_factory):
    """A checkpoint written by mmengine's Runner after two epochs."""
    work_dir = tmp_path_factory.mktemp('toy_run')
    runner = _toy_runner(work_dir, max_epochs=2, experiment_name='toy_save')
    runner.train()
    return work_dir / 'epoch_2.pth', runner


def test_local_paths_use_the_safe_loader():
    assert CheckpointLoader._get_checkpoint_loader(
        '/some/where/epoch_1.pth') is load_from_local
    # URL schemes keep their own loaders.
    assert CheckpointLoader._get_checkpoint_loader(
        'https://host/ckpt.pth') is not load_from_local


def test_real_checkpoint_loads_with_weights_only(real_checkpoint):
    path, runner = real_checkpoint
    ckpt = load_from_local(str(path), map_location='cpu')
    hub = ckpt['message_hub']
    loss = hub['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    expected = runner.message_hub.get_scalar('train/loss')
    np.testing.assert_allclose(loss.data[0], expected.data[0])
    assert isinstance(hub['runtime_info']['eta'], np.floating)
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 4
    torch.testing.assert_close(ckpt['state_dict']['linear.weight'],
                               runner.model.linear.weight.detach())


def test_real_checkpoint_needs_the_allowlist(real_checkpoint, monkeypatch):
    path, _ = real_checkpoint
    # The allowlist is only in force inside load_from_local.
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(path, map_location='cpu', weights_only=True)
    monkeypatch.setattr(checkpoint_module, 'SAFE_CHECKPOINT_GLOBALS', [])
    with pytest.raises(UnsafeCheckpointError, match='HistoryBuffer'):
        load_from_local(str(path))
    monkeypatch.undo()
    assert load_from_local(str(path))['meta']['epoch'] == 2


class RecordStart(Hook):
    """Record the state that training starts from."""

    def before_train(self, runner):
        self.epoch, self.iter = runner.epoch, runner.iter
        self.weight = runner.model.linear.weight.detach().clone()
        self.lr = runner.optim_wrapper.get_lr()['lr'][0]
        losses = runner.message_hub.log_scalars.get('train/loss')
        self.loss_count = 0 if losses is None else len(losses.data[0])


@pytest.mark.parametrize('resume', [True, False])
def test_resume_and_load_from_use_the_safe_loader(real_checkpoint, tmp_path,
                                                  resume):
    path, trained = real_checkpoint
    record = RecordStart()
    runner = _toy_runner(
        tmp_path,
        max_epochs=3,
        load_from=str(path),
        resume=resume,
        custom_hooks=[record],
        experiment_name=f'toy_resume{resume}')
    runner.train()
    torch.testing.assert_close(record.weight, trained.model.linear.weight)
    if resume:
        # Loop position, learning rate (decayed at the epoch-1 milestone) and
        # log history all come back.
        assert (record.epoch, record.iter) == (2, 4)
        assert record.lr == pytest.approx(0.01)
        assert record.loss_count == 4
        assert (runner.epoch, runner.iter) == (3, 6)
    else:
        assert (record.epoch, record.iter) == (0, 0)
        assert record.lr == pytest.approx(0.1)
        assert record.loss_count == 0
        assert (runner.epoch, runner.iter) == (3, 6)


def _save_refused(tmp_path, payload, **save_kwargs):
    path = tmp_path / 'evil.pth'
    ckpt = dict(state_dict=dict(weight=torch.ones(2)), meta=dict(note=payload))
    torch.save(ckpt, path, **save_kwargs)
    return path


@pytest.mark.parametrize('zipfile', [True, False])
def test_code_carrying_checkpoint_is_refused(tmp_path, zipfile):
    marker = tmp_path / 'marker'
    path = _save_refused(
        tmp_path, WriteMarker(marker), _use_new_zipfile_serialization=zipfile)

    with pytest.raises(UnsafeCheckpointError) as err:
        _load_checkpoint(str(path))
    assert str(path) in str(err.value)
    assert 'io.open' in str(err.value)
    assert not marker.exists()

    runner_marker = tmp_path / 'runner_marker'
    path = _save_refused(tmp_path, WriteMarker(runner_marker))
    runner = _toy_runner(
        tmp_path / 'work', max_epochs=1, experiment_name=f'evil{zipfile}')
    with pytest.raises(UnsafeCheckpointError, match='io.open'):
        runner.load_checkpoint(str(path))
    assert not runner_marker.exists()

    # Control: unrestricted unpickling of the same payload does run code.
    control = tmp_path / 'control'
    pickle.loads(pickle.dumps(WriteMarker(control)))
    assert control.exists()


def test_other_methods_through_getattr_are_refused(tmp_path):
    # Pickle protocol 2 writes ``HistoryBuffer.update`` as
    # ``getattr(HistoryBuffer, 'update')``, the form the allowlist restricts.
    path = _save_refused(tmp_path, HistoryBuffer.update)
    with pytest.raises(UnsafeCheckpointError, match="'update'"):
        load_from_local(str(path))


def test_object_arrays_are_refused(tmp_path):
    path = _save_refused(tmp_path, np.array([1, 'a'], dtype=object))
    with pytest.raises(UnsafeCheckpointError, match=str(path)):
        load_from_local(str(path))


def test_numeric_numpy_metadata_is_allowed(tmp_path):
    path = _save_refused(
        tmp_path,
        dict(
            f32=np.arange(3, dtype=np.float32),
            i64=np.int64(7),
            flag=np.bool_(True)))
    meta = load_from_local(str(path))['meta']['note']
    np.testing.assert_array_equal(meta['f32'], np.arange(3))
    assert meta['f32'].dtype == np.float32
    assert meta['i64'] == 7 and bool(meta['flag'])


def test_allowlist_is_small():
    names = {
        item[1] if isinstance(item, tuple) else
        f'{item.__module__}.{item.__qualname__}'
        for item in SAFE_CHECKPOINT_GLOBALS
    }
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    assert all(
        name.startswith(('numpy', 'mmengine', 'builtins.getattr'))
        for name in names)


@pytest.mark.slow
def test_importing_the_plugin_changes_no_loader():
    """``import aimclr_mm`` registers components and nothing else: in a
    fresh interpreter mmengine's loaders and torch's allowlist stay."""
    code = textwrap.dedent("""
        import torch
        from mmengine.runner import CheckpointLoader
        before = (dict(CheckpointLoader._schemes), torch.load,
                  list(torch.serialization.get_safe_globals()))
        import aimclr_mm
        from aimclr_mm.engine.runner import load_from_local
        after = (dict(CheckpointLoader._schemes), torch.load,
                 list(torch.serialization.get_safe_globals()))
        assert before[0].keys() == after[0].keys()
        assert all(before[0][k] is after[0][k] for k in before[0])
        assert before[1] is after[1] and before[2] == after[2], after[2]
        assert CheckpointLoader._get_checkpoint_loader('a.pth') \
            is not load_from_local
        aimclr_mm.engine.runner.use_safe_checkpoint_loading()
        assert CheckpointLoader._get_checkpoint_loader('a.pth') \
            is load_from_local
        assert torch.serialization.get_safe_globals() == before[2]
        print('unchanged')
    """)
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         timeout=600,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'unchanged' in out.stdout


class RunShell:
    """Unpickling this object runs ``touch path`` through ``os.system``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.system, (f'touch {self.path}', )


@pytest.mark.parametrize('zipfile', [True, False], ids=['zip', 'legacy'])
def test_refusal_names_a_blocked_global(tmp_path, zipfile):
    """torch's message for a blocked module suggests weights_only=False;
    ours names the global, for zip and legacy (non-zip) files alike."""
    marker = tmp_path / 'marker'
    path = _save_refused(
        tmp_path, RunShell(marker), _use_new_zipfile_serialization=zipfile)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_from_local(str(path))
    assert str(err.value).startswith(
        f'Refusing to load checkpoint {path}: it pickles the global '
        f'{os.system.__module__}.system. ')
    assert 'weights_only' not in str(err.value)
    assert not marker.exists()


def test_convert_official_checkpoint_refuses_a_payload(tmp_path, capsys):
    convert = load_tool('convert_official_checkpoint')
    marker, dst = tmp_path / 'marker', tmp_path / 'out.pth'
    src = tmp_path / 'official.pt'
    torch.save(dict(weight=torch.ones(1), note=RunShell(marker)), src)
    with pytest.raises(SystemExit) as err:
        convert.main([str(src), str(dst)])
    message = str(err.value)
    assert message.startswith('convert_official_checkpoint: Refusing to load '
                              f'checkpoint {src}: it pickles the global '
                              f'{os.system.__module__}.system. ')
    assert 'weights_only' not in message
    assert not marker.exists() and not dst.exists()
    # A plain state dict gets past loading, to the conversion's own check.
    torch.save(dict(queue=torch.zeros(1)), src)
    with pytest.raises(KeyError, match='encoder_q'):
        convert.main([str(src), str(dst)])


def test_resume_passes_over_an_unreadable_last_checkpoint(tmp_path):
    good = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=dict(weight=torch.ones(1)), meta={}), good)
    last = tmp_path / 'last_checkpoint'
    last.write_bytes(b'\xff\xfe' + str(good).encode('utf-16-le'))
    path, notes = find_resumable_checkpoint(str(tmp_path))
    assert path == str(good)
    assert notes == [
        f'--resume: {last} is unreadable (not UTF-8 text: byte 0xff at '
        'position 0); passed over',
        f'--resume: resuming from {good}, the newest checkpoint that loads'
    ]
    good.write_bytes(b'PK\x03\x04 truncated')
    with pytest.raises(RuntimeError, match=f'; {last} \\(unreadable: not '
                       'UTF-8 text'):
        find_resumable_checkpoint(str(tmp_path))
