import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from aimclr_mm.engine.optim import CPUAmpOptimWrapper
from aimclr_mm.engine.runner import builder, enable_amp


def _model_and_batch(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    inputs = torch.randn(8, 16)
    labels = torch.randint(0, 4, (8, ))
    return model, inputs, labels


def _grads(wrapper, model, inputs, labels):
    with wrapper.optim_context(model):
        logits = model(inputs)
        loss = F.cross_entropy(logits, labels)
    wrapper.backward(loss)
    return logits, loss, [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_autocast_is_active_only_inside_the_context(dtype):
    model, inputs, _ = _model_and_batch()
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype=dtype)
    a, b = torch.randn(4, 8), torch.randn(8, 3)
    with wrapper.optim_context(model):
        assert torch.is_autocast_enabled('cpu')
        assert (a @ b).dtype == getattr(torch, dtype)
        assert model(inputs).dtype == getattr(torch, dtype)
    assert not torch.is_autocast_enabled('cpu')
    assert (a @ b).dtype == torch.float32


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_gradients_are_finite_and_close_to_float32(dtype):
    model, inputs, labels = _model_and_batch()
    ref_model, _, _ = _model_and_batch()
    ref = OptimWrapper(torch.optim.SGD(ref_model.parameters(), lr=0.1))
    _, ref_loss, ref_grads = _grads(ref, ref_model, inputs, labels)

    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype=dtype)
    logits, loss, grads = _grads(wrapper, model, inputs, labels)
    assert logits.dtype == getattr(torch, dtype)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(ref_loss.item(), rel=0.05)
    scale = 1.0
    if wrapper.loss_scaler is not None:
        scale = wrapper.loss_scaler.get_scale()
    for grad, ref_grad in zip(grads, ref_grads):
        assert grad.dtype == torch.float32
        assert torch.isfinite(grad).all()
        torch.testing.assert_close(
            grad / scale, ref_grad, rtol=0.05, atol=2e-3)


def test_loss_scaling_only_for_float16():
    model, _, _ = _model_and_batch()
    params = list(model.parameters())
    bf16 = CPUAmpOptimWrapper(optimizer=torch.optim.SGD(params, lr=0.1))
    fp16 = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(params, lr=0.1), dtype='float16')
    assert bf16.cast_dtype == torch.bfloat16 and bf16.loss_scaler is None
    assert fp16.loss_scaler is not None and fp16.loss_scaler.is_enabled()
    assert 'loss_scaler' in fp16.state_dict()
    assert 'loss_scaler' not in bf16.state_dict()
    static = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(params, lr=0.1), loss_scale=128.)
    assert static.loss_scaler.get_scale() == 128.
    with pytest.raises(ValueError):
        CPUAmpOptimWrapper(
            optimizer=torch.optim.SGD(params, lr=0.1), dtype='float32')


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_update_matches_float32_step(dtype):
    model, inputs, labels = _model_and_batch()
    ref_model, _, _ = _model_and_batch()
    ref = OptimWrapper(torch.optim.SGD(ref_model.parameters(), lr=0.1))
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype=dtype)
    before = [p.detach().clone() for p in model.parameters()]
    for wrap, net in ((ref, ref_model), (wrapper, model)):
        with wrap.optim_context(net):
            loss = F.cross_entropy(net(inputs), labels)
        wrap.update_params(loss)
    # A scaled gradient that is not unscaled would move weights 65536x.
    for p, ref_p, p0 in zip(model.parameters(), ref_model.parameters(),
                            before):
        assert not torch.equal(p, p0)
        torch.testing.assert_close(p - p0, ref_p - p0, rtol=0.05, atol=2e-4)


def test_float16_overflow_skips_step_and_lowers_scale():
    model, inputs, labels = _model_and_batch()
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype='float16')
    before = [p.detach().clone() for p in model.parameters()]
    scale = wrapper.loss_scaler.get_scale()
    with wrapper.optim_context(model):
        loss = F.cross_entropy(model(inputs), labels) * 1e36
    wrapper.update_params(loss)
    assert wrapper.loss_scaler.get_scale() < scale
    for p, p0 in zip(model.parameters(), before):
        assert torch.equal(p, p0)

    state = wrapper.state_dict()
    other = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), dtype='float16')
    other.load_state_dict(state)
    assert other.loss_scaler.get_scale() == wrapper.loss_scaler.get_scale()


def test_enable_amp_picks_the_wrapper_for_the_device(monkeypatch):
    base = dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)))

    monkeypatch.setattr(builder, 'get_device', lambda: 'cpu')
    cfg = enable_amp(Config(base), 'float16')
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'float16'
    model, _, _ = _model_and_batch()
    built = OPTIM_WRAPPERS.build(
        dict(
            cfg.optim_wrapper,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(built, CPUAmpOptimWrapper)
    assert built.cast_dtype == torch.float16

    monkeypatch.setattr(builder, 'get_device', lambda: 'cuda')
    cfg = enable_amp(Config(base))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is AmpOptimWrapper
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert 'dtype' not in cfg.optim_wrapper

    custom = Config(dict(optim_wrapper=dict(type='MyWrapper')))
    with pytest.raises(ValueError, match='MyWrapper'):
        enable_amp(custom)
