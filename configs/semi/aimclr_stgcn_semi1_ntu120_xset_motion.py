_base_ = './_base_/ntu120_xset.py'
model = dict(data_preprocessor=dict(stream='motion'))
train_dataloader = dict(dataset=dict(ratio=0.01))
load_from = 'work_dirs/aimclr_stgcn_ntu120_xset_motion/epoch_300.pth'
