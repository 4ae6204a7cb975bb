_base_ = ['./ntu60_xsub.py', '../../_base_/datasets/coco_2d.py']

# NTU-60 xsub (split and classes as ntu60_xsub.py) on mmaction2's 2D
# keypoints: COCO layout, scores as the third channel.
ann_file = 'data/skeleton/ntu60_2d.pkl'
model = dict(
    data_preprocessor={{_base_.data_preprocessor_2d}},
    backbone={{_base_.backbone_2d}})
train_dataloader = dict(dataset=dict(dataset=dict(
    ann_file=ann_file, num_joints=17, num_coords=2,
    pipeline={{_base_.train_pipeline_2d}})))
val_dataloader = dict(dataset=dict(
    ann_file=ann_file, num_joints=17, num_coords=2,
    pipeline={{_base_.test_pipeline_2d}}))
test_dataloader = dict(dataset=dict(
    ann_file=ann_file, num_joints=17, num_coords=2,
    pipeline={{_base_.test_pipeline_2d}}))
