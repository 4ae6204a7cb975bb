"""The encoder, projector and key encoder against the official checkpoint."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import aimclr_mm  # noqa: F401
from tool_module import load_tool

convert_official_state_dict = load_tool(
    'convert_official_checkpoint').convert_official_state_dict

CONFIG = (Path(__file__).parents[2] /
          'configs/ablation/aimclr_paper_recipe_stgcn_ntu60_xsub_joint.py')


@pytest.fixture(scope='module')
def official(fixtures_dir):
    state = torch.load(
        fixtures_dir / 'official_aimclr_checkpoint.pt', weights_only=True)
    feats = np.load(fixtures_dir / 'official_aimclr_features.npz')
    # official (N, C, T, V, M) -> mmaction2 (N, M, T, V, C)
    x = torch.from_numpy(feats['x']).permute(0, 4, 2, 3, 1).contiguous()
    return state, feats, x


@pytest.fixture(scope='module')
def cfg():
    init_default_scope('mmaction')
    return Config.fromfile(CONFIG)


def test_encoder_size_matches_official(cfg, reference_fixture):
    encoder = MODELS.build(cfg.model.backbone)
    n_params = sum(p.numel() for p in encoder.parameters())
    assert n_params == int(reference_fixture['encoder/params_without_fc'])
    model = MODELS.build(dict(cfg.model, queue_size=64))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == int(
        reference_fixture['encoder/params_aimclr_trainable'])


def test_graph_is_the_official_one(cfg, official):
    state = official[0]
    encoder = MODELS.build(cfg.model.backbone)
    for block in encoder.gcn:
        assert torch.equal(block.gcn.A, state['encoder_q.A'])


def test_converted_pretraining_checkpoint_reproduces_official_features(
        cfg, official):
    state, feats, x = official
    model = MODELS.build(dict(cfg.model, queue_size=256))
    converted = convert_official_state_dict(state)
    assert set(converted) == set(model.state_dict())
    model.load_state_dict(converted, strict=True)
    model.eval()
    with torch.no_grad():
        q_map = model.backbone(x)
        key_backbone, key_neck = model.momentum_encoder.module
        k_map = key_backbone(x)
        outputs = dict(
            q_pooled=model.neck.pool(q_map),
            k_pooled=model.neck.pool(k_map),
            q_proj=model.neck(q_map),
            k_proj=key_neck(k_map))
    for name, value in outputs.items():
        np.testing.assert_allclose(
            value.numpy(), feats[name], atol=1e-5, rtol=0, err_msg=name)
    assert torch.equal(model.queue.bank, state['queue'])
    assert int(model.queue.ptr) == int(state['queue_ptr'])


def test_converted_linear_checkpoint_reproduces_official_logits(cfg, official):
    state, feats, x = official
    linear_state = {
        k: v
        for k, v in state.items()
        if k.startswith('encoder_q.') and not k.startswith('encoder_q.fc.')
    }
    linear_state['encoder_q.fc.weight'] = torch.from_numpy(
        feats['lineval_fc_weight'])
    linear_state['encoder_q.fc.bias'] = torch.from_numpy(
        feats['lineval_fc_bias'])
    recognizer = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=cfg.model.backbone,
            cls_head=dict(type='GCNHead', num_classes=60, in_channels=256)))
    recognizer.load_state_dict(
        convert_official_state_dict(linear_state), strict=True)
    recognizer.eval()
    with torch.no_grad():
        feat, _ = recognizer.extract_feat(x[:, None])
        logits = recognizer.cls_head(feat)
    np.testing.assert_allclose(
        logits.numpy(), feats['lineval_logits'], atol=1e-5, rtol=0)


def test_conversion_copies_and_refuses_unknown_entries(official):
    state = official[0]
    converted = convert_official_state_dict(state)
    name = 'encoder_q.st_gcn_networks.9.tcn.2.weight'
    ours = converted['backbone.gcn.9.tcn.conv.weight']
    assert ours.data_ptr() != state[name].data_ptr()
    with pytest.raises(KeyError, match='unexpected_entry'):
        convert_official_state_dict(
            dict(state, unexpected_entry=torch.zeros(1)))
    with pytest.raises(KeyError, match='encoder_q'):
        convert_official_state_dict({'queue': torch.zeros(1)})
    prefixed = {f'module.{k}': v for k, v in state.items()}
    assert set(convert_official_state_dict(prefixed)) == set(converted)
