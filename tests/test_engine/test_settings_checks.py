"""Invalid model and optimizer values and settings that do not fit the data
are refused (or warned about) before the first iteration, naming the config
key, the value and the valid range."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

import aimclr_mm  # noqa: F401
from aimclr_mm.engine.hooks import bank_size_warning, check_head_classes
from aimclr_mm.engine.runner.builder import check_optimizer
from pose_data import write_ntu_like
from small_aimclr import SMALL_MODEL

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('key, value, message', [
    ('queue_size', 0, r'model.queue_size must be an integer >= 1, got 0'),
    ('queue_size', -4, r'model.queue_size must be an integer >= 1, got -4'),
    ('topk', 128, r'model.topk must be an integer in \[1, '
     r'model.queue_size=20\], got 128'),
    ('topk', 0, r'model.topk must be an integer in \[1, '
     r'model.queue_size=20\], got 0'),
    ('momentum', 1.5, r'model.momentum \(key encoder m\) must be in '
     r'\(0, 1\), got 1.5'),
    ('momentum', 0.0, r'model.momentum .* got 0.0'),
    ('temperature', 0, r'model.temperature must be > 0, got 0'),
    ('temperature', -0.1, r'model.temperature must be > 0, got -0.1'),
])
def test_model_values_are_checked_when_built(key, value, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(dict(SMALL_MODEL, **{key: value}))


def test_cross_stream_topk_is_checked_against_the_bank():
    with pytest.raises(ValueError, match=r'model.topk \(cross-stream\).*'
                       r'\[1, queue size 20\], got 21'):
        MODELS.build(dict(type='CrossStreamAimCLR', stream_model=SMALL_MODEL,
                          topk=21))


@pytest.mark.parametrize('momentum', [1.5, 1.0, -0.1])
def test_optimizer_momentum_outside_0_1_is_refused(momentum):
    cfg = Config(dict(optim_wrapper=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=momentum))))
    with pytest.raises(ValueError, match=r'optim_wrapper.optimizer.momentum '
                       rf'must be in \[0, 1\), got {momentum}'):
        check_optimizer(cfg)
    check_optimizer(Config(dict(optim_wrapper=dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))))


class _Inner:

    def __init__(self, n, labels):
        self.split, self.ann_file = 'xsub_train', 'data/x.pkl'
        self.n, self.label_set = n, labels

    def __len__(self):
        return self.n


def test_head_classes_must_match_the_labels():
    head = type('H', (), dict(num_classes=3))()
    model = type('M', (), dict(cls_head=head))()
    with pytest.raises(ValueError, match=r"model.cls_head.num_classes=3, but "
                       r"the labels of split 'xsub_train' of data/x.pkl are "
                       r'0 ... 5 \(6 classes, 3 present\)'):
        check_head_classes(model, _Inner(10, [0, 2, 5]))
    head.num_classes = 60
    with pytest.raises(ValueError, match=r'num_classes=60.*\(4 classes'):
        check_head_classes(model, _Inner(10, [0, 1, 2, 3]))
    head.num_classes = 4
    check_head_classes(model, _Inner(10, [0, 1, 2, 3]))


def test_a_bank_larger_than_the_split_is_warned_about():
    model = MODELS.build(dict(SMALL_MODEL, queue_size=20))
    warning = bank_size_warning(model, _Inner(16, [0]))
    assert 'model.queue_size=20 is larger than the 16 sequences of split ' \
        "'xsub_train' of data/x.pkl" in warning
    assert bank_size_warning(model, _Inner(20, [0])) is None
    three = MODELS.build(dict(type='CrossStreamAimCLR',
                              stream_model=SMALL_MODEL))
    assert 'model.queue_size=20' in bank_size_warning(three, _Inner(8, [0]))


@pytest.mark.slow
def test_train_refuses_a_head_that_does_not_fit_before_iteration_1(tmp_path):
    """A linear head of 2 classes on data labelled up to 2 (the data set's
    num_classes left at 60): refused before training writes anything."""
    write_ntu_like(tmp_path)
    work = tmp_path / 'work'
    cmd = [
        sys.executable, str(REPO / 'tools' / 'train.py'),
        str(REPO / 'configs' / 'linear' /
            'aimclr_stgcn_linear_ntu60_xsub_joint.py'),
        '--work-dir', str(work), '--cfg-options', 'load_from=None',
        'model.cls_head.num_classes=2', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0', 'train_dataloader.batch_size=2',
        'custom_hooks=[]'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert 'model.cls_head.num_classes=2, but the labels of' in out, out[-3000:]
    assert 'Epoch(train)' not in out
    assert not list(work.rglob('*.pth'))


def test_loader_workers_are_capped_at_the_cpu_count(monkeypatch):
    from aimclr_mm.engine.runner.builder import fit_dataloaders
    monkeypatch.setattr(os, 'cpu_count', lambda: 2)
    cfg = Config(dict(
        train_dataloader=dict(num_workers=4, persistent_workers=True),
        val_dataloader=dict(num_workers=1, persistent_workers=True),
        test_dataloader=dict(num_workers=0, persistent_workers=True)))
    fit_dataloaders(cfg)
    assert cfg.train_dataloader.num_workers == 2
    assert cfg.val_dataloader.num_workers == 1
    assert cfg.train_dataloader.persistent_workers
    assert cfg.test_dataloader.persistent_workers is False


@pytest.mark.slow
def test_a_missing_annotation_file_is_named_before_the_config_dump(
        tmp_path):
    cmd = [
        sys.executable, str(REPO / 'tools' / 'train.py'),
        str(REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'),
        '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        'train_dataloader.dataset.ann_file=no/such.pkl'
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          timeout=600)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert 'train_dataloader.dataset.ann_file: no/such.pkl does not exist ' \
        f'(relative paths are from {tmp_path})' in out
    assert 'Config:' not in out and 'Environment info' not in out
    # only the dataloaders a run uses are checked (tools/test.py: test),
    # through dataset wrappers
    from aimclr_mm.engine.runner.builder import check_annotation_files
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(ann_file='no/such.pkl')),
        test_dataloader=dict(dataset=dict(
            type='ClassBalancedSubset',
            dataset=dict(ann_file=str(tmp_path / 'missing.pkl'))))))
    with pytest.raises(FileNotFoundError, match=r'test_dataloader.dataset.'
                       r'dataset.ann_file: .*missing.pkl does not exist'):
        check_annotation_files(cfg, ['test_dataloader'])
    check_annotation_files(cfg, [])


def test_mmengine_key_list_warning_is_cut_to_counts():
    """The loader mmengine's Runner.load_checkpoint calls, as build_runner
    leaves it: its warning reaches the runner's logger, cut to counts."""
    import mmengine.runner.runner as mmengine_runner
    import torch.nn as nn
    from mmengine.logging import MMLogger

    from aimclr_mm.engine.runner.checkpoint import log_load_mismatch
    logger = MMLogger.get_instance('mismatch_summary_test')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    log_load_mismatch(logger)
    model = nn.ModuleDict(dict(backbone=nn.Linear(2, 2),
                               cls_head=nn.Linear(2, 3)))
    state = {f'backbone.{k}': v for k, v in
             model['backbone'].state_dict().items()}
    state.update({f'neck.{i}.weight': torch.zeros(1) for i in range(5)})
    mmengine_runner._load_checkpoint_to_model(model, dict(state_dict=state))
    messages = [r.getMessage() for r in records]
    assert messages == [
        'load_from: 5 checkpoint tensors not in the model (neck.*: 5); '
        '2 model tensors not in the checkpoint (cls_head.*: 2)']
    logger.warning('another message')
    assert records[-1].getMessage() == 'another message'
