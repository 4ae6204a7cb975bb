_base_ = './_base_/ntu60_2d_xsub.py'
model = dict(data_preprocessor=dict(stream='motion'))
load_from = 'work_dirs/aimclr_stgcn_ntu60_2d_xsub_motion/epoch_300.pth'
