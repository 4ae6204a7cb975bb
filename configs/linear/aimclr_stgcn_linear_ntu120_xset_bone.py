_base_ = './_base_/ntu120_xset.py'
model = dict(data_preprocessor=dict(stream='bone'))
load_from = 'work_dirs/aimclr_stgcn_ntu120_xset_bone/epoch_300.pth'
