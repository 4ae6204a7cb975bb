_base_ = '../../_base_/semi.py'

# NTU-120 xsub: 120 classes.
ann_file = 'data/skeleton/ntu120_3d.pkl'
model = dict(cls_head=dict(num_classes=120))
train_dataloader = dict(
    dataset=dict(dataset=dict(ann_file=ann_file, split='xsub_train')))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split='xsub_val'))
