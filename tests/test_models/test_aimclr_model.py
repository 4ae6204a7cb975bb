"""AimCLR model pieces: queue, momentum encoder, streams, stages, ablations."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmaction.datasets.transforms import JointToBone, ToMotion
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

import aimclr_mm  # noqa: F401
from aimclr_mm.engine.hooks import TwoStageLossHook
from aimclr_mm.models import KeyQueue, MomentumEncoder, skeleton_stream
from small_aimclr import SMALL_MODEL, views

init_default_scope('mmaction')


def test_queue_wraps_around_for_any_batch_size():
    queue = KeyQueue(feature_dim=4, size=10)
    assert torch.allclose(queue.bank.norm(dim=0), torch.ones(10))
    written = []
    for batch in (3, 4, 5, 1):
        keys = torch.randn(batch, 4)
        queue.enqueue(keys)
        written.append(keys)
    # 13 keys into 10 slots: the last 10 are in the bank, oldest overwritten
    last = torch.cat(written)[-10:]
    ptr = int(queue.ptr)
    assert ptr == 13 % 10
    order = [(ptr + i) % 10 for i in range(10)]
    assert torch.equal(queue.bank[:, order].t(), last)
    # a batch larger than the bank keeps its newest keys
    big = torch.randn(25, 4)
    queue.enqueue(big)
    assert set(map(tuple, queue.bank.t().tolist())) == set(
        map(tuple, big[-10:].tolist()))


def test_momentum_encoder_update_and_buffers():
    query = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    key = MomentumEncoder(query, momentum=0.9)
    with torch.no_grad():
        query[0].weight.fill_(1.0)
        key.module[0].weight.fill_(0.0)
    key.update_parameters(query)  # first step copies (MoCo)
    assert torch.equal(key.module[0].weight, query[0].weight)
    with torch.no_grad():
        query[0].weight.fill_(2.0)
        query[1].running_mean.fill_(5.0)
    key.update_parameters(query)
    assert torch.allclose(key.module[0].weight, torch.full((3, 3), 1.1))
    # BatchNorm statistics are the key encoder's own
    assert torch.equal(key.module[1].running_mean, torch.zeros(3))
    assert not any(p.requires_grad for p in key.parameters())

    own = MomentumEncoder(query, momentum=0.9, copy_init=False)
    with torch.no_grad():
        own.module[0].weight.fill_(0.0)
    own.update_parameters(query)
    assert torch.allclose(own.module[0].weight, torch.full((3, 3), 0.2))


def test_key_encoder_initialisation_modes():
    model = MODELS.build(dict(SMALL_MODEL, key_encoder_init='independent'))
    model.init_weights()
    q = model.backbone.gcn[1].tcn.conv.weight
    k = model.momentum_encoder.module[0].gcn[1].tcn.conv.weight
    assert not torch.equal(q, k)
    model.loss(views())
    # one momentum step from different starting points
    assert not torch.allclose(q, k)

    model = MODELS.build(dict(SMALL_MODEL, key_encoder_init='copy'))
    model.init_weights()
    model.loss(views())
    q = model.backbone.gcn[1].tcn.conv.weight
    k = model.momentum_encoder.module[0].gcn[1].tcn.conv.weight
    assert torch.equal(q, k)
    with pytest.raises(ValueError, match='key_encoder_init'):
        MODELS.build(dict(SMALL_MODEL, key_encoder_init='random'))


@pytest.mark.parametrize('stream', ['motion', 'bone'])
def test_streams_match_mmaction_transforms(stream):
    x = np.random.default_rng(0).normal(size=(2, 10, 25, 3)).astype('f4')
    if stream == 'bone':
        ref = JointToBone(dataset='nturgb+d').transform(
            dict(keypoint=x))['keypoint']
        pairs = JointToBone(dataset='nturgb+d').pairs
    else:
        to_motion = ToMotion(source='keypoint', target='keypoint')
        ref = to_motion.transform(dict(keypoint=x))['keypoint']
        pairs = None
    out = skeleton_stream(torch.from_numpy(x), stream, pairs)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
    with pytest.raises(ValueError, match='stream'):
        skeleton_stream(torch.from_numpy(x), 'velocity')


def test_data_preprocessor_applies_stream_per_view():
    pre = MODELS.build(dict(type='SkeletonDataPreprocessor', stream='motion'))
    inputs = [views(1)[0] for _ in range(2)]
    out = pre(dict(inputs=inputs, data_samples=None))['inputs']
    assert out.shape == (2, 3, 2, 12, 25, 3)
    expected = torch.stack(inputs)[..., 1:, :, :] - torch.stack(
        inputs)[..., :-1, :, :]
    assert torch.allclose(out[..., :-1, :, :], expected)
    assert torch.count_nonzero(out[..., -1, :, :]) == 0


STATS = {'query_std', 'key_cos', 'logit_pos', 'logit_neg'}


def test_loss_terms_follow_stage_and_ablation_switches():
    model = MODELS.build(SMALL_MODEL)
    losses = model.loss(views())
    assert set(losses) == {'loss_infonce', 'loss_d3m'} | STATS
    model.mining = True
    losses = model.loss(views())
    assert set(losses) == {'loss_nnm', 'loss_d3m'} | STATS
    assert all(torch.isfinite(v) for v in losses.values())

    # SkeletonCLR: two views, InfoNCE only
    model = MODELS.build(dict(SMALL_MODEL, eadm=None, loss_d3m=None))
    assert set(model.loss(views(num_views=2))) == {'loss_infonce'} | STATS
    with pytest.raises(ValueError, match='at least 3 views'):
        MODELS.build(SMALL_MODEL).loss(views(num_views=2))


def test_eadm_changes_d3m_and_gradients_reach_query_encoder_only():
    x = views(t=50)
    torch.manual_seed(0)
    # a low threshold so that this small random encoder drops something
    with_eadm = MODELS.build(
        dict(SMALL_MODEL, eadm=dict(type='EADM', keep_prob=0.64)))
    feat = with_eadm.backbone(x[:, 2]).flatten(0, 1)
    assert with_eadm.eadm.masks(feat)[1].mean() < 1
    without = MODELS.build(dict(SMALL_MODEL, eadm=None))
    without.load_state_dict(with_eadm.state_dict())
    with_eadm.eval(), without.eval()
    a = with_eadm.loss(x)['loss_d3m']
    b = without.loss(x)['loss_d3m']
    assert not torch.isclose(a, b)
    a.backward()
    assert with_eadm.backbone.gcn[0].gcn.conv.weight.grad is not None
    assert all(p.grad is None
               for p in with_eadm.momentum_encoder.parameters())


def test_queue_receives_keys_each_step():
    model = MODELS.build(SMALL_MODEL)
    before = model.queue.bank.clone()
    model.loss(views(n=6))
    assert int(model.queue.ptr) == 6
    changed = (model.queue.bank != before).any(dim=0)
    assert changed[:6].all() and not changed[6:].any()
    assert torch.allclose(model.queue.bank[:, :6].norm(dim=0), torch.ones(6))


class _Runner:

    def __init__(self, model, epoch):
        from mmengine.logging import MessageHub
        self.model, self.epoch = model, epoch
        self.logger = type('L', (), {'info': lambda *a: None})()
        self.message_hub = MessageHub(f'two_stage_{epoch}')
        for name in ('train/loss_infonce', 'train/loss_nnm'):
            self.message_hub.update_scalar(name, 1.0)


@pytest.mark.parametrize('epoch, mining', [(0, False), (149, False),
                                           (150, True), (299, True)])
def test_two_stage_hook_sets_stage_from_epoch(epoch, mining):
    model = MODELS.build(SMALL_MODEL)
    # a resumed run starts from any epoch with the flag at its default
    runner = _Runner(model, epoch)
    TwoStageLossHook(start_epoch=150).before_train_epoch(runner)
    assert model.mining is mining
    # only the loss of the current stage keeps a log history
    logged = set(runner.message_hub.log_scalars)
    assert logged == {'train/loss_nnm' if mining else 'train/loss_infonce'}


def test_predict_attaches_pooled_features():
    from mmaction.structures import ActionDataSample
    model = MODELS.build(SMALL_MODEL).eval()
    x = views(n=2, num_views=1)
    samples = model.predict(x, [ActionDataSample() for _ in range(2)])
    feats = torch.stack([s.feature for s in samples])
    assert feats.shape == (2, 16)
    assert torch.allclose(feats, model.extract_feat(x))
    assert torch.allclose(model(x, mode='tensor'), feats)


def test_contrastive_logits_stay_float32_under_bfloat16_autocast():
    model = MODELS.build(SMALL_MODEL)
    seen = []
    infonce = model.loss_infonce.forward

    def spy(logits):
        seen.append(logits.dtype)
        return infonce(logits)

    model.loss_infonce.forward = spy
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(views())
    assert seen == [torch.float32]
    assert all(v.dtype == torch.float32 for v in losses.values())
    # the bank keeps float32 keys
    assert model.queue.bank.dtype == torch.float32


def test_deferred_enqueue_keeps_bank_of_step_and_checkpoint():
    """A step's logits use the bank before its keys; the keys are written
    without copying the bank, before the next step and before a save."""
    torch.manual_seed(0)
    model = MODELS.build(SMALL_MODEL)
    bank = model.queue._buffers['bank']
    before = bank.clone()
    losses = model.loss(views(n=6))
    # pending: the bank autograd holds is untouched until the backward
    assert torch.equal(bank, before)
    sum(losses.values()).backward()
    state = model.state_dict()
    assert int(state['queue.ptr']) == 6
    assert not torch.equal(state['queue.bank'][:, :6], before[:, :6])
    assert torch.equal(state['queue.bank'][:, 6:], before[:, 6:])
    assert model.queue._buffers['bank'] is bank  # written in place
    # a loaded state replaces the pending keys of the state it replaces
    model.loss(views(n=4, seed=1))
    model.load_state_dict(state)
    assert torch.equal(model.queue.bank, state['queue.bank'])
    assert int(model.queue.ptr) == 6


def test_logits_see_previous_keys_only():
    torch.manual_seed(0)
    model = MODELS.build(dict(SMALL_MODEL, loss_d3m=None, eadm=None))
    seen = []
    logits = model._logits

    def spy(query, key, bank):
        seen.append(bank.clone())
        return logits(query, key, bank)

    model._logits = spy
    first = model.loss(views(n=3, num_views=2))
    sum(first.values()).backward()
    keys = model.queue.bank[:, :3].clone()
    model.loss(views(n=3, num_views=2, seed=1))
    assert not torch.equal(seen[0][:, :3], keys)
    assert torch.equal(seen[1][:, :3], keys)
