_base_ = './aimclr_stgcn_ntu60_xsub_joint.py'

# AimCLR with mmaction2's STGCN as shipped (base 64 channels, 10 stages, 3.1M
# parameters), its output width 256.
model = dict(
    backbone=dict(
        _delete_=True,
        type='STGCN',
        graph_cfg=dict(
            layout={{_base_.ntu_official_layout}}, mode='stgcn_spatial'),
        in_channels=3))
