_base_ = [
    './default_runtime.py', './models/aimclr_stgcn.py',
    './schedules/aimclr_pretrain_300e.py',
    './datasets/aimclr_pretrain_views.py'
]
