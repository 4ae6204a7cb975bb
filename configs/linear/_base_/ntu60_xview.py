_base_ = '../../_base_/linear_eval.py'

# NTU-60 xview: 60 classes.
ann_file = 'data/skeleton/ntu60_3d.pkl'
model = dict(cls_head=dict(num_classes=60))
train_dataloader = dict(dataset=dict(ann_file=ann_file, split='xview_train'))
val_dataloader = dict(dataset=dict(ann_file=ann_file, split='xview_val'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, split='xview_val'))
