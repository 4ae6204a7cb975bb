# The official NTU RGB+D graph: as mmaction2's 'nturgb+d' layout, except that
# the hand tip and thumb are chained (22-23-8, 24-25-12, 1-based) rather than
# both joined to the hand. 0-based pairs, centre joint 21 (spine-shoulder).
ntu_official_layout = dict(
    num_node=25,
    inward=[(0, 1), (1, 20), (2, 20), (3, 2), (4, 20), (5, 4), (6, 5), (7, 6),
            (8, 20), (9, 8), (10, 9), (11, 10), (12, 0), (13, 12), (14, 13),
            (15, 14), (16, 0), (17, 16), (18, 17), (19, 18), (21, 22),
            (22, 7), (23, 24), (24, 11)],
    center=20)

# The official initialisation: conv and linear weights N(0, 0.02), BatchNorm
# weights N(1, 0.02), biases 0. Given to the encoder, it applies to every
# layer of it.
official_init = [
    dict(type='Normal', layer=['Conv2d', 'Linear'], std=0.02, bias=0),
    dict(
        type='Normal',
        layer=['BatchNorm1d', 'BatchNorm2d'],
        mean=1.0,
        std=0.02,
        bias=0)
]

# ST-GCN encoder of the paper: 821,380 parameters. The default recipe keeps
# mmaction2's initialisation and no dropout; the paper's are `official_init`
# and tcn_dropout=0.5 (configs/ablation/aimclr_paper_recipe_*.py).
encoder = dict(
    type='AimCLRSTGCN',
    graph_cfg=dict(layout=ntu_official_layout, mode='stgcn_spatial'),
    in_channels=3,
    stage_channels=(16, 16, 16, 16, 32, 32, 32, 64, 64, 256),
    down_stages=(5, 8),
    tcn_dropout=0.0)

# The default pretraining recipe. The paper's recipe collapses on small data
# sets: every embedding becomes one vector within a few iterations
# (docs/collapse.md). Against that, and otherwise as the paper:
# - BatchNorm in the projector, a non-affine one on its output, so that no
#   batch can map to a single vector;
# - mmaction2's initialisation instead of N(0, 0.02) everywhere;
# - a key encoder that starts as a copy of the query encoder (MoCo) and
#   follows it with m = 0.99;
# - temperature 0.2 and no dropout in the encoder.
# Each is needed: putting back any one of the paper's values costs 4 to 35
# KNN points on UTKinect-Action3D (docs/real_data_study.md, the recipe
# ablation).
model = dict(
    type='AimCLR',
    data_preprocessor=dict(
        type='SkeletonDataPreprocessor', stream='joint', layout='nturgb+d'),
    backbone=encoder,
    neck=dict(
        type='ProjectionMLP',
        in_channels=256,
        hid_channels=256,
        out_channels=128,
        hid_norm_cfg=dict(type='BN1d'),
        out_norm_cfg=dict(type='BN1d', affine=False)),
    eadm=dict(type='EADM', keep_prob=0.7, e_lambda=1e-4),
    loss_infonce=dict(type='InfoNCELoss', loss_weight=1.0),
    loss_d3m=dict(type='D3MLoss', loss_weight=1.0),
    loss_nnm=dict(type='NNMLoss', loss_weight=1.0),
    queue_size=32768,
    feature_dim=128,
    momentum=0.99,
    temperature=0.2,
    topk=1,
    key_encoder_init='copy')
