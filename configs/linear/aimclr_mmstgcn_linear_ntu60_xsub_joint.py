_base_ = './_base_/ntu60_xsub.py'

# Linear evaluation of mmaction2's STGCN as shipped, pretrained by
# configs/aimclr_mmstgcn_ntu60_xsub_joint.py: the same protocol, the
# backbone frozen by the recognizer (mmaction2's STGCN has no frozen
# option); its output width is 256, as the head's in_channels says.
model = dict(
    type='FrozenBackboneRecognizerGCN',
    data_preprocessor=dict(stream='joint'),
    backbone=dict(
        _delete_=True,
        type='STGCN',
        graph_cfg=dict(
            layout={{_base_.ntu_official_layout}}, mode='stgcn_spatial'),
        in_channels=3),
    cls_head=dict(in_channels=256))
load_from = 'work_dirs/aimclr_mmstgcn_ntu60_xsub_joint/epoch_300.pth'
