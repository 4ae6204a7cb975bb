import json
import os
import os.path as osp
import pickle
import tempfile
from typing import Callable, Dict, IO, List, Sequence

import numpy as np

NUM_NTU_JOINTS = 25


class OutputError(RuntimeError):
    """The output cannot be written (missing folder, no permission)."""


def make_annotation(frame_dir: str, label: int, keypoint: np.ndarray) -> Dict:
    """One PoseDataset annotation from a skeleton (M, T, 25, 3).

    Raises:
        ValueError: the skeleton has another shape, no frame, no body or a
            non-finite coordinate, or the label is negative. Converters
            check their input before, so this guards against their bugs.
    """
    keypoint = np.ascontiguousarray(keypoint, dtype=np.float32)
    if (keypoint.ndim != 4 or keypoint.shape[2:] != (NUM_NTU_JOINTS, 3)
            or keypoint.shape[0] not in (1, 2) or keypoint.shape[1] == 0):
        raise ValueError(f'{frame_dir}: keypoint must be (M, T, 25, 3) with '
                         f'M in (1, 2) and T > 0, got {keypoint.shape}')
    if not np.isfinite(keypoint).all():
        raise ValueError(f'{frame_dir}: non-finite keypoint')
    if int(label) < 0:
        raise ValueError(f'{frame_dir}: negative label {label}')
    return dict(
        frame_dir=str(frame_dir),
        label=int(label),
        total_frames=int(keypoint.shape[1]),
        keypoint=keypoint)


def report_path(out_path: str) -> str:
    """Where the report of ``OUT.pkl`` goes: ``OUT.report.json``."""
    root, ext = osp.splitext(out_path)
    return (root if ext == '.pkl' else out_path) + '.report.json'


def check_output_path(out_path: str) -> None:
    """Fail before any work when ``out_path`` cannot be written.

    Raises:
        OutputError: the name does not end in ``.pkl`` (PoseDataset asserts
            it), the folder cannot be made (a file stands in its path), the
            path is a folder, or a file cannot be created in the folder.

    A missing output folder is made, as ``data/skeleton/`` of a fresh clone.
    """
    if not out_path.endswith('.pkl'):
        raise OutputError(f'output {out_path!r} must end in .pkl '
                          '(PoseDataset only reads .pkl files)')
    folder = osp.dirname(osp.abspath(out_path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        pass
    if not osp.isdir(folder):
        raise OutputError(f'output folder {folder!r} is not a folder')
    if osp.isdir(out_path):
        raise OutputError(f'output {out_path!r} is a folder')
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise OutputError(
            f'cannot write to output folder {folder!r}: {e.strerror}'
        ) from None


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file through ``write(f)`` so that it appears whole or not at
    all: a temporary file in the same folder, renamed over ``path`` once
    complete and flushed to disk.

    Raises:
        OutputError: the file cannot be written; no partial file remains.
    """
    folder = osp.dirname(osp.abspath(path))
    try:
        fd, tmp_path = tempfile.mkstemp(
            dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    except OSError as e:
        raise OutputError(f'cannot write {path!r}: {e.strerror}') from None
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file private; give it the usual permissions
        os.chmod(tmp_path, 0o666 & ~_current_umask())
        os.replace(tmp_path, path)
    except BaseException as e:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OutputError(
                f'cannot write {path!r}: {e.strerror or e}') from None
        raise


def write_pose_pickle(out_path: str, annotations: Sequence[Dict],
                      split: Dict[str, List[str]]) -> None:
    """Write ``dict(split=..., annotations=...)`` atomically.

    Raises:
        ValueError: two annotations share a ``frame_dir`` or a split names
            a sample that is not among the annotations.
    """
    names = [a['frame_dir'] for a in annotations]
    if len(set(names)) != len(names):
        raise ValueError('frame_dir must be unique per sample')
    known = set(names)
    for split_name, members in split.items():
        unknown = set(members) - known
        if unknown:
            raise ValueError(f'split {split_name!r} names unknown samples, '
                             f'e.g. {sorted(unknown)[0]!r}')
    data = dict(
        split={
            k: list(v)
            for k, v in split.items()
        },
        annotations=list(annotations))
    atomic_write(
        out_path,
        lambda f: pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL))


def write_json(path: str, obj: Dict) -> None:
    """Write a JSON document atomically."""
    atomic_write(path,
                 lambda f: f.write(json.dumps(obj, indent=2).encode('utf-8')))
