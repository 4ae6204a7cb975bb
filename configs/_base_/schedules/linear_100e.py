# Linear evaluation (spec section 7): SGD momentum 0.9, lr 3.0, no weight
# decay, 100 epochs, lr x0.1 at epoch 80 (0.8 of the run, so it moves with
# `train_cfg.max_epochs`), batch 128 in total. Test accuracy every 5 epochs,
# as the official code prints it.
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=3.0, momentum=0.9, weight_decay=0., nesterov=False))
param_scheduler = [
    dict(
        type='FractionalMultiStepLR', by_epoch=True, milestones=[0.8],
        gamma=0.1)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# lr 3.0 is for 8 GPUs x 16 sequences; other totals scale it linearly.
auto_scale_lr = dict(enable=True, base_batch_size=128)
