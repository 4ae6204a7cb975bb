# Normal augmentations T (query x_hat and key x each draw their own) and
# extreme augmentations T' (query x_tilde), in the official order. The paper
# also lists temporal flip: append dict(type='SkeletonTemporalFlip', p=0.5)
# to extreme_view to use it.
normal_view = [
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonShear', factor=0.5),
]
extreme_view = [
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonShear', factor=0.5),
    dict(type='SkeletonSpatialFlip', p=0.5, layout='nturgb+d'),
    dict(type='SkeletonRotate', main_angle=30, other_angle=1),
    dict(type='SkeletonGaussianNoise', p=0.5, std=0.01),
    dict(type='SkeletonGaussianBlur', p=0.5, sigma_range=(0.1, 2)),
    dict(type='SkeletonAxisMask', p=0.5),
]

train_pipeline = [
    # views stacked as [normal query, key, extreme query]
    dict(
        type='SkeletonMultiView',
        views=[normal_view, normal_view, extreme_view]),
    dict(type='PackActionInputs'),
]

# Per-GPU batch for 8 GPUs (8 x 16 = 128). Workers start afresh every epoch,
# seeded from the main process's random state (in every checkpoint), so that
# a resumed run draws the augmentations of the uninterrupted one.
# frame50 runs once per data set in Frame50PoseDataset, not per sample and
# epoch, cached beside the annotation file; train_dataloader.dataset.cache=
# False recomputes it in memory at each start instead.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=False,
    worker_init_fn=dict(type='seed_worker'),
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # SkeletonPoseDataset (unpickles only data, checks every sample: NTU
    # layout, 25 joints, 3 coordinates, labels < num_classes; on_invalid=
    # 'skip' leaves bad samples out) with frame50 done once.
    dataset=dict(
        type='Frame50PoseDataset',
        ann_file='data/skeleton/ntu60_3d.pkl',
        split='xsub_train',
        num_classes=60,
        frame50=dict(clip_len=50, num_person=2),
        cache=True,
        pipeline=train_pipeline))
