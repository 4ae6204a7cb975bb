_base_ = './_base_/aimclr3s_pretrain.py'

train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/ntu60_3d.pkl',
        split='xview_train',
        num_classes=60))
