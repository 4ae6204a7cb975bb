_base_ = './_base_/aimclr_pretrain_2d.py'

# AimCLR with mmaction2's STGCN as shipped on 2D Kinect skeletons in the NTU
# 25-joint layout: the 3D data of tools/data/kinect_v1_to_pkl.py or
# msr_action3d_to_pkl.py projected into the image by
# tools/data/project_to_2d.py (pixels, no keypoint scores).
layout = 'nturgb+d'
frame50 = dict(clip_len=50, num_person=2, layout=layout, keep_score=False)
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
samples = dict(num_joints=25, num_coords=2)
train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/utkinect_2d.pkl',
        split='xsub_train',
        num_classes=10,
        frame50=frame50,
        pipeline=train_pipeline,
        **samples))
val_dataloader = dict(dataset=dict(pipeline=knn_pipeline, **samples))
model = dict(
    data_preprocessor=dict(layout=layout, score_channel=False),
    backbone=dict(
        _delete_=True,
        type='STGCN',
        graph_cfg=dict(
            layout={{_base_.ntu_official_layout}}, mode='stgcn_spatial'),
        in_channels=2))
