"""``AimCLR(compile_encoder=True)``: the same losses as the eager model over
a few fixed-seed SGD steps, and the same checkpoint keys."""
import copy
import shutil
from pathlib import Path

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import aimclr_mm  # noqa: F401

init_default_scope('mmaction')
CFG = Config.fromfile(
    Path(__file__).parents[2] / 'configs/_base_/models/aimclr_stgcn.py')
MODEL = dict(
    CFG.model,
    backbone=dict(CFG.encoder, stage_channels=(8, 16, 16), down_stages=(2, )),
    neck=dict(CFG.model.neck, in_channels=16, hid_channels=16,
              out_channels=8),
    feature_dim=8,
    queue_size=16)
STEPS = 3

pytestmark = [
    pytest.mark.skipif(
        shutil.which('cc') is None and shutil.which('gcc') is None,
        reason='torch.compile on CPU needs a C compiler'),
    pytest.mark.slow,  # inductor runs the C compiler in subprocesses
]


def test_compiled_encoder_keeps_the_loss_curve_and_the_keys():
    """Along one fixed-seed SGD run of the eager model, the compiled model,
    given the eager model's state before each step, gives the same losses
    and gradients. (Two separate runs drift apart by float rounding alone:
    the gradients of biases in front of BatchNorm are rounding noise, and
    momentum SGD on a batch of 6 amplifies it step by step.)"""
    torch.manual_seed(0)
    eager = MODELS.build(MODEL)
    eager.init_weights()
    compiled = MODELS.build(dict(MODEL, compile_encoder=True))
    assert list(compiled.state_dict()) == list(eager.state_dict())
    # both encoders run compiled, the eager model's do not
    assert compiled.backbone._compiled_call_impl is not None
    assert compiled.momentum_encoder.module._compiled_call_impl is not None
    assert eager.backbone._compiled_call_impl is None
    eager.train()
    compiled.train()
    optimizer = torch.optim.SGD(eager.parameters(), lr=0.1, momentum=0.9)

    g = torch.Generator().manual_seed(1)
    expected, got = [], []
    for step in range(STEPS):
        inputs = torch.randn(6, 3, 2, 20, 25, 3, generator=g)
        eager.queue.flush()  # the bank this step sees, in the state dict
        compiled.load_state_dict(copy.deepcopy(eager.state_dict()))
        grads = []
        for model, out in ((compiled, got), (eager, expected)):
            # EADM's drop is random: both models draw the same numbers
            torch.manual_seed(2 + step)
            losses = model.loss(inputs)
            model.zero_grad()
            (losses['loss_infonce'] + losses['loss_d3m']).backward()
            out.append(torch.stack([losses['loss_infonce'],
                                    losses['loss_d3m']]).detach())
            grads.append(torch.cat([
                p.grad.flatten() for p in model.parameters()
                if p.grad is not None
            ]))
        optimizer.step()
        assert torch.isfinite(got[-1]).all()
        assert (grads[0] - grads[1]).norm() <= 1e-3 * grads[1].norm(), step
    expected, got = torch.stack(expected), torch.stack(got)
    # the losses move over the steps, so a curve that stood still would fail
    assert (expected[0] - expected[-1]).abs().max() > 1e-3
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)
