import copy
from collections import defaultdict
from typing import Dict, List, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from mmaction.registry import DATASETS


@DATASETS.register_module()
class ClassBalancedSubset:
    """A seeded, class-balanced labelled subset of a dataset, for the
    semi-supervised protocol.

    Class ``c`` with ``N_c`` samples keeps ``max(min_per_class,
    round(ratio * N_c))`` of them (all of them if it has fewer), drawn
    without replacement by ``numpy.random.default_rng(seed)``; Python's
    ``round`` as in the official semi-supervised feeder, which has no
    minimum. The subset depends on the seed and the labels only, so every
    rank and every run with the same seed trains on the same samples. They
    keep the wrapped dataset's order.

    Args:
        dataset (BaseDataset or dict): The full training dataset. Each
            sample's ``label`` must be a single integer class.
        ratio (float): Labelled fraction, in (0, 1], e.g. 0.01 or 0.1.
        seed (int): Seed of the draw. Defaults to 0.
        min_per_class (int): Fewest samples kept of each class. Defaults
            to 1.
        lazy_init (bool): Defer loading the annotations to ``full_init``.
            Defaults to False.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 ratio: float,
                 seed: int = 0,
                 min_per_class: int = 1,
                 lazy_init: bool = False) -> None:
        if isinstance(dataset, dict):
            self.dataset = DATASETS.build(dataset)
        elif isinstance(dataset, BaseDataset):
            self.dataset = dataset
        else:
            raise TypeError('ClassBalancedSubset: dataset must be a config '
                            f'dict or a BaseDataset, got {type(dataset)}')
        if not 0 < ratio <= 1:
            raise ValueError(
                f'ClassBalancedSubset: ratio must be in (0, 1], got {ratio}')
        if min_per_class < 1:
            raise ValueError('ClassBalancedSubset: min_per_class must be >= '
                             f'1, got {min_per_class}')
        self.ratio = ratio
        self.seed = seed
        self.min_per_class = min_per_class
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self.indices = self._draw()
        self._fully_initialized = True

    def _class_indices(self) -> Dict[int, List[int]]:
        """Sample indices of each class of the wrapped dataset."""
        if len(self.dataset) == 0:
            raise ValueError('ClassBalancedSubset: the wrapped dataset is '
                             'empty')
        per_class = defaultdict(list)
        for idx in range(len(self.dataset)):
            label = self.dataset.get_data_info(idx).get('label')
            if label is None or np.ndim(label) != 0:
                raise ValueError(
                    f'ClassBalancedSubset: sample {idx} of the wrapped '
                    'dataset must have a single integer label, got '
                    f'{label!r}')
            per_class[int(label)].append(idx)
        return per_class

    def _draw(self) -> List[int]:
        rng = np.random.default_rng(self.seed)
        per_class = self._class_indices()
        chosen, counts = [], []
        for label in sorted(per_class):
            members = per_class[label]
            num = max(self.min_per_class, round(self.ratio * len(members)))
            num = min(num, len(members))
            chosen.extend(rng.choice(members, num, replace=False).tolist())
            counts.append(num)
        print_log(
            f'ClassBalancedSubset: {self.ratio:g} of {len(self.dataset)} '
            f'samples -> {len(chosen)} ({len(counts)} classes, '
            f'{min(counts)} to {max(counts)} each, seed {self.seed})',
            logger='current')
        return sorted(chosen)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self.indices[idx])

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        return self.dataset[self.indices[idx]]

    @force_full_init
    def __len__(self) -> int:
        return len(self.indices)
