"""3s-AimCLR with cross-stream knowledge mining: the official CrosSCLR
numbers, the model's wiring, the stage hook and the per-stream export."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MessageHub

import aimclr_mm  # noqa: F401
from aimclr_mm.engine.hooks import TwoStageLossHook
from aimclr_mm.models import (CrossStreamLoss, cross_stream_logits,
                              cross_stream_positive_mask,
                              nearest_neighbor_positive_mask,
                              positive_set_loss, skeleton_stream)
from small_aimclr import SMALL_MODEL, views
from tool_module import load_tool

TOL = 1e-5
NAMES = dict(j='joint', m='motion', b='bone')
PAIRS = ['jm', 'jb', 'mj', 'mb', 'bj', 'bm']


@pytest.fixture(scope='module')
def crossstream_fixture(fixtures_dir):
    return np.load(fixtures_dir / 'crossstream_reference.npz')


def case(fx, i, dtype=torch.float64):
    prefix = f'case{i}/'
    return {
        k[len(prefix):]: torch.from_numpy(fx[k]).to(dtype)
        if fx[k].dtype == np.float64 else fx[k][()]
        for k in fx.files if k.startswith(prefix)
    }


def pair_outputs(c, pair):
    x, y = NAMES[pair[0]], NAMES[pair[1]]
    logits = cross_stream_logits(c[f'q_{x}'], c[f'k_{x}'], c[f'bank_{x}'],
                                 c[f'q_{y}'], c[f'bank_{y}'],
                                 float(c['temperature']), bool(c['context']))
    mask = cross_stream_positive_mask(c[f'q_{y}'], c[f'bank_{y}'],
                                      int(c['topk']), bool(c['context']))
    return logits, mask


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
@pytest.mark.parametrize('index', [0, 1, 2])
def test_logits_masks_and_losses_match_official(crossstream_fixture, index,
                                                dtype):
    c = case(crossstream_fixture, index, dtype)
    outputs = {}
    for pair in PAIRS:
        logits, mask = pair_outputs(c, pair)
        width = 1 + 64 * (2 if c['context'] else 1)
        assert logits.shape == mask.shape == (8, width)
        torch.testing.assert_close(logits.double(),
                                   c[f'logits_{pair}'].double(), atol=TOL,
                                   rtol=0)
        assert torch.equal(mask.double(), c[f'mask_{pair}'].double())
        outputs[pair] = (logits, mask)
    loss = CrossStreamLoss()
    for x in 'jmb':
        value = loss([outputs[p] for p in PAIRS if p[0] == x])
        assert abs(float(value) - float(c[f'loss_{NAMES[x]}'])) < TOL


def test_fixture_covers_topk_and_context(crossstream_fixture):
    # case 2 (top-3) has more positives than case 0 (top-1), and context
    # repeats the bank block of the mask
    c0, c1, c2 = (case(crossstream_fixture, i) for i in range(3))
    assert (c2['mask_jm'].sum(1) == 1 + 2 * 3).all()
    assert (c0['mask_jm'].sum(1) == 1 + 2 * 1).all()
    assert (c1['mask_jm'].sum(1) == 1 + 1).all()


def test_own_positives_are_a_union():
    g = torch.Generator().manual_seed(0)
    q_y = torch.nn.functional.normalize(torch.randn(5, 8, generator=g), dim=1)
    bank = torch.nn.functional.normalize(torch.randn(8, 12, generator=g),
                                         dim=0)
    own = torch.zeros(5, 13)
    own[:, 0] = 1
    own[:, 4] = 1  # bank entry 3 mined by the stream itself
    plain = cross_stream_positive_mask(q_y, bank, 2, context=True)
    union = cross_stream_positive_mask(q_y, bank, 2, True, own)
    assert torch.equal(union[:, :13], torch.maximum(plain[:, :13], own))
    assert torch.equal(union[:, 13:], union[:, 1:13])
    assert (union[:, 4] == 1).all() and (union[:, 16] == 1).all()


def small_3s(**kwargs):
    return MODELS.build(
        dict(type='CrossStreamAimCLR', stream_model=SMALL_MODEL, **kwargs))


def capture_contrast(model):
    """Record each stream's inputs and contrast outputs."""
    record = {}
    for stream, sub in model.streams.items():
        original = sub.contrast

        def spy(views, stream=stream, original=original):
            out = original(views)
            record[stream] = dict(views=views, **out)
            return out

        sub.contrast = spy
    return record


