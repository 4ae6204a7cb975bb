# Finetuning: the whole model (encoder initialised from the pretraining
# checkpoint, new linear classifier) trains in train mode, with the normal
# augmentations T. The official finetuning code keeps the model in eval
# mode while training (no dropout, BatchNorm statistics frozen at their
# pretraining values); that is not reproduced here.
_base_ = [
    './downstream_runtime.py', './models/stgcn_gcnhead.py',
    './schedules/finetune_100e.py', './datasets/skeleton_frame50.py'
]
