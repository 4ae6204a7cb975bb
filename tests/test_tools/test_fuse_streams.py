"""tools/fuse_streams.py on score files in the format of tools/test.py
--dump (mmaction2's DumpResults)."""
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def fuse_streams():
    spec = importlib.util.spec_from_file_location(
        '_tool_fuse_streams', REPO / 'tools' / 'fuse_streams.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dump(path, scores, labels, names=None):
    results = [
        dict(
            pred_scores=dict(item=torch.tensor(score, dtype=torch.float32)),
            gt_labels=dict(item=torch.tensor([label])),
            frame_dir=names[i] if names else f'S{i:03d}')
        for i, (score, label) in enumerate(zip(scores, labels))
    ]
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    return str(path)


def _top1(scores, labels):
    return float(np.mean(np.argmax(scores, axis=1) == labels))


@pytest.fixture
def streams(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, size=40)
    scores = {
        name: (rng.standard_normal((40, 6)) +
               1.5 * np.eye(6)[labels]).astype(np.float32)
        for name in ('joint', 'motion', 'bone')
    }
    paths = {
        name: _dump(tmp_path / f'{name}.pkl', s, labels)
        for name, s in scores.items()
    }
    return scores, labels, paths


def test_fusing_identical_files_keeps_their_accuracy(fuse_streams, streams,
                                                     capsys):
    scores, labels, paths = streams
    single = _top1(scores['joint'], labels)
    assert 0 < single < 1
    top1, top5 = fuse_streams.main([paths['joint']] * 3 +
                                   ['--weights', '0.6', '0.6', '0.4'])
    assert top1 == pytest.approx(single)
    assert top1 <= top5 <= 1
    out = capsys.readouterr().out
    assert f'top1_acc: {single:.4f}' in out
    assert 'top5_acc: ' in out


def test_fusion_is_the_weighted_sum(fuse_streams, streams):
    scores, labels, paths = streams
    weights = [0.6, 0.6, 0.4]
    fused, fused_labels = fuse_streams.fuse(
        [paths['joint'], paths['motion'], paths['bone']], weights)
    expected = sum(w * scores[n].astype(np.float64)
                   for w, n in zip(weights, ('joint', 'motion', 'bone')))
    np.testing.assert_allclose(fused, expected, rtol=1e-12)
    assert np.array_equal(fused_labels, labels)
    top1, _ = fuse_streams.main(
        [paths['joint'], paths['motion'], paths['bone'], '--weights'] +
        [str(w) for w in weights])
    assert top1 == pytest.approx(_top1(expected, labels))
    # Three noisy but independent streams beat each of them.
    assert top1 > max(_top1(s, labels) for s in scores.values())


def test_files_of_different_samples_are_refused(fuse_streams, streams,
                                                tmp_path):
    scores, labels, paths = streams
    shuffled = _dump(tmp_path / 'shuffled.pkl', scores['motion'][::-1],
                     labels[::-1])
    with pytest.raises(ValueError, match='same samples in the same order'):
        fuse_streams.fuse([paths['joint'], shuffled])
    renamed = _dump(tmp_path / 'renamed.pkl', scores['motion'], labels,
                    [f'X{i}' for i in range(len(labels))])
    with pytest.raises(ValueError, match='same samples in the same order'):
        fuse_streams.fuse([paths['joint'], renamed])
    shorter = _dump(tmp_path / 'short.pkl', scores['bone'][:10], labels[:10])
    with pytest.raises(ValueError, match='not the same test set'):
        fuse_streams.fuse([paths['joint'], shorter])


def test_bad_arguments_are_refused(fuse_streams, streams, tmp_path):
    _, _, paths = streams
    with pytest.raises(ValueError, match='2 score files but 3 weights'):
        fuse_streams.fuse([paths['joint'], paths['bone']], [0.6, 0.6, 0.4])
    not_a_dump = tmp_path / 'metrics.pkl'
    with open(not_a_dump, 'wb') as f:
        pickle.dump({'acc/top1': 0.5}, f)
    with pytest.raises(ValueError, match='metrics.pkl is not'):
        fuse_streams.load_scores(str(not_a_dump))
