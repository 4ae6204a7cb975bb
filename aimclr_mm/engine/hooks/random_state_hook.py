from functools import partial
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmaction.registry import HOOKS
from ..runner.randomness import capture_random_states, restore_random_states


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Makes a resumed run continue exactly as the uninterrupted one.

    mmengine's checkpoints keep only the seed, and its resume re-seeds from
    it, so a resumed run would redraw from the seed's start.

    Every checkpoint gets ``checkpoint['random_states']``: Python
    ``random``, numpy's global state, torch's CPU and CUDA states and the
    training sampler's seed (mmengine draws a new one per launch when
    ``randomness.seed`` is unset; the epoch is set from the loop). A resumed
    run (one that starts past epoch/iteration 0) sets them back before
    training, after mmengine's own re-seeding. Validation runs between
    save and restore points are made neutral: the states are saved before
    it and set back after, so validating (or not) leaves training's random
    draws unchanged.

    Exact for checkpoints written at the end of an epoch. Dataloader
    workers are reproduced when they start afresh every epoch
    (``persistent_workers=False``) and are seeded from the main process
    (:func:`~aimclr_mm.engine.runner.seed_worker`, or mmengine's default);
    persistent workers keep a random state no checkpoint holds, which is
    reported on resume.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._loaded: Optional[Dict] = None
        self._before_val: Optional[Dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # A checkpoint saved during validation (e.g. with save_best) holds
        # the states training continues from.
        states = self._before_val or capture_random_states()
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        seed = getattr(sampler, 'seed', None)
        checkpoint['random_states'] = dict(
            states, sampler_seed=int(seed) if seed is not None else None)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('random_states')

    def before_train(self, runner) -> None:
        states, self._loaded = self._loaded, None
        if runner.epoch == 0 and runner.iter == 0:
            return  # trained from scratch or from `load_from`, not resumed
        if states is None:
            runner.logger.warning(
                'RandomStateHook: the resumed checkpoint holds no random '
                'states; the run continues with freshly seeded ones and '
                'will not reproduce the uninterrupted run.')
            return
        problem = restore_random_states(states)
        restored = 'Python, numpy and torch random states'
        loader = runner.train_dataloader
        sampler = getattr(loader, 'sampler', None)
        if states.get('sampler_seed') is not None and hasattr(sampler, 'seed'):
            sampler.seed = states['sampler_seed']
            restored += f', sampler seed {sampler.seed}'
        init_fn = loader.worker_init_fn
        if isinstance(init_fn, partial) and 'seed' in init_fn.keywords:
            # mmengine's default worker seeding, bound to this launch's seed
            # before the checkpoint's was taken back.
            loader.worker_init_fn = partial(
                init_fn.func, *init_fn.args,
                **dict(init_fn.keywords, seed=runner.seed))
        runner.logger.info(f'RandomStateHook: restored the {restored}')
        if problem:
            runner.logger.warning(f'RandomStateHook: {problem}; the CUDA '
                                  'random states are not restored.')
        if loader.num_workers > 0 and loader.persistent_workers:
            runner.logger.warning(
                'RandomStateHook: persistent dataloader workers keep random '
                'states that no checkpoint holds, so the augmentations after '
                'resuming differ from the uninterrupted run; set '
                'train_dataloader.persistent_workers=False for exact resume.')

    def before_val(self, runner) -> None:
        self._before_val = capture_random_states()

    def after_val(self, runner) -> None:
        states, self._before_val = self._before_val, None
        if states is not None:
            restore_random_states(states)
