import glob
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmaction.registry import HOOKS
from .finite_check_hook import non_finite_tensors


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(tmp_path: str, path: str) -> None:
    """Move the complete ``tmp_path`` over ``path``: flushed to disk first,
    then renamed (atomic within a file system), then the folder flushed."""
    _fsync(tmp_path)
    os.replace(tmp_path, path)
    if os.name == 'posix':
        _fsync(osp.dirname(osp.abspath(path)))


def write_text_atomic(path: str, text: str) -> None:
    """Write a small text file so that readers see the old or new text."""
    tmp_path = osp.join(
        osp.dirname(osp.abspath(path)), f'.{osp.basename(path)}.tmp')
    with open(tmp_path, 'w') as f:
        f.write(text)
    replace_file(tmp_path, path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with checkpoints that survive a kill.

    mmengine deletes the oldest kept checkpoint before writing the new one,
    and writes it in place: with ``max_keep_ckpts=1`` a kill during the
    write leaves no complete checkpoint. Here every periodic checkpoint is
    written to ``.<name>.tmp`` in the same folder, flushed to disk and
    renamed; only then does ``last_checkpoint`` name it (also written by
    rename), and only then is the oldest one deleted. At any moment the
    folder holds the previous complete checkpoint and ``last_checkpoint``
    names a complete file. Leftover ``.tmp`` files of an interrupted write
    are removed when training starts.

    A checkpoint whose weights hold NaN or Inf is refused: saving raises
    ``FloatingPointError`` before anything is written or deleted.

    Arguments are those of ``CheckpointHook``. Remote ``out_dir`` backends
    (``backend_args``) get mmengine's plain behaviour; the ``save_best``
    checkpoint is replaced as mmengine does (delete, then write).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._kept = None

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self._kept = self.last_ckpt = runner.message_hub.get_info('last_ckpt')
        if not self._atomic() or not is_main_process():
            return
        pattern = osp.join(self.out_dir,
                           f'.{self.filename_tmpl.format("*")}.tmp')
        for path in sorted(glob.glob(pattern)):
            os.remove(path)
            runner.logger.warning(
                f'Removed {path}, an incomplete checkpoint left by an '
                'interrupted run.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}).items())
        if bad:
            meta = checkpoint.get('meta', {})
            kept = f'the last one is {self._kept}' if self._kept else \
                'none was saved yet'
            raise FloatingPointError(
                f'AtomicCheckpointHook: refusing to save a checkpoint at '
                f'epoch {meta.get("epoch")}, iteration {meta.get("iter")}: '
                f'{len(bad)} weight tensor(s) hold NaN or Inf '
                f'({", ".join(bad[:5])}{", ..." if len(bad) > 5 else ""}). '
                f'The checkpoints already saved are kept; {kept}.')

    def _atomic(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._atomic():
            return super()._save_checkpoint_with_step(runner, step, meta)
        # As mmengine's bookkeeping, but the outdated file is only deleted
        # once the new one is complete.
        outdated = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        path = osp.join(self.out_dir, filename)
        tmp_name = f'.{filename}.tmp'
        previous = self._kept = self.last_ckpt
        self.last_ckpt = path
        runner.message_hub.update_info('last_ckpt', path)
        try:
            runner.save_checkpoint(
                self.out_dir,
                tmp_name,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        except BaseException:
            self.last_ckpt = previous
            runner.message_hub.update_info('last_ckpt', previous)
            raise
        if not is_main_process():
            return
        replace_file(osp.join(self.out_dir, tmp_name), path)
        write_text_atomic(osp.join(runner.work_dir, 'last_checkpoint'), path)
        if outdated is not None and outdated != step:
            outdated_path = osp.join(self.out_dir,
                                     self.filename_tmpl.format(outdated))
            if osp.isfile(outdated_path):
                os.remove(outdated_path)
