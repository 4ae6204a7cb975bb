"""AimCLR's loss wiring against the paper's equations, recomputed here.

The test recomputes from the model's own encoder, projector, EADM and key
encoder, with its own code, what each loss must be (spec sections 3-5):
the normal query z_hat from view 0, the key z from view 1 through the key
encoder after this step's momentum update, the extreme query z_tilde and
z_tilde_drop from view 2, logits against the bank as it was before this
batch is enqueued, then InfoNCE, D3M and NNM. Only the behaviour is pinned:
the returned ``loss_infonce`` / ``loss_d3m`` / ``loss_nnm`` and the queue
after the step.
"""
import copy
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import aimclr_mm  # noqa: F401

init_default_scope('mmaction')
CFG = Config.fromfile(
    Path(__file__).parents[2] / 'configs/_base_/models/aimclr_stgcn.py')
MOMENTUM = 0.5  # far from 1, so that a key from the wrong encoder shows
TAU = 0.2
QUEUE_SIZE = 16
N = 3
# PyTorch's default initialisation: the official N(0, 0.02) makes the
# embeddings of this small random encoder nearly parallel.
MODEL = dict(
    CFG.model,
    backbone=dict(
        CFG.encoder,
        stage_channels=(8, 8, 16, 16),
        tcn_dropout=0,
        init_cfg=None),
    neck=dict(
        type='ProjectionMLP', in_channels=16, hid_channels=16,
        out_channels=8),
    eadm=dict(type='EADM', keep_prob=0.7),
    feature_dim=8,
    queue_size=QUEUE_SIZE,
    momentum=MOMENTUM,
    temperature=TAU,
    topk=1,
    key_encoder_init='copy')
TOL = dict(rtol=1e-5, atol=1e-5)


def distinct_views(seed=0):
    """(N, 3 views, M=2, T, V, C); every sample and view its own data, so
    that a swap of views changes the losses."""
    g = torch.Generator().manual_seed(seed)
    pose = 2 * torch.randn(N, 3, 2, 1, 25, 3, generator=g)
    return pose + 0.3 * torch.randn(N, 3, 2, 40, 25, 3, generator=g)


@torch.no_grad()
def optimiser_step(model, seed):
    """Move the query encoder as an optimiser step would."""
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        if p.requires_grad:
            p.add_(0.05 * torch.randn(p.shape, generator=g))


def build_model(warm_up=True):
    """A small model in training mode. After a warm-up step and an
    optimiser step, the key encoder differs from the query encoder."""
    torch.manual_seed(0)
    model = MODELS.build(MODEL)
    model.train()
    if warm_up:
        model.loss(distinct_views(seed=9))
        optimiser_step(model, seed=9)
    return model


@torch.no_grad()
def queries(model, x):
    """z_hat, z_tilde, z_tilde_drop (N, D), recomputed from the submodules."""

    def embed(feat):
        return F.normalize(model.neck(feat).float(), dim=1)

    z_hat = embed(model.backbone(x[:, 0]))
    feat = model.backbone(x[:, 2])  # (N, M, C, T', V)
    dropped = model.eadm(feat.flatten(0, 1)).view_as(feat)
    return z_hat, embed(feat), embed(dropped)


@torch.no_grad()
def momentum_update(model, key_encoder):
    """key = m * key + (1 - m) * query, in place on a copy of the key
    encoder (backbone + projector) taken before the step."""
    query_params = dict(
        nn.Sequential(model.backbone, model.neck).named_parameters())
    key_params = dict(key_encoder.named_parameters())
    assert key_params.keys() == query_params.keys()
    for name, param in key_params.items():
        param.mul_(MOMENTUM).add_((1 - MOMENTUM) * query_params[name])


@torch.no_grad()
def key_of(key_encoder, x):
    """The key z of view 1."""
    return F.normalize(key_encoder(x[:, 1]).float(), dim=1)


def logits(q, z, bank):
    """[z.q, m_i.q] / tau in float64: (N, 1 + K); bank (D, K)."""
    q, z, bank = q.double(), z.double(), bank.double()
    return torch.cat([(q * z).sum(1, keepdim=True), q @ bank], 1) / TAU


def infonce(l_hat):
    return (torch.logsumexp(l_hat, 1) - l_hat[:, 0]).mean()


def d3m(l_hat, *l_extreme):
    target = torch.softmax(l_hat, 1)
    terms = [(-(target * torch.log_softmax(l, 1)).sum(1)).mean()
             for l in l_extreme]
    return sum(terms) / len(terms)


def nnm(l_hat, rankings):
    """Positives: the key and, for each query, its most similar bank entry."""
    positive = torch.zeros_like(l_hat, dtype=torch.bool)
    positive[:, 0] = True
    rows = torch.arange(len(l_hat))
    for l in rankings:
        positive[rows, 1 + l[:, 1:].argmax(1)] = True
    log_p = torch.log_softmax(l_hat, 1)
    return (-(log_p * positive).sum(1) / positive.sum(1)).mean(), positive


