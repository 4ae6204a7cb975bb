_base_ = './_base_/aimclr_pretrain_2d.py'

model = dict(data_preprocessor=dict(stream='bone'))
train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/ntu60_2d.pkl',
        split='xsub_train',
        num_classes=60))
