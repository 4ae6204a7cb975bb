_base_ = [
    './default_runtime.py', './models/aimclr_stgcn.py',
    './schedules/aimclr_pretrain_300e.py',
    './datasets/aimclr_pretrain_views.py'
]

# KNN evaluation of the encoder every 10 epochs: KNN top-1 against epochs
# (the paper's Fig. 3) in the log and in vis_data/scalars.json. KNNValLoop
# takes the annotation file and training split (the bank) from
# train_dataloader and classifies its '_val' split ('xsub_train' ->
# 'xsub_val'). `tools/train.py --no-validate` pretrains without it.
knn_pipeline = [
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs'),
]
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KNNDataset',
        ann_file=None,
        bank_split=None,
        pipeline=knn_pipeline))
val_evaluator = dict(type='KNNMetric', ks=(1, 10, 20, 200))

# Embedding statistics (query_std, key_cos, logit_pos, logit_neg) are logged
# every iteration; the monitor warns once when the embeddings have collapsed
# (docs/collapse.md). `--cfg-options default_hooks.collapse_monitor.stop=True`
# stops such a run instead. A default hook, so the ablations keep it.
default_hooks = dict(collapse_monitor=dict(type='CollapseMonitorHook'))
val_cfg = dict(type='KNNValLoop')
train_cfg = dict(val_interval=10)
