# Pretext schedule of the paper (128 sequences per step in total).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=False))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[250], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)
# Stage 2 (nearest-neighbour mining) from the 151st epoch.
custom_hooks = [dict(type='TwoStageLossHook', start_epoch=150)]
# lr 0.1 is for 8 GPUs x 16 sequences; other totals scale it linearly.
auto_scale_lr = dict(enable=True, base_batch_size=128)
