# Table 1, "extreme augmentations only": query and key both come from the
# extreme augmentations, InfoNCE alone.
_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'

model = dict(eadm=None, loss_d3m=None)
custom_hooks = []
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='SkeletonMultiView',
            views=[{{_base_.extreme_view}}, {{_base_.extreme_view}}]),
        dict(type='PackActionInputs'),
    ]))
