"""t-SNE, tools/visualize_tsne.py (Fig. 2) and tools/plot_knn_curve.py
(Fig. 3) on tiny inputs."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from pose_data import write_pose_dataset
from tool_module import load_tool

REPO = Path(__file__).resolve().parents[2]
PRETRAIN_CONFIG = REPO / 'configs' / 'aimclr_stgcn_ntu60_xsub_joint.py'
tsne = load_tool('visualize_tsne').tsne



def _colours(png):
    """Distinct RGB colours of a PNG, and whether any is not a grey."""
    import matplotlib.image
    rgb = matplotlib.image.imread(str(png))[..., :3].reshape(-1, 3)
    distinct = np.unique((rgb * 255).round().astype(int), axis=0)
    chromatic = np.ptp(distinct, axis=1) > 30
    return len(distinct), bool(chromatic.any())


def _one_nn_accuracy(emb, labels):
    d = ((emb[:, None] - emb[None])**2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return (labels[d.argmin(1)] == labels).mean()


def test_tsne_keeps_clusters_apart():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 30)
    centres = rng.standard_normal((4, 32)) * 3
    x = centres[labels] + rng.standard_normal((120, 32))
    emb = tsne(x, num_iters=500)
    assert emb.shape == (120, 2) and np.isfinite(emb).all()
    assert _one_nn_accuracy(emb, labels) == 1.0
    # Points of one cluster lie closer together than the clusters do.
    means = np.stack([emb[labels == c].mean(0) for c in range(4)])
    spread = max(emb[labels == c].std(0).max() for c in range(4))
    gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert gaps[~np.eye(4, dtype=bool)].min() > 2 * spread
    assert np.array_equal(emb, tsne(x, num_iters=500))  # seeded


def test_tsne_rejects_bad_features():
    with pytest.raises(ValueError, match='NaN'):
        tsne(np.array([[0., 1.], [np.nan, 2.], [1., 1.]]))
    with pytest.raises(ValueError, match='N >= 2'):
        tsne(np.zeros((1, 4)))


def _write_scalars(run_dir, records):
    (run_dir / 'vis_data').mkdir(parents=True)
    with open(run_dir / 'vis_data' / 'scalars.json', 'w') as f:
        for record in records:
            f.write(json.dumps(record) + '\n')


def test_knn_curve_joins_resumed_runs_and_plots(tmp_path, monkeypatch):
    work_dir = tmp_path / 'pretrain'
    train = dict(lr=0.1, loss=5.0, data_time=0.1, time=0.2)
    _write_scalars(work_dir / '20250101_000000', [
        dict(train, epoch=1, iter=5, step=5),
        {'knn/top1_k1': 0.2, 'knn/top1_k20': 0.25, 'step': 2},
        {'knn/top1_k1': 0.3, 'knn/top1_k20': 0.35, 'step': 4},
    ])
    _write_scalars(work_dir / '20250102_000000', [
        {'knn/top1_k1': 0.32, 'knn/top1_k20': 0.4, 'step': 4},
        {'knn/top1_k1': 0.5, 'knn/top1_k20': 0.55, 'step': 6},
    ])
    tool = load_tool('plot_knn_curve')
    assert tool.knn_curve(str(work_dir), 20) == {2: 0.25, 4: 0.4, 6: 0.55}
    with pytest.raises(KeyError, match='knn/top1_k5 was never logged'):
        tool.knn_curve(str(work_dir), 5)
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.knn_curve(str(tmp_path / 'empty'), 20)

    other = tmp_path / 'other'
    _write_scalars(other / '20250101_000000', [
        {'knn/top1_k20': 0.1, 'step': 2}, {'knn/top1_k20': 0.2, 'step': 6}])
    out = tmp_path / 'figs' / 'knn.png'
    monkeypatch.setattr(sys, 'argv', [
        'plot_knn_curve.py', str(work_dir), str(other), '--out', str(out)])
    tool.main()
    assert out.stat().st_size > 1000
    count, chromatic = _colours(out)
    assert count > 2 and chromatic


@pytest.fixture(scope='module')
def tiny_checkpoints(tmp_path_factory):
    """A tiny data set (3 classes) and two checkpoints of the pretraining
    model with different encoders."""
    root = tmp_path_factory.mktemp('tsne')
    write_pose_dataset(root / 'tiny.pkl', [2] * 3, [6] * 3)
    init_default_scope('mmaction')
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.model.queue_size = 16
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = MODELS.build(cfg.model)
        model.init_weights()
        paths.append(root / f'seed{seed}.pth')
        torch.save(dict(state_dict=model.state_dict()), paths[-1])
    return root, paths


def test_visualize_tsne_draws_one_panel_per_checkpoint(
        tiny_checkpoints, monkeypatch, capsys):
    root, (first, second) = tiny_checkpoints
    out = root / 'tsne.png'
    monkeypatch.setattr(sys, 'argv', [
        'visualize_tsne.py', str(PRETRAIN_CONFIG), str(first), str(second),
        '--titles', 'first', 'second', '--out', str(out), '--batch-size', '8',
        '--cfg-options', f'train_dataloader.dataset.ann_file={root}/tiny.pkl',
        'model.queue_size=16'
    ])
    load_tool('visualize_tsne').main()
    printed = capsys.readouterr().out
    assert '18 sequences of xsub_val, 3 classes' in printed
    assert out.stat().st_size > 1000
    count, chromatic = _colours(out)
    assert count > 2 and chromatic


def test_visualize_tsne_refuses_a_checkpoint_without_the_encoder(
        tiny_checkpoints, tmp_path):
    root, (first, _) = tiny_checkpoints
    tool = load_tool('visualize_tsne')
    init_default_scope('mmaction')
    cfg = Config.fromfile(PRETRAIN_CONFIG)
    cfg.model.queue_size = 16
    model = MODELS.build(cfg.model)
    state = torch.load(first)['state_dict']
    head_only = tmp_path / 'head_only.pth'
    torch.save(dict(state_dict={k: v for k, v in state.items()
                                if k.startswith('neck.')}), head_only)
    with pytest.raises(KeyError, match='no encoder weights'):
        tool.load_encoder(model, str(head_only))
    partial = tmp_path / 'partial.pth'
    torch.save(dict(state_dict={k: v for k, v in state.items()
                                if not k.startswith('backbone.gcn.0.')}),
               partial)
    with pytest.raises(RuntimeError, match='(?s)partial.pth: .*Missing'):
        tool.load_encoder(model, str(partial))