def test_streams_come_from_the_same_views_and_banks_line_up():
    torch.manual_seed(0)
    model = small_3s()
    record = capture_contrast(model)
    batch = views(n=4)
    losses = model.loss(batch)
    bone_pairs = model.streams['bone'].data_preprocessor.bone_pairs
    for stream in ('joint', 'motion', 'bone'):
        assert torch.equal(record[stream]['views'],
                           skeleton_stream(batch, stream, bone_pairs))
        assert f'{stream}_loss_infonce' in losses
        assert f'{stream}_loss_d3m' in losses
        assert f'{stream}_query_std' in losses
        sub = model.streams[stream]
        assert int(sub.queue.ptr) == 4
        assert torch.allclose(sub.queue.bank[:, :4].t(),
                              record[stream]['key'])
    # the three encoders and projectors are independent modules
    params = [{id(p) for p in sub.parameters()}
              for sub in model.streams.values()]
    assert not params[0] & params[1] and not params[1] & params[2]
    assert float(losses['query_std']) == min(
        float(losses[f'{s}_query_std']) for s in model.streams)


@pytest.mark.parametrize('own_neighbours', [False, True])
@pytest.mark.parametrize('context', [False, True])
def test_cross_stage_loss_mines_with_the_other_streams(own_neighbours,
                                                       context):
    torch.manual_seed(0)
    model = small_3s(topk=2, context=context, own_neighbours=own_neighbours)
    model.loss(views(n=8, seed=1))  # fill part of the banks
    model.mining = True
    model.cross_stream = True
    record = capture_contrast(model)
    losses = model.loss(views(n=4, seed=2))
    assert not any(k.endswith(('loss_nnm', 'loss_infonce')) for k in losses)
    for stream, sub in model.streams.items():
        out = record[stream]
        own = nearest_neighbor_positive_mask(
            [out['logits'], *out['extreme']], sub.topk) \
            if own_neighbours else None
        expected = []
        for other in model.streams:
            if other == stream:
                continue
            logits = cross_stream_logits(out['query'], out['key'],
                                         out['bank'], record[other]['query'],
                                         record[other]['bank'],
                                         sub.temperature, context)
            mask = cross_stream_positive_mask(record[other]['query'],
                                              record[other]['bank'], 2,
                                              context, own)
            expected.append(positive_set_loss(logits, mask))
        torch.testing.assert_close(losses[f'{stream}_loss_ckm'],
                                   sum(expected) / 2)
    # mining with a stream's own query instead gives another loss
    joint = record['joint']
    wrong = positive_set_loss(
        cross_stream_logits(joint['query'], joint['key'], joint['bank'],
                            joint['query'], joint['bank'], sub.temperature,
                            context),
        cross_stream_positive_mask(joint['query'], joint['bank'], 2,
                                   context))
    assert not torch.allclose(wrong, losses['joint_loss_ckm'])


def test_every_stream_trains_and_its_key_encoder_follows():
    torch.manual_seed(0)
    model = small_3s()
    model.mining = model.cross_stream = True
    before = {s: [p.detach().clone() for p in sub.momentum_encoder.parameters()]
              for s, sub in model.streams.items()}
    losses = model.loss(views(n=4))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    for stream, sub in model.streams.items():
        grads = [p.grad for p in sub.backbone.parameters()]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), stream
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    model.loss(views(n=4, seed=3))  # the key encoders follow the step
    for stream, sub in model.streams.items():
        after = list(sub.momentum_encoder.parameters())
        assert any(not torch.equal(a, b)
                   for a, b in zip(after, before[stream])), stream


def test_bank_sizes_must_match_and_streams_must_differ():
    with pytest.raises(ValueError, match='distinct'):
        small_3s(streams=('joint', 'joint'))
    with pytest.raises(ValueError, match="stream='joint'"):
        small_3s(data_preprocessor=dict(type='SkeletonDataPreprocessor',
                                        stream='bone'))


