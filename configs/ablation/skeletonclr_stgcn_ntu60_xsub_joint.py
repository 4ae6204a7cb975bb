# Table 1, "normal augmentations only" (SkeletonCLR): query and key both from
# the normal augmentations, InfoNCE alone.
_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'

model = dict(eadm=None, loss_d3m=None)
custom_hooks = []
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='SkeletonMultiView',
            views=[{{_base_.normal_view}}, {{_base_.normal_view}}]),
        dict(type='PackActionInputs'),
    ]))
