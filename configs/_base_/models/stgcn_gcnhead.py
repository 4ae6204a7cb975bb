_base_ = './aimclr_stgcn.py'

# Downstream model: mmaction2's RecognizerGCN with the pretraining encoder
# (its weights under ``backbone.`` in both) and a linear GCNHead on the
# pooled 256-d feature. ``average_clips='score'`` keeps raw class scores,
# which are what the paper's 3-stream fusion adds.
model = dict(
    _delete_=True,
    type='RecognizerGCN',
    data_preprocessor=dict(
        type='SkeletonDataPreprocessor', stream='joint', layout='nturgb+d'),
    backbone={{_base_.encoder}},
    cls_head=dict(
        type='GCNHead', num_classes=60, in_channels=256,
        average_clips='score'))
