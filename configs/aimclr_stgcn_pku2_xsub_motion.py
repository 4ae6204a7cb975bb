_base_ = './_base_/aimclr_pretrain.py'

model = dict(data_preprocessor=dict(stream='motion'))
train_dataloader = dict(
    dataset=dict(
        ann_file='data/skeleton/pku2_3d.pkl',
        split='xsub_train',
        num_classes=41))
