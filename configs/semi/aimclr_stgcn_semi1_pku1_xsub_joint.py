_base_ = './_base_/pku1_xsub.py'
model = dict(data_preprocessor=dict(stream='joint'))
train_dataloader = dict(dataset=dict(ratio=0.01))
load_from = 'work_dirs/aimclr_stgcn_pku1_xsub_joint/epoch_300.pth'
