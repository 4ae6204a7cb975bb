"""Downstream models for 2D keypoints and for mmaction2's backbones: the
2D configs build and classify, and ``FrozenBackboneRecognizerGCN`` keeps
any backbone frozen during linear evaluation."""
import glob

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

import aimclr_mm  # noqa: F401
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

from tool_module import TOOLS

REPO = TOOLS.parent

DOWNSTREAM_2D = sorted(
    glob.glob(str(REPO / 'configs' / '*' / 'aimclr_stgcn_*_ntu60_2d_*.py')))


def samples(n, num_classes=60):
    return [ActionDataSample().set_gt_labels(i % num_classes) for i in range(n)]


def test_every_2d_downstream_config_exists():
    # linear, semi1, semi10, finetune x xsub, xview x joint, motion, bone
    assert len(DOWNSTREAM_2D) == 24


@pytest.mark.parametrize('path', DOWNSTREAM_2D[::5])
def test_2d_downstream_model_classifies_coco_skeletons(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.load_from.endswith('epoch_300.pth')
    model = MODELS.build(cfg.model)
    # (N, clips, M, T, V, C): COCO joints, x, y and the keypoint score
    inputs = torch.randn(2, 1, 2, 50, 17, 3)
    scores = model(inputs, samples(2), mode='predict')
    assert scores[0].pred_scores.item.shape == (60, )


def test_frozen_backbone_recognizer_trains_only_the_head():
    register_all_modules()
    cfg = Config.fromfile(
        REPO / 'configs' / 'linear' / 'aimclr_mmstgcn_linear_ntu60_xsub_joint.py')
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    assert not model.backbone.training and model.cls_head.training
    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head = {k: v.clone() for k, v in model.cls_head.state_dict().items()}
    optim = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))
    batch = dict(inputs=list(torch.randn(4, 1, 2, 20, 25, 3)),
                 data_samples=samples(4))
    model.train_step(batch, optim)
    # weights and BatchNorm statistics of the backbone did not move
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, backbone[key]), key
    assert any(not torch.equal(v, head[k])
               for k, v in model.cls_head.state_dict().items())
    assert not any(p.requires_grad for p in model.backbone.parameters())


# linear config of an mmaction2 backbone -> the pretraining config it reads
MMACTION_BACKBONE_PAIRS = [
    ('aimclr_mmstgcn_linear_ntu60_xsub_joint.py',
     'aimclr_mmstgcn_ntu60_xsub_joint.py'),
    ('aimclr_mmstgcn_linear_kinect2d_xsub_joint.py',
     'aimclr_mmstgcn_kinect2d_xsub_joint.py'),
]


@pytest.mark.parametrize('linear,pretrain', MMACTION_BACKBONE_PAIRS)
def test_backbone_linear_config_reads_its_pretraining_encoder(
        linear, pretrain):
    """The probe sees the encoder and the input the pretraining's KNN
    evaluation saw, and the pretraining checkpoint fills its backbone."""
    register_all_modules()
    lin = Config.fromfile(REPO / 'configs' / 'linear' / linear)
    pre = Config.fromfile(REPO / 'configs' / pretrain)
    assert lin.model.type == 'FrozenBackboneRecognizerGCN'
    assert lin.model.backbone == pre.model.backbone
    for key in ('layout', 'score_channel'):
        assert lin.model.data_preprocessor.get(key) == \
            pre.model.data_preprocessor.get(key)
    knn_pipeline = pre.val_dataloader.dataset.pipeline
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = lin[name].dataset
        for key in ('num_joints', 'num_coords'):
            assert dataset.get(key) == pre.train_dataloader.dataset.get(key)
        # the same transforms with the same arguments; only the packed
        # meta keys differ (frame_dir travels with each prediction)
        assert [dict(t, meta_keys=None) for t in dataset.pipeline] == \
            [dict(t, meta_keys=None) for t in knn_pipeline]

    pretrain_model = MODELS.build(dict(pre.model, queue_size=8))
    pretrain_model.init_weights()
    model = MODELS.build(lin.model)
    missing = model.load_state_dict(pretrain_model.state_dict(),
                                    strict=False).missing_keys
    assert all(k.startswith('cls_head.') for k in missing)
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value,
                           pretrain_model.backbone.state_dict()[key]), key
