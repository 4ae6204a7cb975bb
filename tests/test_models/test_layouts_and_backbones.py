"""Pretraining on 2D COCO keypoint files (mmaction2's ``ntu60_2d.pkl``
format) and on 3D NTU files, with our encoder and mmaction2's ``STGCN``
and ``AAGCN``: one optimisation step of each combination, from the
configs, through the dataset, the three views and the model."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

import aimclr_mm  # noqa: F401
from mmaction.registry import DATASETS, MODELS
from mmaction.utils import register_all_modules

CONFIGS = {
    ('2d', 'ours'): 'configs/aimclr_stgcn_ntu60_2d_xsub_joint.py',
    ('2d', 'STGCN'): 'configs/aimclr_mmstgcn_ntu60_2d_xsub_joint.py',
    ('2d', 'AAGCN'): 'configs/aimclr_aagcn_ntu60_2d_xsub_joint.py',
    ('3d', 'ours'): 'configs/aimclr_stgcn_ntu60_xsub_joint.py',
    ('3d', 'STGCN'): 'configs/aimclr_mmstgcn_ntu60_xsub_joint.py',
    ('3d', 'AAGCN'): 'configs/aimclr_aagcn_ntu60_xsub_joint.py',
}


def write_file(path, dims, num=6):
    """mmaction2-style annotations: 2D in pixels of a 1920 x 1080 video,
    float16, with scores (as ``ntu60_2d.pkl``), or 3D in metres."""
    rng = np.random.default_rng(0)
    annotations = []
    for i in range(num):
        frames = int(rng.integers(30, 60))
        if dims == '2d':
            keypoint = rng.normal([960, 540], 80, (2, frames, 17, 2))
            anno = dict(
                keypoint=keypoint.astype(np.float16),
                keypoint_score=rng.uniform(0.2, 1, (2, frames, 17)).astype(
                    np.float16),
                img_shape=(1080, 1920))
        else:
            keypoint = rng.normal(0, 0.3, (2, frames, 25, 3)) + [0, 0, 3]
            anno = dict(keypoint=keypoint.astype(np.float32))
        anno.update(frame_dir=f'S001C001P{i:03d}R001A{i % 3 + 1:03d}',
                    label=i % 3, total_frames=frames)
        annotations.append(anno)
    names = [a['frame_dir'] for a in annotations]
    with open(path, 'wb') as f:
        pickle.dump(
            dict(split=dict(xsub_train=names[:4], xsub_val=names[4:]),
                 annotations=annotations), f)


@pytest.mark.parametrize('dims,backbone', sorted(CONFIGS))
def test_one_pretraining_step(tmp_path, dims, backbone):
    register_all_modules()  # as the runner does: AAGCN's initialisers
    cfg = Config.fromfile(CONFIGS[dims, backbone])
    ann_file = tmp_path / 'data.pkl'
    write_file(ann_file, dims)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(ann_file=str(ann_file), cache=False)
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[i] for i in range(4)])
    channels, joints = (3, 17) if dims == '2d' else (3, 25)
    assert batch['inputs'][0].shape == (3, 2, 50, joints, channels)
    if dims == '2d':
        # the third channel is the keypoint score, in (0, 1], on every view
        score = torch.stack(batch['inputs'])[..., 2]
        assert score.min() > 0 and score.max() <= 1

    # the backbones as configured, narrowed to keep the test short
    if backbone == 'ours':
        cfg.model.backbone.update(stage_channels=(8, 16), down_stages=(1, ))
    else:
        cfg.model.backbone.update(base_channels=4, num_stages=3,
                                  inflate_stages=[2], down_stages=[2])
    cfg.model.neck.update(in_channels=16 if backbone == 'ours' else 8)
    cfg.model.update(queue_size=8)
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert type(model.backbone).__name__ == (
        'AimCLRSTGCN' if backbone == 'ours' else backbone)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    losses = model.train_step(batch, optim_wrapper)
    assert set(losses) >= {'loss_infonce', 'loss_d3m'}
    assert all(torch.isfinite(v) for v in losses.values())
    moved = [not torch.equal(a, b)
             for a, b in zip(before, model.backbone.parameters())]
    assert sum(moved) > len(moved) // 2
    # the four keys of this step are in the bank
    assert int(model.queue.ptr) == 4


def test_a_backbone_of_another_width_is_named():
    register_all_modules()  # as the runner does: AAGCN's initialisers
    cfg = Config.fromfile(CONFIGS['3d', 'STGCN'])
    cfg.model.update(queue_size=8)
    cfg.model.backbone.update(base_channels=16)  # output width 64, not 256
    model = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='in_channels = 256'):
        model.loss(torch.randn(2, 3, 2, 20, 25, 3))
