default_scope = 'mmaction'
custom_imports = dict(imports=['aimclr_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # written by rename, the oldest deleted after; non-finite weights refused
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    # stops training at the first NaN/Inf loss term or parameter
    finite_check=dict(type='FiniteCheckHook'),
    # random states in every checkpoint, so that --resume is exact
    random_states=dict(type='RandomStateHook'))

# ``tools/train.py`` and ``tools/test.py`` switch the backend to gloo (and
# drop the DDP ``device_ids``) when CUDA is not available.
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
