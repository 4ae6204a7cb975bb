# The paper's pretraining recipe exactly, as the official code runs it: every
# layer initialised N(0, 0.02) (BatchNorm weights N(1, 0.02)), dropout 0.5 in
# encoder blocks 2-10, a projector without normalisation, a key encoder
# initialised on its own with m = 0.999, tau = 0.07. On small data sets it
# collapses within the first epochs (docs/collapse.md); the default recipe,
# ../aimclr_stgcn_ntu60_xsub_joint.py, differs only in these values.
_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'

model = dict(
    backbone=dict(init_cfg={{_base_.official_init}}, tcn_dropout=0.5),
    neck=dict(
        init_cfg={{_base_.official_init}},
        hid_norm_cfg=None,
        out_norm_cfg=None),
    momentum=0.999,
    temperature=0.07,
    key_encoder_init='independent')
