# 3s-AimCLR with the cross-stream knowledge mining of 3s-CrosSCLR (the
# paper's rows marked §): joint, motion and bone AimCLR models trained
# together on the same augmented views; the streams are derived from them in
# the model, so the data pipeline runs once for all three.
_base_ = './aimclr_pretrain.py'

stream_model = {{_base_.model}}
model = dict(
    _delete_=True,
    type='CrossStreamAimCLR',
    # joint views in; each stream model derives its own stream
    data_preprocessor=dict(
        type='SkeletonDataPreprocessor', stream='joint', layout='nturgb+d'),
    stream_model=stream_model,
    streams=('joint', 'motion', 'bone'),
    # CrosSCLR's values: one neighbour per other stream, with context
    topk=1,
    context=True,
    # the cross-stream positives are added to each stream's own NNM
    # positives; False is CrosSCLR's positive set exactly
    own_neighbours=True,
    loss_ckm=dict(type='CrossStreamLoss', loss_weight=1.0),
    layout='nturgb+d')
# AimCLR's NNM and CrosSCLR's cross-stream stage both start at epoch 151 of
# 300 (CrosSCLR's cross_epoch=150, 1-based); fractions of the run, so a
# shorter run keeps the shape.
custom_hooks = [
    dict(type='TwoStageLossHook', start_fraction=0.5),
    dict(
        type='TwoStageLossHook',
        start_fraction=0.5,
        flag='cross_stream',
        losses=('loss_nnm', 'loss_ckm')),
]
