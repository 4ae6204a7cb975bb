_base_ = '../../_base_/semi.py'

# PKU-MMD part 2 xsub: 41 classes.
ann_file = 'data/skeleton/pku2_3d.pkl'
num_classes = 41
model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(dataset=dict(
    ann_file=ann_file, split='xsub_train', num_classes=num_classes)))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
