# Pretext schedule of the paper (128 sequences per step in total).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=False))
# The lr decay (epoch 250 of 300) and the stage switch (epoch 151) are
# fractions of the run, so `train_cfg.max_epochs=100` keeps their shape:
# lr x0.1 from epoch 84, mining from epoch 51.
param_scheduler = [
    dict(
        type='FractionalMultiStepLR',
        by_epoch=True,
        milestones=[5 / 6],
        gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)
# Stage 2 (nearest-neighbour mining) from the 151st epoch of 300.
custom_hooks = [dict(type='TwoStageLossHook', start_fraction=0.5)]
# lr 0.1 is for 8 GPUs x 16 sequences; other totals scale it linearly.
auto_scale_lr = dict(enable=True, base_batch_size=128)
