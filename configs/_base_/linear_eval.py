_base_ = [
    './downstream_runtime.py', './models/stgcn_gcnhead.py',
    './schedules/linear_100e.py', './datasets/skeleton_frame50.py'
]

# Linear evaluation: the encoder is frozen and stays in eval mode, so
# neither its weights nor its BatchNorm statistics move; only the linear
# classifier learns, from unaugmented sequences.
model = dict(backbone=dict(frozen=True))
train_dataloader = dict(dataset=dict(pipeline={{_base_.test_pipeline}}))
