"""t-SNE of pooled encoder features of the validation split, coloured by
class, one panel per checkpoint (the paper's Fig. 2).

CONFIG is a pretraining config: its model gives the encoder and its KNN
settings (``val_dataloader``) the unaugmented pipeline; the annotation file
and the split default to the training dataloader's file and the matching
``_val`` split. Each CHECKPOINT needs the encoder under ``backbone.``
(pretraining, linear or finetuning checkpoints). Runs without a display.

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
from aimclr_mm.datasets.knn_dataset import query_split_of
from aimclr_mm.visualization import tsne


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
    train = cfg.train_dataloader['dataset']
    while 'split' not in train and 'dataset' in train:
        train = train['dataset']
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


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope('mmaction')
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
