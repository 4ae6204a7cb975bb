_base_ = './aimclr_stgcn_ntu60_2d_xsub_joint.py'

# AimCLR with mmaction2's AAGCN as shipped (adaptive graph, attention, base 64
# channels, 3.77M parameters), its output width 256.
model = dict(
    backbone=dict(
        _delete_=True,
        type='AAGCN',
        graph_cfg=dict(layout={{_base_.layout}}, mode='spatial'),
        in_channels={{_base_.in_channels}}))
