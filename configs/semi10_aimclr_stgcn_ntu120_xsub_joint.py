_base_ = './_base_/semi.py'

ann_file = 'data/skeleton/ntu120_3d.pkl'
model = dict(
    data_preprocessor=dict(stream='joint'), cls_head=dict(num_classes=120))
train_dataloader = dict(
    dataset=dict(
        ratio=0.1, dataset=dict(ann_file=ann_file, split='xsub_train')))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val'))
test_dataloader = val_dataloader
load_from = 'work_dirs/aimclr_stgcn_ntu120_xsub_joint/epoch_300.pth'