def test_stage_hook_sets_cross_stream_and_drops_stale_stream_losses():
    model = small_3s()
    hub = MessageHub('cross_stage')
    for s in model.streams:
        for name in ('loss_nnm', 'loss_ckm', 'loss_d3m'):
            hub.update_scalar(f'train/{s}_{name}', 1.0)
    runner = type('R', (), dict(
        model=model, epoch=150, message_hub=hub,
        logger=type('L', (), {'info': lambda *a: None})()))()
    TwoStageLossHook(start_epoch=150, flag='cross_stream',
                     losses=('loss_nnm', 'loss_ckm')).before_train_epoch(
                         runner)
    assert model.cross_stream is True and model.mining is False
    assert set(hub.log_scalars) == {
        f'train/{s}_{n}' for s in model.streams
        for n in ('loss_ckm', 'loss_d3m')}
    TwoStageLossHook(start_epoch=150).before_train_epoch(runner)
    assert all(sub.mining for sub in model.streams.values())


def test_features_concatenate_the_streams():
    torch.manual_seed(0)
    model = small_3s().eval()
    batch = views(n=3, num_views=1)
    feat = model.extract_feat(batch)
    assert feat.shape == (3, 3 * 16)
    bone_pairs = model.streams['bone'].data_preprocessor.bone_pairs
    motion = model.streams['motion'].extract_feat(
        skeleton_stream(batch, 'motion', bone_pairs))
    torch.testing.assert_close(
        feat[:, 16:32], torch.nn.functional.normalize(motion, dim=1))


CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


@pytest.mark.parametrize('name', [
    'ntu60_xsub', 'ntu60_xview', 'ntu120_xsub', 'ntu120_xset', 'pku1_xsub',
    'pku2_xsub'
])
def test_3s_configs_train_the_three_streams_on_the_joint_data(name):
    cfg = Config.fromfile(CONFIGS / f'aimclr3s_stgcn_{name}.py')
    single = Config.fromfile(CONFIGS / f'aimclr_stgcn_{name}_joint.py')
    assert cfg.model.type == 'CrossStreamAimCLR'
    assert cfg.model.stream_model == single.model
    assert cfg.model.data_preprocessor.stream == 'joint'
    assert cfg.train_dataloader == single.train_dataloader
    flags = {h.get('flag', 'mining'): h.start_fraction
             for h in cfg.custom_hooks if h.type == 'TwoStageLossHook'}
    assert flags == {'mining': 0.5, 'cross_stream': 0.5}


@pytest.mark.slow
def test_extracted_stream_loads_into_the_streams_linear_config(tmp_path):
    tools = load_tool('extract_stream')
    cfg = Config.fromfile(CONFIGS / 'aimclr3s_stgcn_ntu60_xsub.py')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(cfg.model, stream_model=dict(cfg.model.stream_model,
                                          queue_size=64)))
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'motion.pth'
    subprocess.run([
        sys.executable,
        str(tools.__file__), str(ckpt), 'motion', str(out)
    ], check=True, capture_output=True)
    linear = Config.fromfile(
        CONFIGS / 'linear' /
        'aimclr_stgcn_linear_ntu60_xsub_motion.py')
    recognizer = MODELS.build(linear.model)
    state = torch.load(out, weights_only=True)['state_dict']
    backbone = {k[len('backbone.'):]: v for k, v in state.items()
                if k.startswith('backbone.')}
    recognizer.backbone.load_state_dict(backbone, strict=True)
    for key, value in model.streams['motion'].backbone.state_dict().items():
        assert torch.equal(recognizer.backbone.state_dict()[key], value)
    # the motion stream's weights, not another stream's
    differs = [not torch.equal(value, model.streams['joint'].backbone
                               .state_dict()[key])
               for key, value in backbone.items() if value.is_floating_point()]
    assert any(differs)
    with pytest.raises(KeyError, match='the streams bone, joint, motion'):
        tools.extract_stream(model.state_dict(), 'hand')
    with pytest.raises(KeyError, match='not a 3s-AimCLR'):
        tools.extract_stream(state, 'joint')
