# Downstream data of mmaction2's 2D keypoint files (``ntu60_2d.pkl``: COCO's
# 17 joints in pixels, with keypoint scores): PreNormalize2D to [-1, 1],
# frame50 centred on the shoulders' midpoint, the score as the third
# channel. The 2D dataset bases take these values by name over the 3D ones
# of the same split.
layout_2d = 'coco'
test_pipeline_2d = [
    dict(type='PreNormalize2D'),
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2,
         layout=layout_2d),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=('frame_dir', )),
]
# the normal augmentations T, in the image plane
train_pipeline_2d = [
    dict(type='PreNormalize2D'),
    dict(type='PreNormalizeFrame50', clip_len=50, num_person=2,
         layout=layout_2d),
    dict(type='SkeletonTemporalCrop', padding_ratio=6),
    dict(type='SkeletonShear', factor=0.5),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs', meta_keys=('frame_dir', )),
]
data_preprocessor_2d = dict(layout=layout_2d, score_channel=True)
backbone_2d = dict(
    graph_cfg=dict(layout=layout_2d, mode='stgcn_spatial'), in_channels=3)
