"""EADM and the InfoNCE / D3M / NNM losses against the official numbers."""
import numpy as np
import pytest
import torch

from aimclr_mm.models import (EADM, D3MLoss, InfoNCELoss, NNMLoss,
                              nearest_neighbor_positive_mask)

TOL = 1e-5


def t(fx, key):
    return torch.from_numpy(fx[key])


@pytest.fixture(scope='module')
def eadm_fx(reference_fixture):
    fx = reference_fixture
    module = EADM(
        keep_prob=float(fx['eadm/keep_prob']),
        e_lambda=float(fx['eadm/e_lambda']))
    return fx, module


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_eadm_matches_official(eadm_fx, dtype):
    fx, module = eadm_fx
    x = t(fx, 'eadm/x').to(dtype)
    x_before = x.clone()
    out = module(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out.double(), t(fx, 'eadm/out'), atol=TOL,
                               rtol=0)
    # the input is left as it was
    assert torch.equal(x, x_before)


def test_eadm_masks_and_scores_match_official(eadm_fx):
    fx, module = eadm_fx
    x = t(fx, 'eadm/x')
    att = module.attention(x)
    torch.testing.assert_close(att.mean(dim=(1, 2)),
                               t(fx, 'eadm/score_spatial'), atol=TOL, rtol=0)
    mask_spatial, mask_temporal = module.masks(x)
    assert torch.equal(mask_spatial, t(fx, 'eadm/mask_spatial'))
    assert torch.equal(mask_temporal, t(fx, 'eadm/mask_temporal'))
    # spatial step alone: drop the masked joints, rescale over the batch
    out_spatial = x * mask_spatial[:, None, None, :] * (
        mask_spatial.numel() / mask_spatial.sum())
    torch.testing.assert_close(out_spatial, t(fx, 'eadm/out_spatial'),
                               atol=TOL, rtol=0)


def test_eadm_is_deterministic_and_never_divides_by_zero():
    x = torch.randn(4, 8, 13, 25)
    module = EADM()
    assert torch.equal(module(x), module(x))
    # keep_prob below every attention value (>= sigmoid(0.5)) drops all
    out = EADM(keep_prob=0.5)(x)
    assert torch.isfinite(out).all()
    assert torch.count_nonzero(out) == 0


@pytest.fixture(scope='module')
def loss_fx(reference_fixture):
    fx = reference_fixture
    queue = t(fx, 'loss/queue')
    tau = float(fx['loss/temperature'])
    k = t(fx, 'loss/k')

    def logits(q):
        return torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1) / tau

    return fx, {
        name: logits(t(fx, f'loss/{name}'))
        for name in ('q', 'q_extreme', 'q_extreme_drop')
    }


def test_logits_and_infonce_match_official(loss_fx):
    fx, logits = loss_fx
    torch.testing.assert_close(logits['q'], t(fx, 'loss/logits'), atol=TOL,
                               rtol=0)
    loss = InfoNCELoss()(logits['q'])
    assert abs(loss.item() - float(fx['loss/infonce'])) < TOL


def test_d3m_matches_official(loss_fx):
    fx, logits = loss_fx
    d3m = D3MLoss()
    single = d3m(logits['q'], logits['q_extreme'])
    assert abs(single.item() - float(fx['loss/d3m_extreme'])) < TOL
    drop = d3m(logits['q'], logits['q_extreme_drop'])
    assert abs(drop.item() - float(fx['loss/d3m_extreme_drop'])) < TOL
    both = d3m(logits['q'], logits['q_extreme'], logits['q_extreme_drop'])
    assert abs(both.item() - float(fx['loss/d3m'])) < TOL
    total = InfoNCELoss()(logits['q']) + both
    assert abs(total.item() - float(fx['loss/stage1_total'])) < TOL


def test_d3m_target_is_detached(loss_fx):
    _, logits = loss_fx
    target = logits['q'].clone().requires_grad_()
    view = logits['q_extreme'].clone().requires_grad_()
    D3MLoss()(target, view).backward()
    assert target.grad is None
    assert view.grad is not None and view.grad.abs().sum() > 0


@pytest.mark.parametrize('topk', [1, 3])
def test_nnm_matches_official(loss_fx, topk):
    fx, logits = loss_fx
    ranking = [logits['q'], logits['q_extreme'], logits['q_extreme_drop']]
    mask = nearest_neighbor_positive_mask(ranking, topk)
    assert torch.equal(mask, t(fx, f'loss/topk{topk}/pos_mask'))
    nnm = NNMLoss()(logits['q'], ranking, topk=topk)
    assert abs(nnm.item() - float(fx[f'loss/topk{topk}/nnm'])) < TOL
    total = nnm + D3MLoss()(logits['q'], *ranking[1:])
    assert abs(total.item() -
               float(fx[f'loss/topk{topk}/stage2_total'])) < TOL


def test_d3m_stays_finite_in_half_precision(loss_fx):
    _, logits = loss_fx
    # log(softmax) underflows to -inf here; log_softmax does not
    half = [(v * 10).to(torch.bfloat16) for v in logits.values()]
    assert torch.isfinite(D3MLoss()(half[0], *half[1:]))
    assert torch.isfinite(NNMLoss()(half[0], half, topk=1))


def test_loss_weight_scales():
    logits = torch.randn(4, 9, dtype=torch.float64)
    assert torch.allclose(InfoNCELoss(loss_weight=2.0)(logits),
                          2 * InfoNCELoss()(logits))
    assert np.isclose(
        D3MLoss(loss_weight=0.5)(logits, logits).item(),
        0.5 * D3MLoss()(logits, logits).item())


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_eadm_decides_in_float32_for_half_precision_input(eadm_fx, dtype):
    fx, module = eadm_fx
    x = t(fx, 'eadm/x').float()
    half = x.to(dtype)
    out = module(half)
    assert out.dtype == dtype
    # the masks of the rounded input are the float32 ones of the same values
    ref = module(half.float())
    torch.testing.assert_close(out.float(), ref, atol=0.05, rtol=0.02)
    assert torch.equal(module.masks(half)[0], module.masks(half.float())[0])
