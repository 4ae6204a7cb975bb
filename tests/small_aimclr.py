"""A small AimCLR (ST-GCN of 8/16 channels, a bank of 20 keys) and random
views for it, shared by the model tests."""
from pathlib import Path

import torch
from mmengine.config import Config

CFG = Config.fromfile(
    Path(__file__).resolve().parents[1] /
    'configs/_base_/models/aimclr_stgcn.py')
SMALL_ENCODER = dict(CFG.encoder, stage_channels=(8, 8, 16, 16))
SMALL_MODEL = dict(
    CFG.model,
    backbone=SMALL_ENCODER,
    neck=dict(type='ProjectionMLP', in_channels=16, hid_channels=16,
              out_channels=8),
    feature_dim=8,
    queue_size=20)


def views(n=4, num_views=3, t=12, seed=0):
    """(n, num_views, M=2, t, V=25, C=3) random skeleton views."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, num_views, 2, t, 25, 3, generator=g)
