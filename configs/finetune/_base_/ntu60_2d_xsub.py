_base_ = ['../../_base_/finetune.py', '../../_base_/datasets/coco_2d.py']

# NTU-60 xsub, mmaction2's 2D keypoints (COCO layout, scores as the third
# channel): 60 classes.
ann_file = 'data/skeleton/ntu60_2d.pkl'
num_classes = 60
model = dict(
    data_preprocessor={{_base_.data_preprocessor_2d}},
    backbone=dict(graph_cfg={{_base_.graph_2d}}, in_channels=3),
    cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xsub_train', num_classes=num_classes,
    num_joints=17, num_coords=2, pipeline={{_base_.train_pipeline_2d}}))
val_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xsub_val', num_classes=num_classes,
    num_joints=17, num_coords=2, pipeline={{_base_.test_pipeline_2d}}))
test_dataloader = dict(dataset=dict(
    ann_file=ann_file, split='xsub_val', num_classes=num_classes,
    num_joints=17, num_coords=2, pipeline={{_base_.test_pipeline_2d}}))
