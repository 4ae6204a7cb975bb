import logging
import re
from collections import Counter
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import CheckpointLoader

from mmaction.registry import HOOKS

from .finite_check_hook import non_finite_tensors
from .utils import unwrapped_model


def _group(keys: Sequence[str]) -> str:
    """``'neck.*: 4, queue.*: 2'``: keys counted by their first name."""
    counts = Counter(key.split('.', 1)[0] for key in keys)
    return ', '.join(f'{name}.*: {num}'
                     for name, num in sorted(counts.items()))


class MismatchSummary(logging.Filter):
    """Cuts mmengine's "do not match exactly" warning of a non-strict load,
    which lists every key on one line (about 200 for a pretraining
    checkpoint), to counts per module. A filter of the runner's logger:
    :func:`~aimclr_mm.engine.runner.checkpoint.log_load_mismatch` routes
    the warning there."""

    HEADER = 'The model and loaded state dict do not match exactly'
    LISTS = dict(unexpected='unexpected key in source state_dict: ',
                 missing='missing keys in source state_dict: ')

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if not message.startswith(self.HEADER):
            return True
        parts = []
        for line in message.splitlines():
            for kind, lead in self.LISTS.items():
                if line.startswith(lead):
                    keys = [k for k in line[len(lead):].split(', ') if k]
                    what = 'checkpoint tensors not in the model' \
                        if kind == 'unexpected' else \
                        'model tensors not in the checkpoint'
                    parts.append(f'{len(keys)} {what} ({_group(keys)})')
        record.msg = f'load_from: {"; ".join(parts)}'
        record.args = ()
        return True


@HOOKS.register_module()
class PretrainedEncoderCheckHook(Hook):
    """Checks and reports what ``load_from`` gave the model.

    mmengine loads ``load_from`` non-strictly: weights missing from the
    checkpoint stay at their initialisation with only a warning. Once the
    checkpoint is loaded, this hook compares it with the model and logs how
    many tensors were taken, which checkpoint tensors were ignored and
    which model tensors kept their initialisation. It raises
    ``RuntimeError`` when a required tensor was not in the checkpoint or had
    another shape, and ``FloatingPointError`` when a loaded tensor holds NaN
    or Inf (e.g. the checkpoint of a diverged pretraining):

    - before training: every tensor under ``prefixes`` (the encoder);
    - before testing: every tensor under ``test_prefixes``; None (default)
      means every tensor of the model, since a tested model must come
      whole from its checkpoint.

    mmengine's own warning of the load, which lists every key, is cut to
    counts per module by :class:`MismatchSummary`, which ``build_runner``
    installs.

    Training without ``load_from`` fails too (the downstream protocols start
    from a pretraining checkpoint); a resumed run is not checked again.

    Args:
        prefixes (Sequence[str]): Required state-dict prefixes for training.
            Defaults to ``('backbone.',)``.
        test_prefixes (Sequence[str], optional): Required prefixes for
            testing. Defaults to None (all).
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 prefixes: Sequence[str] = ('backbone.', ),
                 test_prefixes: Optional[Sequence[str]] = None) -> None:
        self.prefixes = tuple(prefixes)
        self.test_prefixes = tuple(test_prefixes) \
            if test_prefixes is not None else None

    def before_train(self, runner) -> None:
        if runner.cfg.get('resume', False):
            runner.logger.info('PretrainedEncoderCheckHook: resumed run, '
                               'checkpoint not checked')
            return
        self._check(runner, self.prefixes, 'training')

    def before_test(self, runner) -> None:
        self._check(runner, self.test_prefixes, 'testing')

    def _check(self, runner, prefixes: Optional[Sequence[str]],
               stage: str) -> None:
        load_from = runner.cfg.get('load_from')
        if not load_from:
            what = 'the pretraining checkpoint (e.g. --cfg-options ' \
                'load_from=work_dirs/<pretraining run>/epoch_300.pth)' \
                if stage == 'training' else 'the checkpoint to test'
            raise RuntimeError(f'PretrainedEncoderCheckHook: load_from is not '
                               f'set for {stage}; set it to {what}')
        model = unwrapped_model(runner)
        model_state = model.state_dict()
        ckpt_state = self._state_dict(load_from)

        taken = [
            key for key, value in model_state.items()
            if key in ckpt_state and ckpt_state[key].shape == value.shape
        ]
        taken_set = set(taken)
        ignored = [key for key in ckpt_state if key not in taken_set]
        kept = [key for key in model_state if key not in taken_set]
        required = [
            key for key in model_state
            if prefixes is None or key.startswith(tuple(prefixes))
        ]
        missing = [key for key in required if key not in taken_set]

        runner.logger.info(
            f'load_from {load_from}: took {len(taken)} of '
            f'{len(model_state)} model tensors ({_group(taken) or "none"}); '
            f'ignored {len(ignored)} checkpoint tensors '
            f'({_group(ignored) or "none"}); kept at initialisation: '
            f'{", ".join(kept) or "none"}')
        bad = non_finite_tensors((key, ckpt_state[key]) for key in taken)
        if bad:
            raise FloatingPointError(
                f'PretrainedEncoderCheckHook: {load_from} holds NaN or Inf in '
                f'{len(bad)} of the {len(taken)} tensors loaded for {stage}: '
                f'{", ".join(bad[:10])}{", ..." if len(bad) > 10 else ""}. '
                'The run that wrote it diverged; use an earlier checkpoint.')
        if not required:
            raise RuntimeError(
                f'PretrainedEncoderCheckHook: the model has no tensor under '
                f'{prefixes}')
        if missing:
            if prefixes is None:
                what = 'all the weights of the model'
            elif prefixes == ('backbone.', ):
                what = 'the encoder weights (backbone.*)'
            else:
                what = f'the weights under {prefixes}'
            raise RuntimeError(
                f'PretrainedEncoderCheckHook: {load_from} does not hold '
                f'{what} needed for {stage}: {len(missing)} of '
                f'{len(required)} required tensors are missing or have '
                f'another shape (e.g. {", ".join(missing[:3])}). '
                f'{self._hint(ckpt_state, stage)}')

    @staticmethod
    def _state_dict(filename: str) -> Dict:
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint) \
            if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict):
            raise RuntimeError(f'PretrainedEncoderCheckHook: {filename} '
                               'holds no state dict')
        # As mmengine's loader does for checkpoints of wrapped models.
        return {
            re.sub(r'^module\.', '', key): value
            for key, value in state.items()
        }

    @staticmethod
    def _hint(ckpt_state: Dict, stage: str) -> str:
        names: List[str] = sorted({key.split('.', 1)[0] for key in ckpt_state})
        if stage == 'testing' and 'backbone' in names \
                and 'cls_head' not in names:
            return ('It looks like a pretraining checkpoint; test the '
                    'checkpoint of the downstream run instead.')
        return f'The checkpoint holds {", ".join(names) or "nothing"}.'
