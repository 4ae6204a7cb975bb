import argparse
import os.path as osp
import sys
from functools import partial
from typing import Any, Callable, Dict, List, Sequence, Tuple

from mmengine.utils import track_parallel_progress, track_progress

from .pose_pickle import (OutputError, report_path, write_json,
                          write_pose_pickle)
from .report import ConversionReport, InputError

TaskResult = Tuple[List[Dict], ConversionReport]


class ConversionFailed(RuntimeError):
    """The conversion as a whole cannot go on: a missing input folder, a bad
    option file or an empty result."""


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for integers of at least ``minimum``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f'must be at least {minimum}, got {value}')
        return value

    return parse


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """The arguments every converter shares: the output pickle (a
    positional, after the inputs) and ``--workers``."""
    parser.add_argument(
        'out', help='output .pkl; a report OUT.report.json goes beside it')
    parser.add_argument(
        '--workers',
        type=int_at_least(1),
        default=1,
        help='number of processes (default: 1)')


def require_dir(path: str, what: str) -> str:
    if not osp.isdir(path):
        raise ConversionFailed(f'{what} {path!r} is not a folder')
    return path


def _guarded(func: Callable[[Any], TaskResult], task: Any) -> TaskResult:
    """Run one task; any error becomes a reported skip of that task."""
    source = task[0] if isinstance(task, (tuple, list)) else task
    try:
        return func(task)
    except InputError as e:
        report = ConversionReport()
        report.skip_error(e, source)
        return [], report
    except Exception as e:  # noqa: BLE001  one bad input never stops a run
        report = ConversionReport()
        report.skip(source, f'{source}: unexpected {type(e).__name__}: {e}',
                    'error')
        return [], report


def run_tasks(func: Callable[[Any], TaskResult],
              tasks: Sequence,
              report: ConversionReport,
              workers: int = 1) -> List[Dict]:
    """Convert every task with a progress bar, in ``workers`` processes.

    ``func(task)`` returns the task's annotations and its own report, which
    is merged into ``report``. Results keep the task order.
    """
    tasks = list(tasks)
    if not tasks:
        return []
    guarded = partial(_guarded, func)
    if workers > 1 and len(tasks) > 1:
        nproc = min(workers, len(tasks))
        chunksize = max(1, min(16, len(tasks) // (nproc * 8)))
        results = track_parallel_progress(
            guarded, tasks, nproc=nproc, chunksize=chunksize)
    else:
        results = track_progress(guarded, tasks)
    annotations = []
    for task_annotations, task_report in results:
        annotations.extend(task_annotations)
        report.merge(task_report)
    return annotations


def xsub_split_by_parity(subjects: Dict[str, int]) -> Dict[str, List[str]]:
    """Cross-subject split of samples ``{name: subject}``, in their order:
    odd subjects ``xsub_train``, even subjects ``xsub_val``."""
    split = {'xsub_train': [], 'xsub_val': []}
    for name, subject in subjects.items():
        split['xsub_train' if subject % 2 else 'xsub_val'].append(name)
    return split


def finish(out_path: str, annotations: List[Dict], split: Dict[str, List[str]],
           report: ConversionReport, converter: str, **extra) -> Dict:
    """Print the summary, write the report and then the pickle.

    The report is written even when no sample survived, so that the user
    can see why; the pickle only when there is at least one sample.

    Returns:
        dict: The report as written.

    Raises:
        ConversionFailed: no sample was converted.
    """
    for name, members in split.items():
        if not members:
            report.warn(f'split {name!r} is empty')
    summary = dict(
        converter=converter,
        output=osp.abspath(out_path),
        num_samples=len(annotations),
        num_classes=len({a['label']
                         for a in annotations}),
        split_sizes={
            k: len(v)
            for k, v in split.items()
        },
        **extra)
    content = report.to_dict(**summary)
    print(f'{converter}: {len(annotations)} samples in '
          f'{summary["num_classes"]} classes')
    for name, size in summary['split_sizes'].items():
        print(f'  {name}: {size}')
    print(report.format_summary())
    json_path = report_path(out_path)
    write_json(json_path, content)
    if not annotations:
        raise ConversionFailed(
            f'no sample was converted; nothing written to {out_path!r} '
            f'(see {json_path})')
    write_pose_pickle(out_path, annotations, split)
    print(f'wrote {out_path} and {json_path}')
    return content


def run_cli(main: Callable[[], None]) -> int:
    """Run a converter's main; a whole-run failure becomes a clear message
    on stderr and exit status 1."""
    try:
        main()
    except (ConversionFailed, OutputError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0
