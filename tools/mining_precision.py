"""How often the positives that nearest-neighbour mining picks share the
query's label: AimCLR's NNM and the cross-stream mining of 3s-AimCLR.

CONFIG is the pretraining config of CHECKPOINT (an ``AimCLR`` or a
``CrossStreamAimCLR``; the config a run dumps into its work dir carries
its data options). Every sequence of the training split is embedded once,
without augmentation, the way training embeds it: the query encoder and
its projector give the queries, the key encoder the bank entries, both
L2-normalised. Banks of the model's size (``queue_size``) are drawn at
random from the other sequences; each stream's top-k entries by cosine
(``topk``) are the positives it mines, for itself (NNM) and, in
3s-AimCLR's cross-stream stage, for the other streams. Reported per
stream: the fraction of mined positives with the query's label, the
fraction expected by chance (same-label entries in the bank), how often
two streams mine the same entry, and the fraction of correct positives
in the union a stream trains with in the cross-stream stage.

Example::

    python tools/mining_precision.py \\
        work_dirs/study_msr/aimclr_3s/pretrain/aimclr3s_stgcn_ntu60_xsub.py \\
        work_dirs/study_msr/aimclr_3s/pretrain/epoch_100.pth
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import aimclr_mm  # noqa: E402,F401  registers components
from aimclr_mm.datasets.knn_dataset import \
    training_split_settings  # noqa: E402
from aimclr_mm.engine.runner.checkpoint import load_from_local  # noqa: E402
from visualize_tsne import load_config, validation_dataset  # noqa: E402


def stream_models(model) -> Dict[str, torch.nn.Module]:
    """{stream: AimCLR} of a 3s model, or the one stream of an AimCLR."""
    if hasattr(model, 'streams'):
        return dict(model.streams.items())
    return {model.data_preprocessor.stream: model}


@torch.no_grad()
def embed_split(model, dataset, batch_size: int = 64):
    """{stream: (queries (N, D), keys (N, D))} of every sequence, unaugmented:
    the normalised outputs of each stream's query encoder + projector and of
    its key encoder."""
    model.eval()
    streams = stream_models(model)
    out = {s: ([], []) for s in streams}
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ])
        inputs = model.data_preprocessor(batch, False)['inputs']
        for stream, sub in streams.items():
            x = model.stream_inputs(inputs, stream) if sub is not model \
                else inputs
            x = x[:, 0]  # the one clip of the unaugmented pipeline
            out[stream][0].append(sub._embed(sub.backbone(x)))
            out[stream][1].append(
                F.normalize(sub.momentum_encoder(x).float(), dim=1))
    return {s: (torch.cat(q), torch.cat(k)) for s, (q, k) in out.items()}


def mined_indices(query: torch.Tensor, keys: torch.Tensor,
                  bank: torch.Tensor, topk: int) -> torch.Tensor:
    """(N, topk) indices into ``bank`` (sequence indices, (K,)) of the
    entries each query ranks highest; a query's own sequence is never its
    neighbour (the bank holds earlier batches)."""
    sim = query @ keys[bank].t()
    sim[bank[None, :] == torch.arange(len(query))[:, None]] = -float('inf')
    return bank[sim.topk(topk, dim=1).indices]


def mining_precision(embeddings: Dict[str, tuple],
                     labels: np.ndarray,
                     bank_size: int,
                     topk: int = 1,
                     repeats: int = 20,
                     seed: int = 0) -> Dict[str, Dict[str, float]]:
    """Label precision of mined positives, averaged over ``repeats`` random
    banks of ``bank_size`` sequences.

    Returns ``{stream: {'precision', 'chance', 'union_precision',
    'same_as_<other>'}}``: ``precision`` the fraction of this stream's picks
    with the query's label, ``chance`` that of same-label bank entries
    (the query excluded); with two or more streams, ``union_precision`` the
    fraction of correct entries among the distinct positives of the
    cross-stream stage (its own picks and every other stream's; one set for
    all streams) and ``same_as_<other>`` the fraction of picks the other
    stream picks too.
    """
    labels = torch.as_tensor(np.asarray(labels))
    n = len(labels)
    if not 1 <= topk < bank_size <= n:
        raise ValueError(f'need 1 <= topk ({topk}) < bank size '
                         f'({bank_size}) <= sequences ({n})')
    rng = np.random.default_rng(seed)
    streams = list(embeddings)
    sums = {s: {} for s in streams}

    def add(stream, key, value):
        sums[stream][key] = sums[stream].get(key, 0.0) + float(value)

    for _ in range(repeats):
        bank = torch.as_tensor(rng.choice(n, bank_size, replace=False))
        same = labels[bank][None, :] == labels[:, None]
        in_bank = bank[None, :] == torch.arange(n)[:, None]
        chance = ((same & ~in_bank).sum(1).float() /
                  (~in_bank).sum(1).float()).mean()
        picks = {
            s: mined_indices(q, k, bank, topk)
            for s, (q, k) in embeddings.items()
        }
        for s, p in picks.items():
            add(s, 'precision', (labels[p] == labels[:, None]).float().mean())
            add(s, 'chance', chance)
        if len(streams) == 1:
            continue
        # every stream trains with the same union of all streams' picks
        union_right = union_all = 0
        for i in range(n):
            entries = torch.unique(torch.cat([p[i] for p in picks.values()]))
            union_all += len(entries)
            union_right += int((labels[entries] == labels[i]).sum())
        for s in streams:
            add(s, 'union_precision', union_right / union_all)
        for a, s in enumerate(streams):
            for other in streams[a + 1:]:
                # each stream picks topk distinct entries: the shared
                # fraction is the same from either side
                shared = (picks[s][:, :, None] ==
                          picks[other][:, None, :]).any(2).float().mean()
                add(s, f'same_as_{other}', shared)
                add(other, f'same_as_{s}', shared)
    return {s: {k: v / repeats for k, v in d.items()}
            for s, d in sums.items()}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='pretraining config of the run')
    parser.add_argument('checkpoint', help='pretraining checkpoint')
    parser.add_argument('--split', help='split to embed (default: the '
                        "training dataloader's)")
    parser.add_argument('--bank-size', type=int,
                        help="bank entries (default: the model's queue size)")
    parser.add_argument('--topk', type=int,
                        help="positives mined per stream (default: the "
                        "model's topk)")
    parser.add_argument('--repeats', type=int, default=20,
                        help='random banks (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='JSON file for the numbers')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, in xxx=yyy format')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    dataset = validation_dataset(
        cfg, split=args.split or training_split_settings(cfg)['split'])
    labels = np.array([
        dataset.get_data_info(i)['label'] for i in range(len(dataset))])
    model = MODELS.build(cfg.model)
    ckpt = load_from_local(args.checkpoint, map_location='cpu')
    try:
        model.load_state_dict(ckpt.get('state_dict', ckpt), strict=True)
    except RuntimeError as error:
        raise SystemExit(f'{args.checkpoint}: not a checkpoint of '
                         f'{args.config}: {error}')
    first = next(iter(stream_models(model).values()))
    bank_size = args.bank_size or first.queue.size
    topk = args.topk or getattr(model, 'topk', first.topk)
    result = mining_precision(
        embed_split(model, dataset), labels, bank_size, topk, args.repeats,
        args.seed)
    print(f'{args.checkpoint}: {len(labels)} sequences of {dataset.split}, '
          f'{len(np.unique(labels))} classes; banks of {bank_size}, '
          f'top-{topk}, {args.repeats} draws')
    for stream, values in result.items():
        print(f'{stream:>6}: ' + ', '.join(f'{k} {v:.3f}'
                                           for k, v in values.items()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(checkpoint=args.checkpoint, split=dataset.split,
                           bank_size=bank_size, topk=topk,
                           repeats=args.repeats, streams=result), f, indent=1)


if __name__ == '__main__':
    main()
