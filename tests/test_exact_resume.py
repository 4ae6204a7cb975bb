"""A killed and resumed pretraining run reproduces the uninterrupted one
step for step: random states, sampler, workers, queue, momentum encoder and
the stage switch all come back."""
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from aimclr_mm.engine.runner import build_runner, load_from_local
from test_pretrain_integration import CONFIG, write_ntu_like

EPOCHS = 3  # InfoNCE in epoch 1, mining from epoch 2


class RecordLosses(Hook):
    """Every loss term of every training iteration, by global iteration."""

    def __init__(self):
        self.losses = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses[runner.iter] = {
            name: float(value)
            for name, value in outputs.items()
        }


def tiny_cfg(root, tag, epochs, num_workers, resume=False):
    """The NTU-60 pretraining config with a two-stage ST-GCN of 8/16
    channels, KNN validation every epoch and seed 0, deterministic."""
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.update(stage_channels=(8, 16), down_stages=(1, ))
    cfg.model.neck.update(in_channels=16, hid_channels=16, out_channels=8)
    cfg.model.update(feature_dim=8, queue_size=12)
    loader = cfg.train_dataloader
    loader.update(
        batch_size=4,
        num_workers=num_workers,
        persistent_workers=False)
    loader.dataset.ann_file = str(root / 'data' / 'skeleton' / 'ntu60_3d.pkl')
    cfg.val_dataloader.update(batch_size=4, num_workers=0,
                              persistent_workers=False)
    cfg.val_evaluator.ks = (1, 3)
    cfg.train_cfg.update(max_epochs=epochs, val_interval=1)
    cfg.custom_hooks[0].start_epoch = 1
    cfg.auto_scale_lr.enable = False
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.work_dir = str(root / tag)
    cfg.experiment_name = f'{tag}_{epochs}_{uuid.uuid4().hex[:8]}'
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.resume = resume
    cfg.log_level = 'WARNING'
    return cfg


def train(cfg):
    runner = build_runner(cfg)
    record = RecordLosses()
    runner.register_hook(record)
    runner.train()
    return runner, record.losses


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    write_ntu_like(root)
    return root


@pytest.mark.parametrize('num_workers', [0, 2])
def test_resumed_run_reproduces_every_loss(root, num_workers):
    tag = f'workers{num_workers}'
    _, whole = train(tiny_cfg(root, f'{tag}_whole', EPOCHS, num_workers))
    # "Killed" after epoch 1: a new process state resumes from epoch_1.pth.
    _, first = train(tiny_cfg(root, f'{tag}_split', 1, num_workers))
    torch.manual_seed(12345)  # what a fresh launch would have is irrelevant
    runner, rest = train(
        tiny_cfg(root, f'{tag}_split', EPOCHS, num_workers, resume=True))

    assert sorted(whole) == list(range(EPOCHS * 2))
    assert sorted(first) == [0, 1] and sorted(rest) == [2, 3, 4, 5]
    assert {**first, **rest} == whole  # exactly, every term of every step
    assert 'loss_nnm' in whole[2] and 'loss_infonce' in whole[1]

    ckpt = load_from_local(str(root / f'{tag}_split' / 'epoch_3.pth'))
    ref = load_from_local(str(root / f'{tag}_whole' / 'epoch_3.pth'))
    for key, value in ref['state_dict'].items():
        # queue.bank/ptr, momentum_encoder.*, backbone.*
        assert torch.equal(ckpt['state_dict'][key], value), key
    for key in ('python', 'numpy', 'torch', 'cuda', 'sampler_seed'):
        assert key in ckpt['random_states']
    assert ckpt['random_states']['sampler_seed'] == 0
