_base_ = './_base_/pku1_xsub.py'
model = dict(data_preprocessor=dict(stream='bone'))
load_from = 'work_dirs/aimclr_stgcn_pku1_xsub_bone/epoch_300.pth'
