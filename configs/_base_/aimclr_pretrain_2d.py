_base_ = './aimclr_pretrain.py'

# AimCLR on mmaction2's 2D keypoint files (``ntu60_2d.pkl``: HRNet poses,
# COCO's 17 joints, keypoint (M, T, 17, 2) in pixels and keypoint_score
# (M, T, 17)). Pixels are brought to [-1, 1] by mmaction2's PreNormalize2D,
# frame50 centres on the midpoint of the shoulders (no shoulder alignment
# in 2D), shear and rotation act in the image plane, the axis mask takes x
# or y, the spatial flip swaps COCO's left and right joints, and the
# keypoint score rides along as the third channel (mmaction2's convention
# for 2D GCNs; ``keep_score=False`` in both frame50 settings below and
# ``in_channels=2`` drop it).
layout = 'coco'
keep_score = True
in_channels = 3 if keep_score else 2
frame50 = dict(clip_len=50, num_person=2, layout=layout, keep_score=keep_score)
pre_pipeline = [dict(type='PreNormalize2D')]

# the normal view is the 3D one (shear adapts to 2D); the extreme view
# flips COCO's left and right joints
extreme_view = [
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonShear', factor=0.5),
    dict(type='SkeletonSpatialFlip', p=0.5, layout=layout),
    dict(type='SkeletonRotate', main_angle=30, other_angle=1),
    dict(type='SkeletonGaussianNoise', p=0.5, std=0.01),
    dict(type='SkeletonGaussianBlur', p=0.5, sigma_range=(0.1, 2)),
    dict(type='SkeletonAxisMask', p=0.5),
]
train_pipeline = [
    dict(
        type='SkeletonMultiView',
        views=[{{_base_.normal_view}}, {{_base_.normal_view}}, extreme_view]),
    dict(type='PackActionInputs'),
]
knn_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='PreNormalizeFrame50', **frame50),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]
samples = dict(num_joints=17, num_coords=2)

train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/ntu60_2d.pkl',
        frame50=frame50,
        pre_pipeline=pre_pipeline,
        pipeline=train_pipeline,
        **samples))
val_dataloader = dict(dataset=dict(pipeline=knn_pipeline, **samples))
model = dict(
    data_preprocessor=dict(layout=layout, score_channel=keep_score),
    backbone=dict(
        graph_cfg=dict(layout=layout, mode='stgcn_spatial'),
        in_channels=in_channels))
