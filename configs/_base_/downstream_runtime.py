_base_ = './default_runtime.py'

# Downstream runs test every ``val_interval`` epochs and keep the checkpoint
# with the best top-1 besides the last ones.
default_hooks = dict(
    checkpoint=dict(interval=5, save_best='acc/top1', rule='greater'))
# ``load_from`` must give the encoder: reports what was loaded and fails if
# the encoder's weights are not in the checkpoint.
custom_hooks = [dict(type='PretrainedEncoderCheckHook')]
