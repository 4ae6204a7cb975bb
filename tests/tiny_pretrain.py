"""In-process pretraining runs of the NTU-60 config on a tiny encoder."""
import uuid
from pathlib import Path

import mmengine.config.config as config_module
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook

from aimclr_mm.engine.runner import build_runner

CONFIG = (Path(__file__).resolve().parents[1] / 'configs' /
          'aimclr_stgcn_ntu60_xsub_joint.py')


class RecordLosses(Hook):
    """Every loss term of every training iteration, by global iteration."""

    def __init__(self):
        self.losses = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses[runner.iter] = {
            name: float(value.detach())
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
    cfg.custom_hooks[0].update(start_epoch=1, start_fraction=None)
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


@pytest.fixture(autouse=True)
def unformatted_config_text(monkeypatch):
    """mmengine formats the config text (logs, checkpoint meta) with yapf,
    which takes most of these short runs; the text stays valid Python."""
    monkeypatch.setattr(config_module, 'FormatCode',
                        lambda text, **kwargs: (text, False))
