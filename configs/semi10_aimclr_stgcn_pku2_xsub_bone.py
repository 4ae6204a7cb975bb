_base_ = './_base_/semi.py'

ann_file = 'data/skeleton/pku2_3d.pkl'
num_classes = 41
model = dict(
    data_preprocessor=dict(stream='bone'),
    cls_head=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(
        ratio=0.1,
        dataset=dict(
            ann_file=ann_file,
            split='xsub_train',
            num_classes=num_classes)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = val_dataloader
load_from = 'work_dirs/aimclr_stgcn_pku2_xsub_bone/epoch_300.pth'
