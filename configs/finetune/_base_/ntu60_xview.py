_base_ = '../../_base_/finetune.py'

# NTU-60 xview: 60 classes.
ann_file = 'data/skeleton/ntu60_3d.pkl'
num_classes = 60
model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xview_train', num_classes=num_classes))
val_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xview_val', num_classes=num_classes))
test_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xview_val', num_classes=num_classes))
