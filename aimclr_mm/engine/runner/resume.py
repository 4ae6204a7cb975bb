"""Find the checkpoint ``--resume`` continues from."""
import os.path as osp
import re
from glob import glob
from typing import List, Optional, Tuple

from mmengine.runner import find_latest_checkpoint

from .checkpoint import load_from_local

__all__ = ['find_resumable_checkpoint']


def _why_not_loadable(path: str) -> Optional[str]:
    """None if ``path`` loads as a training checkpoint, else the reason."""
    if not osp.isfile(path):
        return 'the file does not exist'
    try:
        checkpoint = load_from_local(path, map_location='cpu')
    except Exception as error:  # truncated, corrupt or unsafe
        lines = str(error).strip().splitlines() or [type(error).__name__]
        return f'{type(error).__name__}: {lines[0]}'
    if not isinstance(checkpoint, dict) or not {'state_dict', 'meta'} <= set(
            checkpoint):
        return 'it is not a training checkpoint (no state_dict and meta)'
    return None


def _newest_first(work_dir: str) -> List[str]:
    """``epoch_N.pth``/``iter_N.pth`` of ``work_dir``, highest N first."""
    found = []
    for path in glob(osp.join(work_dir, '*.pth')):
        match = re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', osp.basename(path))
        if match:
            found.append((int(match.group(1)), osp.getmtime(path), path))
    return [path for *_, path in sorted(found, reverse=True)]


def find_resumable_checkpoint(
        work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint of ``work_dir`` to resume from, and what was skipped.

    The one ``last_checkpoint`` names (read by mmengine's
    ``find_latest_checkpoint``) if it loads; else the newest
    ``epoch_N.pth``/``iter_N.pth`` that loads. mmengine's function returns
    the named path unchecked and raises on an unreadable ``last_checkpoint``,
    which a kill can leave damaged or naming a missing or truncated file.

    Returns:
        tuple: The path (None when the folder holds no checkpoint at all)
        and messages naming every file passed over and why.

    Raises:
        RuntimeError: if there are checkpoints but none loads.
    """
    named, unreadable = None, None
    last_file = osp.join(work_dir, 'last_checkpoint')
    # a missing file is reported below; mmengine would print a note of its own
    if osp.isfile(last_file):
        try:
            named = find_latest_checkpoint(work_dir) or None
        except UnicodeDecodeError as error:
            unreadable = (f'not {error.encoding.upper()} text: byte '
                          f'0x{error.object[error.start]:02x} at position '
                          f'{error.start}')
        except OSError as error:
            unreadable = str(error)
    candidates = ([named] if named else []) + [
        path for path in _newest_first(work_dir)
        if not named or osp.abspath(path) != osp.abspath(named)
    ]
    skipped = []
    for path in candidates:
        reason = _why_not_loadable(path)
        if reason is None:
            break
        skipped.append((path, reason))
    else:
        path = None
        if skipped:
            raise RuntimeError(
                f'--resume: no checkpoint in {work_dir} can be loaded: ' +
                '; '.join(f'{path} ({reason})' for path, reason in skipped)
                + (f'; {last_file} (unreadable: {unreadable})'
                   if unreadable else ''))
    notes = []
    if unreadable:
        notes.append(f'--resume: {last_file} is unreadable ({unreadable}); '
                     'passed over')
    if path is None:  # no checkpoint at all
        return None, notes
    notes += [
        f'--resume: skipped {bad}' +
        (' (named by last_checkpoint)' if bad == named else '') +
        f': {reason}' for bad, reason in skipped
    ]
    if named is None and not unreadable and osp.isdir(work_dir):
        notes.append(f'--resume: {last_file} is missing')
    if notes:
        notes.append(f'--resume: resuming from {path}, the newest checkpoint '
                     'that loads')
    return path, notes
