_base_ = './_base_/aimclr_pretrain.py'
