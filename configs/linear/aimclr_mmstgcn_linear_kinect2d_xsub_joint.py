_base_ = './aimclr_mmstgcn_linear_ntu60_xsub_joint.py'

# Linear evaluation of mmaction2's STGCN as shipped, pretrained on 2D Kinect
# skeletons by configs/aimclr_mmstgcn_kinect2d_xsub_joint.py (the NTU
# 25-joint layout projected into the image, pixels, no keypoint scores):
# the input as its KNN evaluation reads it, the backbone frozen by the
# recognizer. Data set and classes come with the data (tools/study_2d.py
# sets them).
layout = 'nturgb+d'
test_pipeline_2d = [
    dict(type='PreNormalize2D'),
    dict(
        type='PreNormalizeFrame50',
        clip_len=50,
        num_person=2,
        layout=layout,
        keep_score=False),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=('frame_dir', )),
]
num_classes = 10
samples = dict(ann_file='data/skeleton/utkinect_2d.pkl',
               num_classes=num_classes, num_joints=25, num_coords=2,
               pipeline=test_pipeline_2d)
model = dict(
    data_preprocessor=dict(layout=layout, score_channel=False),
    backbone=dict(in_channels=2),
    cls_head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=samples)
val_dataloader = dict(dataset=samples)
test_dataloader = dict(dataset=samples)
load_from = 'work_dirs/aimclr_mmstgcn_kinect2d_xsub_joint/epoch_300.pth'
