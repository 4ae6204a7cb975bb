"""Shared converter pieces and the command-line tools."""
import importlib.util
import json
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skeleton_converters import (ConversionReport, InputError, OutputError,
                                 atomic_write, check_output_path,
                                 make_annotation, merge_into_persons,
                                 parse_rows, read_text_lines, run_tasks,
                                 write_pose_pickle)

REPO = Path(__file__).resolve().parents[2]


def load_tool(name):
    path = REPO / 'tools' / 'data' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_rows_names_the_bad_line():
    rows = parse_rows(['1 2 3', '4 5 6'], 3, 'f.txt', 7)
    np.testing.assert_array_equal(rows, [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(
            InputError, match=r"f.txt, line 8: non-numeric "
            r"token '5x'") as e:
        parse_rows(['1 2 3', '4 5x 6'], 3, 'f.txt', 7)
    assert e.value.kind == 'malformed'
    with pytest.raises(InputError, match='line 7: expected 3 values, found 2'):
        parse_rows(['1 2'], 3, 'f.txt', 7)
    with pytest.raises(InputError, match="line 2: non-finite value 'inf'") \
            as e:
        parse_rows(['1 2 3', '1 inf 3'], 3, 'f.txt')
    assert e.value.kind == 'non_finite'


def test_read_text_lines_rejects_binary_and_missing(tmp_path):
    zeros = tmp_path / 'zeros.txt'
    zeros.write_bytes(b'3\n1 2\n\x00\x00\x00')
    with pytest.raises(InputError, match='line 3: NUL bytes'):
        read_text_lines(zeros)
    binary = tmp_path / 'binary.txt'
    binary.write_bytes(b'1 2\n\xff\xfe')
    with pytest.raises(InputError, match='not a text file'):
        read_text_lines(binary)
    with pytest.raises(InputError, match='cannot be read') as e:
        read_text_lines(tmp_path / 'absent.txt')
    assert e.value.kind == 'unreadable'


def test_merge_into_persons():
    rng = np.random.default_rng(0)
    bodies = np.zeros((4, 6, 25, 3))
    bodies[0] = rng.normal(size=(6, 25, 3))  # person A, whole clip
    bodies[1, :3] = rng.normal(scale=0.5, size=(3, 25, 3))  # B, first half
    bodies[2, 3:] = rng.normal(scale=0.5, size=(3, 25, 3))  # B, new id
    bodies[3, 2] = 5 + rng.normal(scale=0.01, size=(25, 3))  # clutter
    persons, dropped = merge_into_persons(bodies, 2)
    np.testing.assert_array_equal(persons[0], bodies[0])
    np.testing.assert_array_equal(persons[1], bodies[1] + bodies[2])
    assert dropped == [3]
    persons, dropped = merge_into_persons(np.zeros((2, 3, 25, 3)))
    assert persons.shape == (0, 3, 25, 3) and dropped == []


def test_make_annotation_guards_shape():
    ann = make_annotation('a', 3, np.ones((2, 5, 25, 3)))
    assert ann['keypoint'].dtype == np.float32 and ann['total_frames'] == 5
    for bad in [
            np.ones((3, 5, 25, 3)),
            np.ones((1, 0, 25, 3)),
            np.ones((1, 5, 20, 3)),
            np.full((1, 5, 25, 3), np.nan)
    ]:
        with pytest.raises(ValueError):
            make_annotation('a', 0, bad)


def test_write_pose_pickle_checks_names(tmp_path):
    ann = [make_annotation(n, 0, np.ones((1, 2, 25, 3))) for n in 'ab']
    out = str(tmp_path / 'x.pkl')
    with pytest.raises(ValueError, match='unique'):
        write_pose_pickle(out, ann + ann[:1], {})
    with pytest.raises(ValueError, match='unknown samples'):
        write_pose_pickle(out, ann, {'train': ['a', 'c']})
    assert not os.path.exists(out)
    write_pose_pickle(out, ann, {'train': ['a'], 'val': ['b']})
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert data['split'] == {'train': ['a'], 'val': ['b']}
    assert [a['frame_dir'] for a in data['annotations']] == ['a', 'b']


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    out = tmp_path / 'x.pkl'
    out.write_bytes(b'old')

    def fail(f):
        f.write(b'half of the new')
        raise RuntimeError('disk full')

    with pytest.raises(RuntimeError):
        atomic_write(str(out), fail)
    assert out.read_bytes() == b'old'
    assert list(tmp_path.iterdir()) == [out]


def _write_and_die(path):

    def die(f):
        f.write(b'half of the new')
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    atomic_write(path, die)


@pytest.mark.slow
def test_atomic_write_survives_a_kill(tmp_path):
    out = tmp_path / 'x.pkl'
    process = multiprocessing.get_context('fork').Process(
        target=_write_and_die, args=(str(out), ))
    process.start()
    process.join()
    assert process.exitcode == -signal.SIGKILL
    assert not out.exists()


def test_check_output_path(tmp_path):
    check_output_path(str(tmp_path / 'ok.pkl'))
    (tmp_path / 'file').write_text('')
    # a missing folder is made, as data/skeleton/ of a fresh clone
    check_output_path(str(tmp_path / 'absent' / 'deeper' / 'x.pkl'))
    assert (tmp_path / 'absent' / 'deeper').is_dir()
    for bad, message in [(tmp_path / 'x.json', 'must end in .pkl'),
                         (tmp_path / 'file' / 'x.pkl', 'not a folder'),
                         (tmp_path / 'file' / 'sub' / 'x.pkl', 'not a folder')]:
        with pytest.raises(OutputError, match=message):
            check_output_path(str(bad))


def _convert(task):
    if task == 'bug':
        raise ZeroDivisionError('division by zero')
    report = ConversionReport()
    return [dict(frame_dir=task)], report


@pytest.mark.parametrize(
    'workers', [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: a pool
def test_run_tasks_turns_any_error_into_a_skip(workers):
    report = ConversionReport()
    out = run_tasks(_convert, ['a', 'bug', 'b'], report, workers)
    assert [a['frame_dir'] for a in out] == ['a', 'b']
    assert report.skipped == [
        dict(
            source='bug',
            kind='error',
            reason='bug: unexpected ZeroDivisionError: division by zero')
    ]


def kinect_source(tmp_path, frames=6):
    src = tmp_path / 'src'
    (src / 'joints').mkdir(parents=True)
    rows = [f'{f} ' + ' '.join(['0.5'] * 60) for f in range(frames)]
    (src / 'joints' / 'joints_s01_e01.txt').write_text('\n'.join(rows))
    (src / 'actionLabel.txt').write_text('s01_e01\nwalk: 0 3\n')
    return src


@pytest.mark.parametrize('tool, args', [
    ('ntu_skeleton_to_pkl', ['{absent}', '{out}']),
    ('pku_mmd_to_pkl',
     ['{absent}', '{tmp}', '{out}', '--part', '1', '--xsub-list', '{tmp}']),
    ('kinect_v1_to_pkl', ['{absent}', '{out}']),
    ('msr_action3d_to_pkl', ['{absent}', '{out}']),
])
def test_cli_missing_input_folder(tmp_path, capsys, tool, args):
    absent = tmp_path / 'absent'
    args = [
        a.format(absent=absent, tmp=tmp_path, out=tmp_path / 'o.pkl')
        for a in args
    ]
    assert load_tool(tool).main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and f"'{absent}' is not a folder" in err
    assert not (tmp_path / 'o.pkl').exists()


def test_cli_unwritable_output(tmp_path, capsys):
    src = kinect_source(tmp_path)
    (tmp_path / 'file').write_text('')
    tool = load_tool('kinect_v1_to_pkl')
    assert tool.main([str(src), str(tmp_path / 'file' / 'o.pkl')]) == 1
    assert 'output folder' in capsys.readouterr().err
    assert tool.main([str(src), str(tmp_path / 'o.json')]) == 1
    assert 'must end in .pkl' in capsys.readouterr().err


def test_cli_empty_result(tmp_path, capsys):
    raw = tmp_path / 'raw'
    raw.mkdir()
    (raw / 'S001C001P001R001A001.skeleton').write_text('5\n1\n')
    out = tmp_path / 'o.pkl'
    assert load_tool('ntu_skeleton_to_pkl').main([str(raw), str(out)]) == 1
    captured = capsys.readouterr()
    assert 'no sample was converted' in captured.err
    assert not out.exists()
    report = json.loads((tmp_path / 'o.report.json').read_text())
    assert report['num_samples'] == 0
    assert report['skipped'][0]['kind'] == 'truncated'


@pytest.mark.slow
def test_cli_runs_as_a_script(tmp_path):
    src = kinect_source(tmp_path)
    out = tmp_path / 'o.pkl'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    result = subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'data' / 'kinect_v1_to_pkl.py'),
        str(src),
        str(out)
    ],
                            capture_output=True,
                            text=True,
                            env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert '1 samples in 1 classes' in result.stdout
    with open(out, 'rb') as f:
        data = pickle.load(f)
    assert data['split'] == {
        'xsub_train': ['s01_e01_walk_0_3'],
        'xsub_val': []
    }
    assert data['annotations'][0]['keypoint'].shape == (1, 4, 25, 3)
    report = json.loads((tmp_path / 'o.report.json').read_text())
    assert report['warnings'] == ["split 'xsub_val' is empty"]