@pytest.fixture
def step():
    """A model whose bank holds a copy of each query of the batch, so that
    z_hat, z_tilde and z_tilde_drop each rank a different entry first; and
    the reference values of one step."""
    model = build_model()
    x = distinct_views()
    z_hat, z_tilde, z_drop = queries(model, x)
    # EADM must change the embedding, else z_tilde_drop tests nothing
    assert (z_hat - z_tilde).abs().max() > 1e-2
    assert (z_tilde - z_drop).abs().max() > 1e-2
    g = torch.Generator().manual_seed(1)
    bank = F.normalize(
        torch.randn(z_hat.shape[1], QUEUE_SIZE, generator=g), dim=0)
    bank[:, 1:1 + N] = z_hat.t()
    bank[:, 5:5 + N] = z_tilde.t()
    bank[:, 9:9 + N] = z_drop.t()
    model.queue.bank.copy_(bank)
    key_encoder = copy.deepcopy(model.momentum_encoder.module)
    stale = key_of(key_encoder, x)
    momentum_update(model, key_encoder)
    z = key_of(key_encoder, x)
    # the update matters: neither the stale key encoder nor the query
    # encoder gives this key
    with torch.no_grad():
        from_query = F.normalize(model.neck(model.backbone(x[:, 1])), dim=1)
    assert (z - stale).abs().max() > 1e-3
    assert (z - from_query).abs().max() > 1e-3
    ref = dict(
        x=x,
        bank=bank,
        z=z,
        l_hat=logits(z_hat, z, bank),
        l_tilde=logits(z_tilde, z, bank),
        l_drop=logits(z_drop, z, bank))
    return model, ref


def loss_terms(losses):
    return {k: v for k, v in losses.items() if 'loss' in k}


def check_queue(model, ref):
    """The bank after the step: the batch's keys, in order, in N
    consecutive (cyclically) entries; every other entry unchanged."""
    after = model.queue.bank.detach().double()
    before = ref['bank'].double()
    changed = torch.nonzero((after - before).abs().amax(0) > 1e-6)[:, 0]
    assert len(changed) == N, changed
    start = next(int(c) for c in changed
                 if (int(c) - 1) % QUEUE_SIZE not in changed.tolist())
    order = [(start + i) % QUEUE_SIZE for i in range(N)]
    torch.testing.assert_close(after[:, order].t(), ref['z'].double(), **TOL)


def test_stage1_infonce_d3m_and_queue(step):
    model, ref = step
    losses = loss_terms(model.loss(ref['x']))
    assert set(losses) == {'loss_infonce', 'loss_d3m'}
    torch.testing.assert_close(
        losses['loss_infonce'].double(), infonce(ref['l_hat']), **TOL)
    torch.testing.assert_close(
        losses['loss_d3m'].double(),
        d3m(ref['l_hat'], ref['l_tilde'], ref['l_drop']), **TOL)
    check_queue(model, ref)


def test_stage2_nnm_d3m_and_queue(step):
    model, ref = step
    expected, positive = nnm(ref['l_hat'],
                             [ref['l_hat'], ref['l_tilde'], ref['l_drop']])
    # the three queries rank different entries first: 4 positives each
    assert positive.sum(1).tolist() == [4] * N
    # and the top entry of each ranking leads clearly, so no near-tie
    for l in (ref['l_hat'], ref['l_tilde'], ref['l_drop']):
        top2 = l[:, 1:].topk(2, dim=1).values * TAU
        assert (top2[:, 0] - top2[:, 1]).min() > 1e-4
    model.mining = True
    losses = loss_terms(model.loss(ref['x']))
    assert set(losses) == {'loss_nnm', 'loss_d3m'}
    torch.testing.assert_close(losses['loss_nnm'].double(), expected, **TOL)
    torch.testing.assert_close(
        losses['loss_d3m'].double(),
        d3m(ref['l_hat'], ref['l_tilde'], ref['l_drop']), **TOL)
    check_queue(model, ref)


def test_next_step_uses_this_steps_keys_and_encoder():
    """Step 2 ranks against the bank holding step 1's keys (a fresh queue
    fills from its first entry), with the key encoder updated twice."""
    model = build_model(warm_up=False)
    x1, x2 = distinct_views(0), distinct_views(1)
    bank = model.queue.bank.detach().clone()
    key_encoder = copy.deepcopy(model.momentum_encoder.module)
    momentum_update(model, key_encoder)
    z1 = key_of(key_encoder, x1)
    model.loss(x1)
    optimiser_step(model, seed=2)
    momentum_update(model, key_encoder)
    z2 = key_of(key_encoder, x2)
    z_hat, z_tilde, z_drop = queries(model, x2)
    bank[:, :N] = z1.t()
    l_hat = logits(z_hat, z2, bank)
    losses = loss_terms(model.loss(x2))
    torch.testing.assert_close(losses['loss_infonce'].double(),
                               infonce(l_hat), **TOL)
    torch.testing.assert_close(
        losses['loss_d3m'].double(),
        d3m(l_hat, logits(z_tilde, z2, bank), logits(z_drop, z2, bank)),
        **TOL)
    bank[:, N:2 * N] = z2.t()
    torch.testing.assert_close(model.queue.bank.detach(), bank, **TOL)
