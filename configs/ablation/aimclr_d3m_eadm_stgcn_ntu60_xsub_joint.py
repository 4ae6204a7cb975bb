# Table 1, "+ EADM": D3M on the extreme query and its EADM-dropped version;
# no NNM. Adding NNM gives the full model, ../aimclr_stgcn_ntu60_xsub_joint.py.
_base_ = '../aimclr_stgcn_ntu60_xsub_joint.py'

custom_hooks = []
