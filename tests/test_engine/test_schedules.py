"""Schedules given as fractions of the run: the lr milestones and the stage
switch move with ``train_cfg.max_epochs``."""
import pytest
import torch
from mmaction.registry import PARAM_SCHEDULERS
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

import aimclr_mm  # noqa: F401
from aimclr_mm.engine.hooks import TwoStageLossHook

PRETRAIN = 'configs/aimclr_stgcn_ntu60_xsub_joint.py'


def lr_per_epoch(scheduler_cfg, epochs, epoch_length=3):
    """The lr of every epoch of a run, the scheduler stepped per epoch (or
    per iteration when converted) as the runner steps it."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.)
    wrapper = OptimWrapper(optimizer)
    cfg = dict(scheduler_cfg, end=epochs)
    scheduler = PARAM_SCHEDULERS.build(
        cfg, default_args=dict(optimizer=wrapper, epoch_length=epoch_length))
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        for _ in range(1 if scheduler.by_epoch else epoch_length):
            optimizer.step()
            scheduler.step()
    return lrs


@pytest.mark.parametrize('epochs, decay', [(300, 250), (100, 83), (12, 10)])
def test_fractional_milestones_scale_with_the_run(epochs, decay):
    lrs = lr_per_epoch(
        dict(type='FractionalMultiStepLR', milestones=[5 / 6]), epochs)
    # the first epoch at lr x0.1 is the rounded 5/6 of the run
    assert lrs.index(pytest.approx(0.1)) == decay
    assert lrs[:decay] == [1.] * decay
    # the same as mmengine's MultiStepLR at the absolute epoch
    assert lrs == lr_per_epoch(
        dict(type='MultiStepLR', milestones=[decay]), epochs)


def test_fractional_milestones_converted_to_iterations():
    # lr 1 for the first 8 epochs, x0.1 from epoch 8 of 10 (0.8 * 10)
    cfg = dict(type='FractionalMultiStepLR', milestones=[0.8],
               convert_to_iter_based=True)
    assert lr_per_epoch(cfg, 10) == pytest.approx([1.] * 8 + [0.1] * 2)


@pytest.mark.parametrize('milestones', [[250], [0.5, 0.2], [0.], [1.]])
def test_fractional_milestones_reject_epoch_indices(milestones):
    with pytest.raises(ValueError, match='fractions'):
        lr_per_epoch(
            dict(type='FractionalMultiStepLR', milestones=milestones), 300)


def test_fractional_milestones_need_the_length_of_the_run():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.)
    with pytest.raises(ValueError, match='length of the run'):
        PARAM_SCHEDULERS.build(
            dict(type='FractionalMultiStepLR', milestones=[0.5]),
            default_args=dict(optimizer=OptimWrapper(optimizer)))


class _Runner:

    def __init__(self, max_epochs):
        self.max_epochs, self.epoch = max_epochs, 0
        self.logger = type('L', (), {'info': lambda *a: None})()
        self.message_hub = MessageHub.get_instance(f'stages_{max_epochs}')
        self.model = type('M', (), {'mining': False})()


def first_mining_epoch(hook, max_epochs):
    runner = _Runner(max_epochs)
    hook.before_train(runner)
    for epoch in range(max_epochs):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        if runner.model.mining:
            return epoch
    return None


@pytest.mark.parametrize('max_epochs, start', [(300, 150), (100, 50),
                                               (7, 4), (5, 3)])
def test_stage_switch_as_a_fraction_of_the_run(max_epochs, start):
    assert first_mining_epoch(TwoStageLossHook(start_fraction=0.5),
                              max_epochs) == start
    # an epoch index does not move with the run
    assert first_mining_epoch(TwoStageLossHook(start_epoch=150),
                              max_epochs) == (150 if max_epochs > 150 else
                                              None)


@pytest.mark.parametrize('kwargs', [{}, dict(start_epoch=1,
                                             start_fraction=0.5),
                                    dict(start_fraction=150)])
def test_stage_switch_needs_one_valid_start(kwargs):
    with pytest.raises(ValueError, match='TwoStageLossHook'):
        TwoStageLossHook(**kwargs)


def test_pretraining_config_keeps_the_paper_schedule_at_300_epochs():
    """Epoch 250 of 300 for the lr decay, epoch 151 (index 150) for the
    stage switch, as the paper; both scale with a shorter run."""
    cfg = Config.fromfile(PRETRAIN)
    assert cfg.train_cfg.max_epochs == 300
    [scheduler] = cfg.param_scheduler
    lrs = lr_per_epoch(scheduler, 300)
    assert lrs.index(pytest.approx(0.1)) == 250
    [hook] = [h for h in cfg.custom_hooks if h.type == 'TwoStageLossHook']
    assert first_mining_epoch(TwoStageLossHook(
        **{k: v for k, v in hook.items() if k != 'type'}), 300) == 150
