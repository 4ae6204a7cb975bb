# Downstream data: one frame50 clip per sequence. ``frame_dir`` travels with
# each prediction, so dumped scores of different streams can be matched
# sample by sample.
# mmaction2's PoseDataset that unpickles only data and checks every sample
# (NTU layout: 25 joints, 3 coordinates; labels < num_classes) when it is
# built; on_invalid='skip' leaves bad samples out.
dataset_type = 'SkeletonPoseDataset'
ann_file = 'data/skeleton/ntu60_3d.pkl'
num_classes = 60
test_pipeline = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=('frame_dir', )),
]
# The normal augmentations T of the pretext task, for the protocols that
# train the encoder.
train_pipeline = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonShear', factor=0.5),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=('frame_dir', )),
]

# Per-GPU batch for 8 GPUs (8 x 16 = 128). Training workers start afresh
# every epoch, seeded from the main process, so that --resume is exact.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=False,
    worker_init_fn=dict(type='seed_worker'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        split='xsub_train',
        num_classes=num_classes,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        split='xsub_val',
        num_classes=num_classes,
        pipeline=test_pipeline,
        test_mode=True))
# A copy: `--cfg-options val_dataloader.*` (tested during training) and
# `test_dataloader.*` (tools/test.py) are separate options.
test_dataloader = dict(val_dataloader)

val_evaluator = [dict(type='AccMetric')]
test_evaluator = val_evaluator
