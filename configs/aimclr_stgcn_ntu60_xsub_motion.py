_base_ = './_base_/aimclr_pretrain.py'

model = dict(data_preprocessor=dict(stream='motion'))
