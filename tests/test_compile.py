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
    Path(__file__).parents[1] / 'configs/_base_/models/aimclr_stgcn.py')
MODEL = dict(
    CFG.model,
    backbone=dict(CFG.encoder, stage_channels=(8, 16, 16), down_stages=(2, )),
    neck=dict(CFG.model.neck, in_channels=16, hid_channels=16,
              out_channels=8),
    feature_dim=8,
    queue_size=16)
STEPS = 3

pytestmark = pytest.mark.skipif(
    shutil.which('cc') is None and shutil.which('gcc') is None,
    reason='torch.compile on CPU needs a C compiler')


def losses_of(model, batches):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    out = []
    for inputs in batches:
        losses = model.loss(inputs)
        total = losses['loss_infonce'] + losses['loss_d3m']
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        out.append(torch.stack([losses['loss_infonce'],
                                losses['loss_d3m']]).detach())
    return torch.stack(out)


def test_compiled_encoder_keeps_the_loss_curve_and_the_keys():
    torch.manual_seed(0)
    eager = MODELS.build(MODEL)
    eager.init_weights()
    compiled = MODELS.build(dict(MODEL, compile_encoder=True))
    compiled.load_state_dict(copy.deepcopy(eager.state_dict()))
    assert list(compiled.state_dict()) == list(eager.state_dict())

    g = torch.Generator().manual_seed(1)
    batches = [torch.randn(6, 3, 2, 20, 25, 3, generator=g)
               for _ in range(STEPS)]
    # EADM's drop is random: both models draw the same numbers
    torch.manual_seed(2)
    expected = losses_of(eager, batches)
    torch.manual_seed(2)
    got = losses_of(compiled, batches)
    assert torch.isfinite(got).all()
    # the losses move over the steps, so a curve that stood still would fail
    assert (expected[0] - expected[-1]).abs().max() > 1e-3
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)
