_base_ = './_base_/ntu60_2d_xview.py'
model = dict(data_preprocessor=dict(stream='joint'))
train_dataloader = dict(dataset=dict(ratio=0.1))
load_from = 'work_dirs/aimclr_stgcn_ntu60_2d_xview_joint/epoch_300.pth'
