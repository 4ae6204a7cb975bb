_base_ = './_base_/aimclr_pretrain.py'

model = dict(data_preprocessor=dict(stream='bone'))
train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/ntu120_3d.pkl',
        split='xsub_train',
        num_classes=120))
