"""t-SNE of pooled encoder features of the validation split, coloured by
class, one panel per checkpoint (the paper's Fig. 2).

CONFIG is a pretraining config: its model gives the encoder and its KNN
settings (``val_dataloader``) the unaugmented pipeline; the annotation file
and the split default to the training dataloader's file and the matching
``_val`` split. Each CHECKPOINT needs the encoder under ``backbone.``
(pretraining, linear or finetuning checkpoints). Runs without a display.
The t-SNE is exact (van der Maaten and Hinton, 2008), in numpy: its
pairwise matrices are (N, N), so memory and time grow with N squared.

Example::

    python tools/visualize_tsne.py configs/aimclr_stgcn_ntu60_xsub_joint.py \\
        random_init.pth work_dirs/aimclr_stgcn_ntu60_xsub_joint/epoch_300.pth \\
        --titles random-init AimCLR --out tsne.png
"""
import argparse
import os
import os.path as osp

import numpy as np
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import aimclr_mm  # noqa: F401  registers components
from aimclr_mm.engine.runner.checkpoint import load_from_local
from aimclr_mm.datasets.knn_dataset import (query_split_of,
                                             training_split_settings)


def _conditional_probabilities(sq_dist: np.ndarray, perplexity: float,
                               tol: float = 1e-5,
                               max_steps: int = 100) -> np.ndarray:
    """Rows p(j|i) whose entropy is log(perplexity), by bisection on the
    precision beta_i = 1 / (2 sigma_i^2)."""
    n = sq_dist.shape[0]
    target = np.log(perplexity)
    P = np.zeros((n, n))
    for i in range(n):
        d = np.delete(sq_dist[i], i)
        d = d - d.min()  # exp(-beta d) keeps its largest entry at 1
        beta, lo, hi = 1.0, 0.0, np.inf
        for _ in range(max_steps):
            p = np.exp(-beta * d)
            total = p.sum()
            entropy = np.log(total) + beta * (d * p).sum() / total
            if abs(entropy - target) < tol:
                break
            if entropy > target:  # too flat: sharpen
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = (beta + lo) / 2
        P[i, np.arange(n) != i] = p / total
    return P


