import logging
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmaction.registry import METRICS

WEIGHTINGS = ('exp', 'uniform')


def knn_predict(query: torch.Tensor,
                bank: torch.Tensor,
                bank_labels: torch.Tensor,
                num_classes: int,
                ks: Sequence[int],
                weighting: str = 'exp',
                temperature: float = 0.07,
                chunk_size: int = 1024) -> Dict[int, torch.Tensor]:
    """Classify each query by its k most similar bank features.

    Similarity is the cosine of the features. Each of the k neighbours votes
    for its class with weight ``exp(similarity / temperature)`` (``'exp'``,
    the weighted KNN of Wu et al., 2018) or 1 (``'uniform'``, a majority
    vote); the class with the largest total wins, ties going to the smaller
    class index.

    Args:
        query (Tensor): (Nq, C) features to classify.
        bank (Tensor): (Nb, C) features with known labels.
        bank_labels (Tensor): (Nb,) integer labels of ``bank``.
        num_classes (int): Number of classes.
        ks (Sequence[int]): Neighbour counts, each at most Nb.
        weighting (str): ``'exp'`` or ``'uniform'``. Defaults to ``'exp'``.
        temperature (float): Temperature of ``'exp'``. Defaults to 0.07.
        chunk_size (int): Queries compared with the bank at once.

    Returns:
        dict[int, Tensor]: For each k, the (Nq,) predicted labels.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f'Unknown KNN weighting {weighting!r}; expected one '
                         f'of {WEIGHTINGS}')
    if bank.shape[0] != bank_labels.shape[0]:
        raise ValueError(f'{bank.shape[0]} bank features but '
                         f'{bank_labels.shape[0]} bank labels')
    if not ks or min(ks) < 1 or max(ks) > bank.shape[0]:
        raise ValueError(f'Each k must be in [1, {bank.shape[0]}] (the bank '
                         f'size), got {tuple(ks)}')
    query = F.normalize(query.float(), dim=1)
    bank = F.normalize(bank.float(), dim=1)
    bank_labels = bank_labels.long()
    preds = {k: [] for k in ks}
    for start in range(0, query.shape[0], chunk_size):
        sim = query[start:start + chunk_size] @ bank.T
        top_sim, top_idx = sim.topk(max(ks), dim=1)
        top_labels = bank_labels[top_idx]
        if weighting == 'exp':
            weights = (top_sim / temperature).exp()
        else:
            weights = torch.ones_like(top_sim)
        for k in ks:
            votes = top_sim.new_zeros(top_sim.shape[0], num_classes)
            votes.scatter_add_(1, top_labels[:, :k], weights[:, :k])
            preds[k].append(votes.argmax(dim=1))
    return {k: torch.cat(v) for k, v in preds.items()}


@METRICS.register_module()
class KNNMetric(BaseMetric):
    """Top-1 accuracy of KNN classification on pooled encoder features.

    Each predicted data sample must hold ``feature`` (C,), as
    ``AimCLR.predict`` attaches it, and ``knn_bank`` in its metainfo, as
    :class:`KNNDataset` sets it: bank samples with their labels form the
    classifier, the other samples are classified (see :func:`knn_predict`
    for the similarity and the weighting). Reported as ``knn/top1_k{k}``,
    fractions in [0, 1] like mmaction2's ``AccMetric``; a k larger than the
    bank is skipped with a warning.

    Args:
        ks (Sequence[int]): Neighbour counts. Defaults to (1, 10, 20, 200).
        weighting (str): ``'exp'`` or ``'uniform'``. Defaults to ``'exp'``.
        temperature (float): Temperature of ``'exp'``. Defaults to 0.07.
    """

    default_prefix: Optional[str] = 'knn'

    def __init__(self,
                 ks: Sequence[int] = (1, 10, 20, 200),
                 weighting: str = 'exp',
                 temperature: float = 0.07,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        ks = (ks, ) if isinstance(ks, int) else tuple(ks)
        if not ks or min(ks) < 1:
            raise ValueError(f'KNNMetric: ks must be positive, got {ks}')
        if weighting not in WEIGHTINGS:
            raise ValueError(f'KNNMetric: unknown weighting {weighting!r}; '
                             f'expected one of {WEIGHTINGS}')
        if temperature <= 0:
            raise ValueError('KNNMetric: temperature must be positive, got '
                             f'{temperature}')
        self.ks = ks
        self.weighting = weighting
        self.temperature = temperature

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'feature' not in sample:
                raise KeyError(
                    'KNNMetric: the model gave no "feature" with its '
                    'predictions; use a model whose predict attaches pooled '
                    'features, such as AimCLR')
            if 'knn_bank' not in sample:
                raise KeyError('KNNMetric: a sample has no "knn_bank" flag; '
                               'the dataset must be a KNNDataset')
            self.results.append(
                dict(
                    feature=sample['feature'].detach().float().cpu(),
                    label=_label_of(sample),
                    bank=bool(sample['knn_bank'])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        bank = [r for r in results if r['bank']]
        query = [r for r in results if not r['bank']]
        if not bank or not query:
            raise ValueError(f'KNNMetric: got {len(bank)} bank and '
                             f'{len(query)} query samples; both must be '
                             'non-empty')
        ks = [k for k in self.ks if k <= len(bank)]
        if len(ks) < len(self.ks):
            print_log(
                f'KNNMetric: k={[k for k in self.ks if k > len(bank)]} '
                f'skipped, the bank has only {len(bank)} samples',
                logger='current',
                level=logging.WARNING)
        if not ks:
            return {}
        # A GPU, where there is one, compares every query with the bank.
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
        bank_labels = torch.tensor([r['label'] for r in bank], device=device)
        query_labels = torch.tensor([r['label'] for r in query],
                                    device=device)
        num_classes = int(max(bank_labels.max(), query_labels.max())) + 1
        preds = knn_predict(
            torch.stack([r['feature'] for r in query]).to(device),
            torch.stack([r['feature'] for r in bank]).to(device),
            bank_labels,
            num_classes,
            ks,
            weighting=self.weighting,
            temperature=self.temperature)
        return {
            f'top1_k{k}': (pred == query_labels).float().mean().item()
            for k, pred in preds.items()
        }


def _label_of(sample: dict) -> int:
    """The single ground-truth label of a predicted data sample (dict)."""
    label = sample.get('gt_labels', sample.get('gt_label'))
    if isinstance(label, dict):
        label = label['item']
    if label is None or label.numel() != 1:
        raise ValueError('KNNMetric: each sample needs one ground-truth '
                         f'label, got {label!r}')
    return int(label.item())
