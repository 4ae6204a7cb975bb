_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'
# The same views augmented on the batch's device by the data preprocessor
# (batched torch versions of the same transforms, one draw per sample, the
# same distributions) instead of in the data pipeline, so that a GPU run
# needs few loader workers. The data pipeline only packs frame50 sequences.
# Any pretraining config switches the same way with these lines.
train_dataloader = dict(
    num_workers=2, dataset=dict(pipeline=[dict(type='PackActionInputs')]))
model = dict(
    data_preprocessor=dict(augment_views=[
        {{_base_.normal_view}}, {{_base_.normal_view}},
        {{_base_.extreme_view}}
    ]))
