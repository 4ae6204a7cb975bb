_base_ = '../../_base_/linear_eval.py'

# PKU-MMD part 1 xsub: 51 classes.
ann_file = 'data/skeleton/pku1_3d.pkl'
num_classes = 51
model = dict(cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xsub_train', num_classes=num_classes))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, split='xsub_val', num_classes=num_classes))
