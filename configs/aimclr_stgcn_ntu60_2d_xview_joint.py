_base_ = './_base_/aimclr_pretrain_2d.py'

train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/ntu60_2d.pkl',
        split='xview_train',
        num_classes=60))
