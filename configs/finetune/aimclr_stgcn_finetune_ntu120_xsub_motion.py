_base_ = './_base_/ntu120_xsub.py'
model = dict(data_preprocessor=dict(stream='motion'))
load_from = 'work_dirs/aimclr_stgcn_ntu120_xsub_motion/epoch_300.pth'
