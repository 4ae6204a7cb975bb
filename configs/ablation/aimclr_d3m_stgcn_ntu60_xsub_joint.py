# Table 1, "normal and extreme augmentations with D3M": no EADM, no NNM.
_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'

model = dict(eadm=None)
custom_hooks = []
