_base_ = './_base_/ntu60_2d_xview.py'
model = dict(data_preprocessor=dict(stream='bone'))
train_dataloader = dict(dataset=dict(ratio=0.01))
load_from = 'work_dirs/aimclr_stgcn_ntu60_2d_xview_bone/epoch_300.pth'