def tsne(x: np.ndarray,
         perplexity: float = 30.0,
         num_iters: int = 1000,
         early_exaggeration: float = 12.0,
         seed: int = 0) -> np.ndarray:
    """Embed features in 2-D with exact t-SNE.

    Gradient descent with momentum (0.5, then 0.8) and per-parameter gains,
    early exaggeration for the first 250 steps, learning rate
    max(N / early_exaggeration / 4, 50) and a PCA start scaled to standard
    deviation 1e-4, as scikit-learn does.

    Args:
        x (np.ndarray): (N, C) features, N >= 2.
        perplexity (float): Effective number of neighbours; lowered to
            (N - 1) / 3 for small N. Defaults to 30.
        num_iters (int): Gradient steps. Defaults to 1000.
        early_exaggeration (float): Factor on P in the first 250 steps.
        seed (int): Seed of the tiny noise that breaks ties in the start.

    Returns:
        np.ndarray: (N, 2) embedding.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f't-SNE needs (N, C) features with N >= 2, got '
                         f'shape {x.shape}')
    if not np.isfinite(x).all():
        raise ValueError('t-SNE: the features contain NaN or inf')
    n = x.shape[0]
    perplexity = min(perplexity, max((n - 1) / 3, 1.0))
    sq = (x * x).sum(1)
    sq_dist = np.maximum(sq[:, None] + sq[None] - 2 * x @ x.T, 0)
    P = _conditional_probabilities(sq_dist, perplexity)
    P = np.maximum((P + P.T) / (2 * n), 1e-12)

    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    y = centred @ vt[:2].T if vt.shape[0] >= 2 else \
        np.random.default_rng(seed).standard_normal((n, 2))
    y = y + 1e-8 * np.random.default_rng(seed).standard_normal(y.shape)
    y = y / (y[:, 0].std() + 1e-12) * 1e-4

    lr = max(n / early_exaggeration / 4, 50)
    update, gains = np.zeros_like(y), np.ones_like(y)
    exaggerated = P * early_exaggeration
    for step in range(num_iters):
        early = step < 250
        sq_y = (y * y).sum(1)
        num = 1 / (1 + sq_y[:, None] + sq_y[None] - 2 * y @ y.T)
        np.fill_diagonal(num, 0)
        Q = np.maximum(num / num.sum(), 1e-12)
        W = ((exaggerated if early else P) - Q) * num
        grad = 4 * (np.diag(W.sum(1)) - W) @ y
        momentum = 0.5 if early else 0.8
        same_sign = np.sign(grad) == np.sign(update)
        gains = np.maximum(np.where(same_sign, gains * 0.8, gains + 0.2),
                           0.01)
        update = momentum * update - lr * gains * grad
        y = y + update
    return y - y.mean(0)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='pretraining config file path')
    parser.add_argument('checkpoints', nargs='+', help='checkpoint files')
    parser.add_argument('--out', default='tsne.png', help='PNG to write')
    parser.add_argument('--titles', nargs='+', help='one per checkpoint')
    parser.add_argument(
        '--ann-file', help='annotation file (default: the training one)')
    parser.add_argument(
        '--split', help='split to show (default: the training split with '
        '_train replaced by _val)')
    parser.add_argument(
        '--max-samples',
        type=int,
        default=1000,
        help='a seeded random subset of at most this many sequences '
        '(exact t-SNE grows with its square; default: %(default)s)')
    parser.add_argument('--perplexity', type=float, default=30.)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, in xxx=yyy format')
    args = parser.parse_args()
    if args.titles and len(args.titles) != len(args.checkpoints):
        parser.error('--titles needs one title per checkpoint')
    return args


def validation_dataset(cfg: Config, ann_file=None, split=None):
    """The unaugmented PoseDataset of the split to show."""
    train = training_split_settings(cfg)
    return DATASETS.build(
        dict(
            type='SkeletonPoseDataset',
            ann_file=ann_file or train['ann_file'],
            split=split or query_split_of(train['split']),
            pipeline=cfg.val_dataloader['dataset']['pipeline'],
            test_mode=True))


def load_encoder(model: torch.nn.Module, checkpoint: str) -> None:
    """Load ``backbone.*`` of a checkpoint into ``model.backbone``, all of
    it (a missing or misshapen tensor is an error naming the file)."""
    ckpt = load_from_local(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    encoder = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    if not encoder:
        raise KeyError(f'{checkpoint} has no encoder weights (backbone.*)')
    try:
        model.backbone.load_state_dict(encoder, strict=True)
    except RuntimeError as error:
        raise RuntimeError(f'{checkpoint}: {error}') from None


@torch.no_grad()
def pooled_features(model, dataset, indices, batch_size):
    """(N, C) pooled encoder features of ``dataset[indices]``."""
    model.eval()
    feats = []
    for start in range(0, len(indices), batch_size):
        batch = pseudo_collate(
            [dataset[i] for i in indices[start:start + batch_size]])
        data = model.data_preprocessor(batch, False)
        feats.append(model.extract_feat(data['inputs']).float().cpu())
    return torch.cat(feats).numpy()


def plot_panels(panels, labels, out):
    """One scatter per (title, (N, 2) embedding), coloured by class."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    classes = np.unique(labels)
    cmap = plt.get_cmap('tab10' if len(classes) <= 10 else
                        'tab20' if len(classes) <= 20 else 'gist_ncar')
    colours = {c: cmap(i / max(len(classes) - 1, 1)) if len(classes) > 20
               else cmap(i) for i, c in enumerate(classes)}
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.5 * len(panels), 4.5), squeeze=False)
    for ax, (title, emb) in zip(axes[0], panels):
        ax.scatter(emb[:, 0], emb[:, 1], s=6,
                   c=[colours[c] for c in labels], linewidths=0)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    if len(classes) <= 20:
        handles = [
            plt.Line2D([], [], marker='o', ls='', color=colours[c],
                       label=str(c)) for c in classes
        ]
        fig.legend(handles=handles, loc='center right', title='class',
                   fontsize='small')
        fig.subplots_adjust(right=0.9)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=100, bbox_inches='tight')
    plt.close(fig)


def load_config(path: str, cfg_options=None) -> Config:
    """The config with ``--cfg-options`` merged, mmaction's scope set."""
    cfg = Config.fromfile(path)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    init_default_scope('mmaction')
    return cfg


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    dataset = validation_dataset(cfg, args.ann_file, args.split)
    indices = np.arange(len(dataset))
    if len(indices) > args.max_samples:
        rng = np.random.default_rng(args.seed)
        indices = np.sort(rng.choice(indices, args.max_samples, False))
    labels = np.array(
        [dataset.get_data_info(int(i))['label'] for i in indices])
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = MODELS.build(cfg.model).to(device)
    titles = args.titles or [
        osp.join(osp.basename(osp.dirname(osp.abspath(c))), osp.basename(c))
        for c in args.checkpoints
    ]
    panels = []
    for title, checkpoint in zip(titles, args.checkpoints):
        load_encoder(model, checkpoint)
        feats = pooled_features(model, dataset, indices, args.batch_size)
        print(f'{checkpoint}: {len(indices)} sequences of '
              f'{dataset.split}, {len(np.unique(labels))} classes; t-SNE '
              f'(perplexity {args.perplexity:g}) ...', flush=True)
        panels.append(
            (title, tsne(feats, perplexity=args.perplexity,
                         seed=args.seed)))
    plot_panels(panels, labels, args.out)
    print(f't-SNE of {len(panels)} checkpoint(s) written to {args.out}')


if __name__ == '__main__':
    main()
