_base_ = './_base_/aimclr3s_pretrain.py'
